package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/ward-ha/ward/api"
	"github.com/ward-ha/ward/controller"
)

// newFenceHistoryCmd builds `ward fence history`.
func newFenceHistoryCmd() *cobra.Command {
	var socket, format, stateDir, node string
	c := &cobra.Command{
		Use:   "history [--node NODE]",
		Short: "Show the fencing history: who was fenced, by which device, asked by whom, with what result",
		Long: `history prints the cluster's fencing history as the local daemon knows it,
oldest first; failures are in red. When the daemon cannot be reached, it
reads the history of this node's state directory instead (the daemon must
be stopped for that).

Exit status: 0 when the history was read, 1 otherwise, 2 on usage errors.`,
		Example: `  ward fence history
  ward fence history --node node2 -o json`,
		Args: argsUsage(cobra.NoArgs),
		RunE: func(c *cobra.Command, _ []string) error {
			if err := checkTextJSON(c, format); err != nil {
				return err
			}
			ctx, stop := signalContext(c.Context())
			defer stop()
			events, err := fenceHistory(ctx, socket, stateDir)
			if err != nil {
				return err
			}
			var out []api.FenceEvent
			for _, e := range events {
				if node == "" || e.Node == node {
					out = append(out, e)
				}
			}
			if format == "json" {
				if out == nil {
					out = []api.FenceEvent{}
				}
				enc := json.NewEncoder(c.OutOrStdout())
				enc.SetIndent("", "  ")
				return enc.Encode(out)
			}
			renderFenceHistory(c.OutOrStdout(), out, useColor(c.OutOrStdout()))
			return nil
		},
	}
	addSocketFlag(c, &socket)
	c.Flags().StringVar(&stateDir, "state-dir", "/var/lib/ward", "state directory read when the daemon cannot be reached")
	c.Flags().StringVar(&node, "node", "", "only the fencing of this node")
	c.Flags().StringVarP(&format, "output", "o", "text", "output: text or json")
	return c
}

// fenceHistory asks the daemon, else reads the state directory.
func fenceHistory(ctx context.Context, socket, stateDir string) ([]api.FenceEvent, error) {
	cl := api.NewClient(socket)
	defer cl.CloseIdleConnections()
	st, err := cl.Status(ctx)
	if err == nil {
		return st.Fencing, nil
	}
	var ue *api.UnreachableError
	if !errors.As(err, &ue) {
		return nil, daemonError(socket, err)
	}
	if _, err := os.Stat(stateDir); err != nil {
		return nil, &exitError{code: 1, msg: fmt.Sprintf("cannot reach the ward daemon at %s (%v), and there is no state directory %s to read", socket, ue.Err, stateDir)}
	}
	store, serr := controller.OpenStore(stateDir, nil)
	if serr != nil {
		return nil, &exitError{code: 1, msg: fmt.Sprintf("cannot reach the ward daemon at %s (%v), nor read %s: %v", socket, ue.Err, stateDir, serr)}
	}
	defer store.Close()
	var out []api.FenceEvent
	for _, r := range store.Fencing() {
		res := "ok"
		if !r.OK {
			res = r.Error
			if res == "" {
				res = "failed"
			}
		}
		out = append(out, api.FenceEvent{Node: r.Target, Device: r.Device, Action: r.Action, Result: res, RequestedBy: r.RequestedBy, At: r.Completed})
	}
	return out, nil
}

// renderFenceHistory prints one line per event, failures in red.
func renderFenceHistory(w io.Writer, events []api.FenceEvent, color bool) {
	p := painter(color)
	if len(events) == 0 {
		fmt.Fprintln(w, "no fencing recorded")
		return
	}
	for _, e := range events {
		res := p.paint(ansiGreen, "ok")
		if e.Result != "ok" {
			res = p.paint(ansiRed, "FAILED: "+safeLine(e.Result))
		}
		by := ""
		if e.Device != "" {
			by = " by device " + e.Device
		}
		if e.RequestedBy != "" {
			by += ", requested by " + e.RequestedBy
		}
		fmt.Fprintf(w, "%s  %s %s%s: %s\n", e.At.Local().Format(time.DateTime), e.Action, e.Node, by, res)
	}
}
