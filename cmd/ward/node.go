package main

import (
	"encoding/json"
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/ward-ha/ward/api"
)

// nodeActions describes each `ward node` subcommand.
var nodeActions = []struct {
	action      api.NodeAction
	short, done string
}{
	{api.ActionStandby, "Move every resource off a node (runtime standby)", "is in standby: its resources move to other nodes"},
	{api.ActionOnline, "Clear a node's runtime standby: it may run resources again", "is no longer in standby: it may run resources again"},
	{api.ActionMaintenance, "Stop managing a node's resources (observe only)", "is in maintenance: ward observes its resources and neither starts, stops nor fences"},
	{api.ActionReady, "Clear a node's maintenance: ward manages its resources again", "is out of maintenance: ward manages its resources again"},
}

func newNodeCmd() *cobra.Command {
	c := &cobra.Command{
		Use:   "node",
		Short: "Put nodes in standby or maintenance and back",
		Long: `node changes a node's runtime flags through the local ward daemon, which
records them with the DC. standby moves every resource off the node; online
clears it. maintenance stops ward from acting on the node's resources (it
only observes them); ready clears it. A flag set in the policy file
([[node]] standby/maintenance) stays in force until the policy changes.`,
		Example: `  ward node standby n2     # drain n2 before a reboot
  ward node online n2      # let it run resources again`,
		Args: argsUsage(cobra.NoArgs),
		RunE: func(c *cobra.Command, _ []string) error {
			return &usageError{cmd: c.CommandPath(), err: fmt.Errorf("missing subcommand (standby, online, maintenance or ready)")}
		},
	}
	for _, a := range nodeActions {
		c.AddCommand(newNodeActionCmd(a.action, a.short, a.done))
	}
	return c
}

func newNodeActionCmd(action api.NodeAction, short, done string) *cobra.Command {
	var socket, format string
	var wo waitOptions
	c := &cobra.Command{
		Use:   string(action) + " NODE",
		Short: short,
		Long: short + `.

Exit status: 0 when the DC recorded the change, 1 when the daemon refused
it (unknown node, no quorum, no DC) or could not be reached, 2 on usage
errors.`,
		Example: fmt.Sprintf("  ward node %s n2\n  ward node %s n2 -o json", action, action),
		Args:    argsUsage(cobra.ExactArgs(1)),
		RunE: func(c *cobra.Command, args []string) error {
			if err := checkTextJSON(c, format); err != nil {
				return err
			}
			ctx, stop := signalContext(c.Context())
			defer stop()
			cl := api.NewClient(socket)
			defer cl.CloseIdleConnections()
			req := api.NodeRequest{Node: args[0], Action: action}
			var ws waitStart
			if wo.wait {
				var err error
				if ws, err = snapshotBefore(ctx, cl); err != nil {
					return daemonError(socket, err)
				}
			}
			if err := cl.SetNode(ctx, req); err != nil {
				return daemonError(socket, err)
			}
			out := c.OutOrStdout()
			if format == "json" {
				if err := json.NewEncoder(out).Encode(req); err != nil {
					return err
				}
			} else {
				fmt.Fprintf(out, "%s %s\n", req.Node, done)
			}
			if !wo.wait {
				return nil
			}
			var want intent
			if action == api.ActionStandby {
				want = nodeEmpty(req.Node)
			}
			if format == "json" {
				out = io.Discard
			}
			return followTransition(ctx, out, cl, socket, wo, 0, ws, want, useColor(c.OutOrStdout()))
		},
	}
	addWaitFlags(c, &wo)
	addSocketFlag(c, &socket)
	c.Flags().StringVarP(&format, "output", "o", "text", "output format: text or json")
	return c
}
