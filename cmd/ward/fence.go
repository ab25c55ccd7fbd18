package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/ward-ha/ward/controller"
	"github.com/ward-ha/ward/fencing"
	"github.com/ward-ha/ward/policy"
)

// fenceOptions are the flags of ward fence.
type fenceOptions struct {
	off, reboot, yes, local bool
	policy, stateDir        string
	node, format, socket    string
	timeout                 time.Duration
}

// newFenceCmd builds `ward fence NODE [--reboot|--off] [--yes]` and its
// `history` subcommand.
func newFenceCmd() *cobra.Command {
	var o fenceOptions
	host, _ := os.Hostname()
	c := &cobra.Command{
		Use:   "fence NODE [--reboot|--off] [--yes]",
		Short: "Power off or reset a node through its fencing devices (asks for confirmation)",
		Long: `fence asks the cluster to fence NODE: the request goes to the DC (through
this node's daemon), which picks a node that is up and is not NODE to run
NODE's fencing devices, as it would for a lost node: its topology levels
in order (or every device that lists it), each device's delay, timeout
and retries. The result goes into the cluster's fencing history (requested
by "operator on HOST"), every node learns it, and once NODE is fenced its
resources are recovered elsewhere. The node stops at once, with
everything it runs: use it when a node must be taken out and the cluster
has not done it, or to test a fencing device. The DC refuses without
quorum.

When this node's daemon cannot be reached (or with --local), fence runs
the devices from this node itself, outside the cluster: the policy (with
its secret params) comes from --policy FILE, or from the state directory
of the stopped daemon, whose fencing history then records the result.

Without --yes, fence asks you to type the node's name. A node never fences
itself through a power device.

Exit status: 0 when the node is fenced, 1 when fencing failed, was
refused or was not confirmed, 2 on usage errors.`,
		Example: `  ward fence node2
  ward fence node2 --off --yes
  ward fence node2 --local --policy /etc/ward/policy.toml   # the cluster is down
  ward fence history
  ward fence confirm node3   # no device can reach node3 and you know it is off`,
		Args: argsUsage(cobra.ExactArgs(1)),
		RunE: func(c *cobra.Command, args []string) error {
			if o.off && o.reboot {
				return &usageError{cmd: c.CommandPath(), err: errors.New("--off and --reboot do not go together")}
			}
			if err := checkTextJSON(c, o.format); err != nil {
				return err
			}
			ctx, stop := signalContext(c.Context())
			defer stop()
			return runFence(ctx, c, o, args[0])
		},
	}
	f := c.Flags()
	f.BoolVar(&o.off, "off", false, "power the node off (default: each device's action, reboot unless set)")
	f.BoolVar(&o.reboot, "reboot", false, "reset the node")
	f.BoolVar(&o.yes, "yes", false, "do not ask for confirmation")
	f.StringVar(&o.policy, "policy", "", "with --local (or no daemon): policy file with the fencing devices (default: the live policy of --state-dir)")
	f.StringVar(&o.stateDir, "state-dir", "/var/lib/ward", "state directory (live policy and fencing history) when the daemon is stopped")
	f.StringVar(&o.node, "node", host, "this node's name in the policy")
	f.DurationVar(&o.timeout, "timeout", 10*time.Minute, "give up after this long")
	f.StringVarP(&o.format, "output", "o", "text", "output: text or json")
	f.BoolVar(&o.local, "local", false, "run the devices from this node, without asking the cluster (for a cluster that is down)")
	addSocketFlag(c, &o.socket)
	c.AddCommand(newFenceHistoryCmd(), newFenceConfirmCmd())
	return c
}

// runFence fences target through the cluster, or locally when the
// daemon cannot be reached or with --local.
func runFence(ctx context.Context, c *cobra.Command, o fenceOptions, target string) error {
	if !o.local {
		err := runFenceCluster(ctx, c, o, target)
		var ue *unreachableDaemon
		if !errors.As(err, &ue) {
			return err
		}
		fmt.Fprintf(c.ErrOrStderr(), "ward: cannot reach the ward daemon at %s (%v): fencing from this node, outside the cluster\n", o.socket, ue.err)
	}
	return runFenceLocal(ctx, c, o, target)
}

// runFenceLocal fences target from this node.
func runFenceLocal(ctx context.Context, c *cobra.Command, o fenceOptions, target string) error {
	cfg, store, err := fencePolicy(o)
	if err != nil {
		return &exitError{code: 1, msg: err.Error()}
	}
	if store != nil {
		defer store.Close()
	}
	if !fenceHasNode(cfg, target) {
		return &exitError{code: 1, msg: fmt.Sprintf("fence: node %q is not in the policy (nodes: %s)", target, strings.Join(nodeNames(cfg), ", "))}
	}
	if target == o.node {
		return &exitError{code: 1, msg: fmt.Sprintf("fence: %s is this node; a node never fences itself through a power device: run ward fence from another node", target)}
	}
	action := ""
	switch {
	case o.off:
		action = "off"
	case o.reboot:
		action = "reboot"
	}
	devices := fenceDevicesOf(cfg, target)
	if len(devices) == 0 {
		return &exitError{code: 1, msg: fmt.Sprintf("fence: no fencing device lists node %s; add it to the nodes of a [[fencing.device]]", target)}
	}
	if !o.yes {
		what := action
		if what == "" {
			what = "the devices' action"
		}
		fmt.Fprintf(c.ErrOrStderr(), "This fences node %s (%s) through %s: it stops at once, with everything it runs.\nType the node's name to go on: ",
			target, what, strings.Join(devices, ", "))
		line, _ := bufio.NewReader(io.LimitReader(c.InOrStdin(), 1024)).ReadString('\n')
		if strings.TrimSpace(line) != target {
			return &exitError{code: 1, msg: "fence: not confirmed; nothing was done (use --yes in scripts)"}
		}
	}
	ctx, cancel := context.WithTimeout(ctx, o.timeout)
	defer cancel()
	log := slog.New(slog.NewTextHandler(c.ErrOrStderr(), &slog.HandlerOptions{Level: slog.LevelInfo}))
	fencer := fencing.New(fencing.Config{Node: o.node, Logger: log})
	res := fencer.FenceWith(ctx, cfg, target, fencing.Options{Action: action})
	if store != nil {
		rec := controller.FenceRecord{Target: res.Target, Action: res.Action, Device: res.Device, Executor: res.Executor,
			RequestedBy: "operator on " + o.node, OK: res.OK, Error: res.Err, Started: res.Started, Completed: res.Completed}
		if err := store.AppendFencing(rec); err != nil {
			fmt.Fprintf(c.ErrOrStderr(), "ward: the result could not be added to the fencing history: %v\n", err)
		}
	}
	took := res.Completed.Sub(res.Started).Round(time.Millisecond)
	if o.format == "json" {
		enc := json.NewEncoder(c.OutOrStdout())
		enc.SetIndent("", "  ")
		if err := enc.Encode(fenceJSON{Node: res.Target, Action: res.Action, Device: res.Device, Executor: res.Executor,
			OK: res.OK, Error: res.Err, Started: res.Started, Completed: res.Completed}); err != nil {
			return err
		}
	} else if res.OK {
		fmt.Fprintf(c.OutOrStdout(), "node %s fenced (%s) by device %s in %v\n", target, res.Action, res.Device, took)
	}
	if !res.OK {
		return &exitError{code: 1, msg: fmt.Sprintf("fence: FENCING %s FAILED after %v: %s", target, took, res.Err)}
	}
	return nil
}

// fenceJSON is the -o json answer of ward fence.
type fenceJSON struct {
	Node      string    `json:"node"`
	Action    string    `json:"action"`
	Device    string    `json:"device,omitempty"`
	Executor  string    `json:"executor"`
	OK        bool      `json:"ok"`
	Error     string    `json:"error,omitempty"`
	Started   time.Time `json:"started"`
	Completed time.Time `json:"completed"`
}

// fencePolicy returns the policy to fence with and, when the policy
// comes from the state directory, the store (the caller closes it).
func fencePolicy(o fenceOptions) (*policy.Config, *controller.Store, error) {
	if o.policy != "" {
		cfg, err := policy.Load(o.policy)
		return cfg, nil, err
	}
	store, err := controller.OpenStore(o.stateDir, nil)
	if errors.Is(err, controller.ErrLocked) {
		return nil, nil, fmt.Errorf("fence: the ward daemon of this node holds %s; give the policy file with --policy FILE", o.stateDir)
	}
	if err != nil {
		return nil, nil, fmt.Errorf("fence: %w", err)
	}
	cfg, err := livePolicy(store, "", slog.New(slog.DiscardHandler))
	if err != nil {
		store.Close()
		return nil, nil, fmt.Errorf("fence: %w (or give --policy FILE)", err)
	}
	return cfg, store, nil
}

func fenceHasNode(cfg *policy.Config, name string) bool {
	for _, n := range cfg.Nodes {
		if n.Name == name {
			return true
		}
	}
	return false
}

func nodeNames(cfg *policy.Config) []string {
	var out []string
	for _, n := range cfg.Nodes {
		out = append(out, n.Name)
	}
	return out
}

// fenceDevicesOf lists the devices that can fence node, sorted.
func fenceDevicesOf(cfg *policy.Config, node string) []string {
	var out []string
	for _, d := range cfg.Fencing.Devices {
		for _, n := range d.Nodes {
			if n == node {
				out = append(out, d.ID)
			}
		}
	}
	sort.Strings(out)
	return out
}
