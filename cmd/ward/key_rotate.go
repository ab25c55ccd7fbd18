package main

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/ward-ha/ward/api"
	"github.com/ward-ha/ward/heartbeat"
)

// This file is ward key rotate: install, use, remove on every node
// through the DC (docs/security.md).

func newKeyRotateCmd() *cobra.Command {
	var f keyFlags
	var newFile string
	c := &cobra.Command{
		Use:   "rotate",
		Short: "Replace the gossip key on every node, without downtime",
		Long: `rotate replaces the cluster's gossip key while every daemon keeps running,
through the DC, in three steps, each done on every present node before the
next starts:

  1. install the new key (each node accepts it, still encrypts with the old);
  2. use it (each node encrypts with it; all can already read it);
  3. remove the old key(s) (traffic under them is refused from now on).

Each daemon rewrites its own key file at each step (atomically, mode 0600),
so a daemon restarted at any point comes back with what it acknowledged.
The new key is generated here and sent inside the cluster's encrypted
messages, which is right for a routine rotation. If the current key may be
known to someone else, do not let the new one travel under it: generate it
with ward key generate, copy the file to every node yourself (same path,
mode 0600) and pass --new-key-file PATH: each node reads its own copy.

rotate refuses to start while a configured node is absent (it could not
join afterwards) unless --force; then copy the key file of a live node to
it (mode 0600) before starting it. It stops at the first step that fails on
any node and says how to resume (ward key install/use/remove).

Exit status: 0 when every present node holds only the new key, 1
otherwise, 2 on usage errors.`,
		Example: `  ward key rotate
  ward key rotate --new-key-file /etc/ward/new.key   # after copying it to every node`,
		Args: argsUsage(cobra.NoArgs),
		RunE: func(c *cobra.Command, _ []string) error {
			if err := checkTextJSON(c, f.format); err != nil {
				return err
			}
			if f.local {
				return &usageError{cmd: c.CommandPath(), err: errors.New("--local: rotate works on the whole cluster; use ward key install/use/remove --local on each node instead")}
			}
			ctx, stop := signalContext(c.Context())
			defer stop()
			cl := api.NewClient(f.socket)
			defer cl.CloseIdleConnections()
			r := &rotation{cl: cl, socket: f.socket, force: f.force, newFile: newFile, text: f.format == "text", out: c.OutOrStdout()}
			err := r.run(ctx)
			if f.format == "json" {
				if jerr := json.NewEncoder(c.OutOrStdout()).Encode(r.summary(err)); jerr != nil && err == nil {
					err = jerr
				}
			}
			return err
		},
	}
	f.add(c, true)
	c.Flags().StringVar(&newFile, "new-key-file", "", "every node reads the new key from this path on its own disk (copy it there first): the key never crosses the network")
	return c
}

// rotation is one run of ward key rotate.
type rotation struct {
	cl      *api.Client
	socket  string
	force   bool
	newFile string
	text    bool
	out     io.Writer
	steps   []api.KeyResult
	newFP   string
}

// rotationSummary is rotate's -o json output.
type rotationSummary struct {
	OK          bool            `json:"ok"`
	Error       string          `json:"error,omitempty"`
	Fingerprint string          `json:"fingerprint,omitempty"`
	Steps       []api.KeyResult `json:"steps"`
}

func (r *rotation) summary(err error) rotationSummary {
	s := rotationSummary{OK: err == nil, Fingerprint: r.newFP, Steps: r.steps}
	if err != nil {
		var ee *exitError
		if errors.As(err, &ee) {
			s.Error = ee.msg
		} else {
			s.Error = err.Error()
		}
	}
	if s.Steps == nil {
		s.Steps = []api.KeyResult{}
	}
	return s
}

func (r *rotation) say(format string, args ...any) {
	if r.text {
		fmt.Fprintf(r.out, format+"\n", args...)
	}
}

// step sends req and checks that every node asked succeeded.
func (r *rotation) step(ctx context.Context, label string, req api.KeyRequest, resume string) (api.KeyResult, error) {
	req.Force = r.force
	res, err := r.cl.ChangeKeys(ctx, req)
	if err != nil {
		return res, r.fail(daemonError(r.socket, err), resume)
	}
	r.steps = append(r.steps, res)
	var parts []string
	for _, n := range res.Nodes {
		if n.OK {
			parts = append(parts, n.Node+" ok")
		} else {
			parts = append(parts, n.Node+" FAILED ("+n.Error+")")
		}
	}
	r.say("%s %s: %s", label, res.Fingerprint, strings.Join(parts, ", "))
	if failed := res.Failed(); len(failed) > 0 {
		return res, r.fail(&exitError{code: 1, msg: fmt.Sprintf("%s failed on %s", req.Action, strings.Join(failed, ", "))}, resume)
	}
	return res, nil
}

// fail adds the way to resume to err's message.
func (r *rotation) fail(err error, resume string) error {
	var ee *exitError
	if resume == "" || !errors.As(err, &ee) {
		return err
	}
	return &exitError{code: ee.code, msg: ee.msg + "; " + resume}
}

func (r *rotation) run(ctx context.Context) error {
	list, err := r.cl.ChangeKeys(ctx, api.KeyRequest{Action: api.KeyList})
	if err != nil {
		return daemonError(r.socket, err)
	}
	r.steps = append(r.steps, list)
	var names []string
	old := map[string]bool{}
	var oldOrder []string
	for _, n := range list.Nodes {
		names = append(names, n.Node)
		switch {
		case !n.OK:
			return &exitError{code: 1, msg: fmt.Sprintf("node %s did not report its keyring: %s; nothing was changed", n.Node, n.Error)}
		case !n.Encrypted:
			return &exitError{code: 1, msg: fmt.Sprintf("node %s runs without gossip encryption (insecure mode): restart it with a key file first; nothing was changed", n.Node)}
		case n.Keys[0] != list.Nodes[0].Keys[0]:
			return &exitError{code: 1, msg: fmt.Sprintf("nodes encrypt with different keys (%s: %s, %s: %s): a rotation was left half done; finish it with ward key use and ward key remove (see ward key list); nothing was changed",
				list.Nodes[0].Node, list.Nodes[0].Keys[0], n.Node, n.Keys[0])}
		}
		for _, k := range n.Keys {
			if !old[k] {
				old[k] = true
				oldOrder = append(oldOrder, k)
			}
		}
	}
	if len(list.Missing) > 0 && !r.force {
		return &exitError{code: 1, msg: fmt.Sprintf("configured node(s) %s are absent: after the rotation they could not join until the new key file is copied to them; start them first, or use --force and copy the key file of a live node to them (mode 0600) before they start; nothing was changed",
			strings.Join(list.Missing, ", "))}
	}
	r.say("rotating the gossip key of %s", strings.Join(names, ", "))
	var install api.KeyRequest
	if r.newFile != "" {
		install, err = installRequest(r.newFile, true, "")
		if err != nil {
			return err
		}
		r.say("new key: read by each node from %s", install.KeyFile)
	} else {
		k, err := heartbeat.GenerateKey()
		if err != nil {
			return err
		}
		install = api.KeyRequest{Action: api.KeyInstall, Key: base64.StdEncoding.EncodeToString(k)}
		r.say("new key: generated, sent inside the cluster's encrypted messages")
	}
	res, err := r.step(ctx, "1/3 install", install, "nothing encrypts with the new key yet: run ward key rotate again")
	if err != nil {
		return err
	}
	r.newFP = res.Fingerprint
	if old[r.newFP] && oldOrder[0] == r.newFP {
		return &exitError{code: 1, msg: fmt.Sprintf("the new key %s is already the primary key: nothing to rotate", r.newFP)}
	}
	if _, err := r.step(ctx, "2/3 use", api.KeyRequest{Action: api.KeyUse, Fingerprint: r.newFP},
		fmt.Sprintf("resume with ward key use %s, then ward key remove each old key", r.newFP)); err != nil {
		return err
	}
	for _, k := range oldOrder {
		if k == r.newFP {
			continue
		}
		if _, err := r.step(ctx, "3/3 remove", api.KeyRequest{Action: api.KeyRemove, Fingerprint: k},
			fmt.Sprintf("every node encrypts with %s; resume with ward key remove %s", r.newFP, k)); err != nil {
			return err
		}
	}
	final, err := r.cl.ChangeKeys(ctx, api.KeyRequest{Action: api.KeyList})
	if err != nil {
		return daemonError(r.socket, err)
	}
	r.steps = append(r.steps, final)
	for _, n := range final.Nodes {
		if !n.OK || len(n.Keys) != 1 || n.Keys[0] != r.newFP {
			return &exitError{code: 1, msg: fmt.Sprintf("after the rotation node %s holds %v (%s), want only %s; check with ward key list", n.Node, n.Keys, n.Error, r.newFP)}
		}
	}
	r.say("rotated: every present node encrypts with %s and accepts no other key; each rewrote its key file (mode 0600)", r.newFP)
	if len(final.Missing) > 0 {
		r.say("absent: %s: copy the key file of a live node to them (mode 0600) before they start", strings.Join(final.Missing, ", "))
	}
	return nil
}
