package main

import (
	"encoding/json"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/ward-ha/ward/api"
)

// newClusterCmd returns `ward cluster`: cluster-wide switches.
func newClusterCmd() *cobra.Command {
	c := &cobra.Command{
		Use:   "cluster",
		Short: "Cluster-wide switches (maintenance)",
		Args:  argsUsage(cobra.NoArgs),
		RunE: func(c *cobra.Command, _ []string) error {
			return &usageError{cmd: c.CommandPath(), err: fmt.Errorf("missing subcommand (maintenance)")}
		},
	}
	c.AddCommand(newClusterMaintenanceCmd())
	return c
}

func newClusterMaintenanceCmd() *cobra.Command {
	var socket, format string
	var wo waitOptions
	c := &cobra.Command{
		Use:   "maintenance on|off",
		Short: "Turn cluster maintenance on (observe, never act) or off",
		Long: `maintenance on sets [cluster] maintenance = true in the live policy: ward keeps
observing every resource and node but starts, stops, promotes and fences
nothing until maintenance is turned off. It is a policy change on the DC
(a new epoch, like ward policy apply).

Exit status: 0 when applied (with --wait: once the cluster settled), 1 when
refused or unreachable, 2 on usage errors.`,
		Example: `  ward cluster maintenance on    # before upgrading the agents
  ward cluster maintenance off --wait`,
		Args: argsUsage(cobra.ExactArgs(1)),
		RunE: func(c *cobra.Command, args []string) error {
			if err := checkTextJSON(c, format); err != nil {
				return err
			}
			var on bool
			switch args[0] {
			case "on":
				on = true
			case "off":
			default:
				return &usageError{cmd: c.CommandPath(), err: fmt.Errorf("%q: want on or off", args[0])}
			}
			ctx, stop := signalContext(c.Context())
			defer stop()
			cl := api.NewClient(socket)
			defer cl.CloseIdleConnections()
			ws, err := snapshotBefore(ctx, cl)
			if err != nil {
				return daemonError(socket, err)
			}
			res, err := cl.SetCluster(ctx, api.ClusterRequest{Maintenance: &on})
			if err != nil {
				return daemonError(socket, err)
			}
			out := c.OutOrStdout()
			if format == "json" {
				if err := json.NewEncoder(out).Encode(res); err != nil {
					return err
				}
			} else {
				state := "off: ward manages the cluster again"
				if on {
					state = "on: ward observes and acts on nothing"
				}
				fmt.Fprintf(out, "cluster maintenance %s (policy epoch %d)\n", state, res.Epoch)
			}
			if !wo.wait {
				return nil
			}
			want := func(st api.ClusterStatus) (bool, string) {
				for _, r := range st.Resources {
					if r.Managed == on {
						return false, fmt.Sprintf("%s is still shown as managed=%v", r.ID, r.Managed)
					}
				}
				return true, ""
			}
			if !on {
				want = nil
			}
			return followTransition(ctx, out, cl, socket, wo, res.Epoch, ws, want, useColor(out))
		},
	}
	addSocketFlag(c, &socket)
	c.Flags().StringVarP(&format, "output", "o", "text", "output format: text or json")
	addWaitFlags(c, &wo)
	return c
}
