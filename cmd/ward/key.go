package main

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/ward-ha/ward/api"
	"github.com/ward-ha/ward/heartbeat"
)

// newKeyCmd builds `ward key` and its subcommands.
func newKeyCmd() *cobra.Command {
	c := &cobra.Command{
		Use:   "key",
		Short: "Manage the gossip encryption keys: generate, list, rotate",
		Long: `Gossip between ward nodes is encrypted and authenticated (AES-GCM) with keys
every node holds in a key file (default ` + heartbeat.DefaultKeyFile + `, mode 0600, one base64
key a line): the first key encrypts, every key decrypts. The daemon refuses to
start if the file is missing or readable by others.

ward key rotate replaces the key on every running node without a restart:
install the new key everywhere, use it everywhere, remove the old one
everywhere. Each daemon rewrites its own key file (atomically, mode 0600) at
each step. The steps also exist alone (install, use, remove) to resume or
to run them by hand; list shows each node's keys by fingerprint. Keys are
never printed: only fingerprints (16 hex characters).`,
		Example: `  ward key generate --out /etc/ward/ward.key
  ward key list
  ward key rotate`,
		Args: argsUsage(cobra.NoArgs),
		RunE: func(c *cobra.Command, _ []string) error {
			return &usageError{cmd: c.CommandPath(), err: errors.New("missing subcommand (generate, fingerprint, list, install, use, remove, rotate)")}
		},
	}
	c.AddCommand(newKeyGenerateCmd(), newKeyFingerprintCmd(), newKeyListCmd(), newKeyInstallCmd(),
		newKeyUseRemoveCmd(api.KeyUse), newKeyUseRemoveCmd(api.KeyRemove), newKeyRotateCmd())
	return c
}

func newKeyGenerateCmd() *cobra.Command {
	var out, format string
	var force bool
	c := &cobra.Command{
		Use:   "generate",
		Short: "Make a new random gossip key file",
		Long: `generate writes a new random AES-256 key to a key file with mode 0600,
creating its directory (mode 0700) if needed. It refuses to replace an
existing file unless --force is given: every node must hold the same key,
so replacing it on one node cuts that node off until the new file is
copied to every node. "--out -" prints the key file to stdout instead.

Exit status: 0 when the file was written, 1 on failure (file exists,
permission), 2 on usage errors.`,
		Example: `  ward key generate --out /etc/ward/ward.key
  scp /etc/ward/ward.key node2:/etc/ward/ward.key   # keep mode 0600
  ward key generate --out - | ssh node3 'umask 077; cat > /etc/ward/ward.key'`,
		Args: argsUsage(cobra.NoArgs),
		RunE: func(c *cobra.Command, _ []string) error {
			if format != "text" && format != "json" {
				return &usageError{cmd: c.CommandPath(), err: fmt.Errorf("-o %q: want text or json", format)}
			}
			k, err := heartbeat.GenerateKey()
			if err != nil {
				return err
			}
			if out == "-" {
				_, err := c.OutOrStdout().Write(heartbeat.EncodeKeyFile(k))
				return err
			}
			if err := heartbeat.WriteKeyFile(out, force, k); err != nil {
				return err
			}
			if format == "json" {
				return json.NewEncoder(c.OutOrStdout()).Encode(map[string]any{"path": out, "mode": "0600", "bits": 8 * len(k)})
			}
			fmt.Fprintf(c.OutOrStdout(), "wrote a new gossip key to %s (mode 0600); copy it to every node with the same mode\n", out)
			return nil
		},
	}
	c.Flags().StringVar(&out, "out", heartbeat.DefaultKeyFile, `key file to write ("-" prints it to stdout)`)
	c.Flags().BoolVar(&force, "force", false, "replace an existing key file")
	c.Flags().StringVarP(&format, "output", "o", "text", "output format: text or json")
	return c
}

func newKeyFingerprintCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "fingerprint FILE",
		Short: "Print the fingerprints of the keys in a key file",
		Long: `fingerprint reads a key file (it must have mode 0600 or 0400) and prints the
fingerprint of each key, the primary first: compare them with ward key list.

Exit status: 0 on success, 1 when the file cannot be read, 2 on usage errors.`,
		Example: `  ward key fingerprint /etc/ward/ward.key`,
		Args:    argsUsage(cobra.ExactArgs(1)),
		RunE: func(c *cobra.Command, args []string) error {
			kr, err := heartbeat.LoadKeyFile(args[0])
			if err != nil {
				return &exitError{code: 1, msg: err.Error()}
			}
			for i, k := range kr.Keys() {
				role := "decrypts"
				if i == 0 {
					role = "primary: encrypts and decrypts"
				}
				fmt.Fprintf(c.OutOrStdout(), "%s  %s\n", heartbeat.Fingerprint(k), role)
			}
			return nil
		},
	}
}

// keyFlags are the flags the cluster-facing key commands share.
type keyFlags struct {
	socket, format string
	local, force   bool
}

func (f *keyFlags) add(c *cobra.Command, force bool) {
	addSocketFlag(c, &f.socket)
	c.Flags().StringVarP(&f.format, "output", "o", "text", "output format: text or json")
	c.Flags().BoolVar(&f.local, "local", false, "this node only (default: every present node, through the DC)")
	if force {
		c.Flags().BoolVar(&f.force, "force", false, "go on although configured nodes are absent: copy the new key file to them before they start")
	}
}

// call sends req to the daemon and prints the answer; it fails (exit 1)
// when a node did not succeed.
func (f *keyFlags) call(c *cobra.Command, req api.KeyRequest) error {
	if err := checkTextJSON(c, f.format); err != nil {
		return err
	}
	req.Local, req.Force = f.local, f.force
	ctx, stop := signalContext(c.Context())
	defer stop()
	cl := api.NewClient(f.socket)
	defer cl.CloseIdleConnections()
	var res api.KeyResult
	var err error
	if req.Action == api.KeyList && f.local {
		res, err = cl.Keys(ctx)
	} else {
		res, err = cl.ChangeKeys(ctx, req)
	}
	if err != nil {
		return daemonError(f.socket, err)
	}
	out := c.OutOrStdout()
	if f.format == "json" {
		if err := json.NewEncoder(out).Encode(res); err != nil {
			return err
		}
	} else {
		printKeyResult(out, res)
	}
	if failed := res.Failed(); len(failed) > 0 {
		return &exitError{code: 1, msg: fmt.Sprintf("%s failed on %s", req.Action, strings.Join(failed, ", "))}
	}
	return nil
}

// printKeyResult prints one line per node, then the absent nodes.
func printKeyResult(w io.Writer, res api.KeyResult) {
	for _, n := range res.Nodes {
		switch {
		case !n.OK:
			fmt.Fprintf(w, "%-12s FAILED: %s\n", n.Node, n.Error)
		case !n.Encrypted:
			fmt.Fprintf(w, "%-12s NOT ENCRYPTED (insecure mode)\n", n.Node)
		default:
			keys := make([]string, len(n.Keys))
			for i, k := range n.Keys {
				keys[i] = k
				if i == 0 {
					keys[i] += " (primary)"
				}
			}
			fmt.Fprintf(w, "%-12s %s\n", n.Node, strings.Join(keys, ", "))
		}
	}
	if len(res.Missing) > 0 {
		fmt.Fprintf(w, "absent (not changed): %s: copy the key file of a live node to them (mode 0600) before they start\n", strings.Join(res.Missing, ", "))
	}
}

func newKeyListCmd() *cobra.Command {
	var f keyFlags
	c := &cobra.Command{
		Use:   "list",
		Short: "Show every node's gossip keys (fingerprints, primary first)",
		Long: `list asks every present node, through the DC, for the fingerprints of its
keys, the primary (the key it encrypts with) first, and names the configured
nodes that are absent. --local asks this node only (it works without a DC).

Exit status: 0 when every node answered, 1 otherwise, 2 on usage errors.`,
		Example: `  ward key list
  ward key list --local -o json`,
		Args: argsUsage(cobra.NoArgs),
		RunE: func(c *cobra.Command, _ []string) error { return f.call(c, api.KeyRequest{Action: api.KeyList}) },
	}
	f.add(c, false)
	return c
}

func newKeyInstallCmd() *cobra.Command {
	var f keyFlags
	var onEach bool
	var fp string
	c := &cobra.Command{
		Use:   "install FILE",
		Short: "Add a key that every node then accepts (step 1 of a rotation)",
		Long: `install adds a key to every present node's keyring (and key file) as a
secondary key: the nodes accept traffic encrypted with it and keep encrypting
with their primary. Nothing changes for the traffic, so it is safe at any time.

FILE is a key file on this node (made with ward key generate); its first key
is sent to the other nodes inside the cluster's encrypted messages. When the
current key may be known to an attacker, the new one must not travel under
it: copy FILE to every node yourself (same path, mode 0600) and pass
--on-each-node; each node then reads its own copy and only the fingerprint
travels.

Exit status: 0 when every present node installed it, 1 otherwise, 2 on
usage errors.`,
		Example: `  ward key generate --out /root/new.key && ward key install /root/new.key
  ward key install --on-each-node /etc/ward/new.key`,
		Args: argsUsage(cobra.ExactArgs(1)),
		RunE: func(c *cobra.Command, args []string) error {
			req, err := installRequest(args[0], onEach, fp)
			if err != nil {
				return err
			}
			return f.call(c, req)
		},
	}
	f.add(c, false)
	c.Flags().BoolVar(&onEach, "on-each-node", false, "every node reads FILE on its own disk (the key never crosses the network)")
	c.Flags().StringVar(&fp, "fingerprint", "", "with --on-each-node: the key of FILE to install (default: its first)")
	return c
}

// installRequest builds the install request for the key file path.
func installRequest(path string, onEach bool, fp string) (api.KeyRequest, error) {
	if onEach {
		abs, err := filepath.Abs(path)
		if err != nil {
			return api.KeyRequest{}, err
		}
		return api.KeyRequest{Action: api.KeyInstall, KeyFile: abs, Fingerprint: fp}, nil
	}
	if fp != "" {
		return api.KeyRequest{}, &usageError{cmd: "ward key install", err: errors.New("--fingerprint goes with --on-each-node")}
	}
	kr, err := heartbeat.LoadKeyFile(path)
	if err != nil {
		return api.KeyRequest{}, &exitError{code: 1, msg: err.Error()}
	}
	return api.KeyRequest{Action: api.KeyInstall, Key: base64.StdEncoding.EncodeToString(kr.Primary)}, nil
}

func newKeyUseRemoveCmd(action api.KeyAction) *cobra.Command {
	var f keyFlags
	short, long := "Encrypt with an installed key on every node (step 2 of a rotation)", `use makes the key with FINGERPRINT the primary key of every present node:
they encrypt with it from now on. The DC refuses unless every present node
has installed it (ward key install), since a node without it could no
longer read the others, and, unless --force, while a configured node is
absent.`
	if action == api.KeyRemove {
		short, long = "Drop a key from every node (step 3 of a rotation)", `remove drops the key with FINGERPRINT from every present node's keyring and
key file: traffic encrypted with it is refused from now on. The DC refuses
while a present node still encrypts with it (ward key use another key
first), and, unless --force, while a configured node is absent: it could
not join again until the new key file is copied to it.`
	}
	c := &cobra.Command{
		Use:   string(action) + " FINGERPRINT",
		Short: short,
		Long: long + `

Exit status: 0 when every present node succeeded, 1 otherwise, 2 on usage
errors.`,
		Example: fmt.Sprintf("  ward key %s 3f2a9c0d1e4b5a67", action),
		Args:    argsUsage(cobra.ExactArgs(1)),
		RunE: func(c *cobra.Command, args []string) error {
			req := api.KeyRequest{Action: action, Fingerprint: strings.ToLower(args[0])}
			if err := req.Check(); err != nil {
				return &usageError{cmd: c.CommandPath(), err: err}
			}
			return f.call(c, req)
		},
	}
	f.add(c, true)
	return c
}
