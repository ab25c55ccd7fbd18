package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/ward-ha/ward/api"
)

// newFenceConfirmCmd builds `ward fence confirm NODE [--yes]`.
func newFenceConfirmCmd() *cobra.Command {
	var socket, format, node string
	var yes bool
	var timeout time.Duration
	host, _ := os.Hostname()
	c := &cobra.Command{
		Use:   "confirm NODE [--yes]",
		Short: "Tell the cluster a lost node is powered off, when no device can fence it (runs no device)",
		Long: `confirm tells the cluster that NODE is powered off, without running any
fencing device: you have checked it yourself (at the console, the power
strip, the hypervisor). The DC records it in the fencing history as a
fencing of the node's latest boot, requested by you, and recovers what the
node ran elsewhere, as after a successful fence (Pacemaker's
stonith_admin --confirm, pcs stonith confirm).

Use it only when fencing cannot succeed and the node is surely off: its
device went down with it, or startup fencing wants a node that nobody can
reach. If NODE is in fact still running its resources, they will run
twice: a promoted database then diverges. The DC refuses while NODE is up
in the cluster's membership, and without quorum.

Without --yes, confirm asks you to type the node's name.

Exit status: 0 when the confirmation was recorded, 1 when it was refused
or not confirmed, 2 on usage errors.`,
		Example: `  ward fence confirm node3
  ward fence confirm node3 --yes -o json`,
		Args: argsUsage(cobra.ExactArgs(1)),
		RunE: func(c *cobra.Command, args []string) error {
			if err := checkTextJSON(c, format); err != nil {
				return err
			}
			target := args[0]
			if !yes {
				fmt.Fprintf(c.ErrOrStderr(), "This tells the cluster that node %s is powered off, without fencing it: what it ran will be started elsewhere.\n"+
					"If %s is still running (say a promoted database), it will run twice.\nType the node's name to go on: ", target, target)
				line, _ := bufio.NewReader(io.LimitReader(c.InOrStdin(), 1024)).ReadString('\n')
				if strings.TrimSpace(line) != target {
					return &exitError{code: 1, msg: "fence confirm: not confirmed; nothing was done (use --yes in scripts)"}
				}
			}
			ctx, stop := signalContext(c.Context())
			defer stop()
			cl := api.NewClient(socket)
			defer cl.CloseIdleConnections()
			ctx, cancel := context.WithTimeout(ctx, timeout)
			defer cancel()
			res, err := cl.Fence(ctx, api.FenceRequest{Node: target, Action: api.FenceConfirm, RequestedBy: requester(node)})
			if err != nil {
				return daemonError(socket, err)
			}
			if format == "json" {
				enc := json.NewEncoder(c.OutOrStdout())
				enc.SetIndent("", "  ")
				return enc.Encode(fenceJSON{Node: res.Node, Action: res.Action, Device: res.Device, Executor: res.Executor,
					OK: res.OK, Error: res.Error, Started: res.Started, Completed: res.Completed})
			}
			fmt.Fprintf(c.OutOrStdout(), "node %s recorded as fenced (confirmed by %s, recorded by the DC %s); its resources may now be recovered elsewhere\n",
				target, requester(node), res.Executor)
			return nil
		},
	}
	f := c.Flags()
	f.BoolVar(&yes, "yes", false, "do not ask for confirmation")
	f.StringVar(&node, "node", host, "this node's name (recorded with the operator's)")
	f.DurationVar(&timeout, "timeout", 30*time.Second, "give up after this long")
	f.StringVarP(&format, "output", "o", "text", "output: text or json")
	addSocketFlag(c, &socket)
	return c
}
