package main

import (
	"encoding/json"
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/ward-ha/ward/heartbeat"
)

// newKeyCmd builds `ward key` and its subcommands.
func newKeyCmd() *cobra.Command {
	c := &cobra.Command{
		Use:   "key",
		Short: "Manage the gossip encryption key",
		Long: `Gossip between ward nodes is encrypted (AES) with a key every node holds in a
key file (default ` + heartbeat.DefaultKeyFile + `, mode 0600). The agent refuses to
start if the file is missing or readable by others.`,
		Example: `  ward key generate
  ward key generate --out /etc/ward/ward.key`,
		Args: argsUsage(cobra.NoArgs),
		RunE: func(c *cobra.Command, _ []string) error {
			return &usageError{cmd: c.CommandPath(), err: errors.New("missing subcommand (generate)")}
		},
	}
	c.AddCommand(newKeyGenerateCmd())
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
