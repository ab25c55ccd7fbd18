package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/ward-ha/ward/api"
)

// This file is `ward fence NODE` through the cluster: POST /v1/fence to
// this node's daemon, which forwards it to the DC; the DC fences and
// answers with the result, or (devices can take minutes) with Pending,
// after which the command follows the fencing history until the result
// appears or --timeout ends.

// unreachableDaemon reports that the daemon could not be reached before
// anything was asked of it: the caller may fence locally instead.
type unreachableDaemon struct{ err error }

func (u *unreachableDaemon) Error() string { return u.err.Error() }

// requester names the operator in the fencing history.
func requester(node string) string {
	who := os.Getenv("SUDO_USER")
	if who == "" {
		who = os.Getenv("USER")
	}
	if who != "" {
		return "operator " + who + " on " + node
	}
	return "operator on " + node
}

// runFenceCluster asks the cluster to fence target.
func runFenceCluster(ctx context.Context, c *cobra.Command, o fenceOptions, target string) error {
	cl := api.NewClient(o.socket)
	defer cl.CloseIdleConnections()
	sctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	_, err := cl.Status(sctx)
	cancel()
	var ue *api.UnreachableError
	if errors.As(err, &ue) {
		return &unreachableDaemon{err: ue.Err}
	}
	if err != nil {
		return daemonError(o.socket, err)
	}
	action := ""
	switch {
	case o.off:
		action = api.FenceOff
	case o.reboot:
		action = api.FenceReboot
	}
	if !o.yes {
		what := action
		if what == "" {
			what = "each device's action"
		}
		fmt.Fprintf(c.ErrOrStderr(), "This asks the cluster to fence node %s (%s): it stops at once, with everything it runs.\nType the node's name to go on: ",
			target, what)
		line, _ := bufio.NewReader(io.LimitReader(c.InOrStdin(), 1024)).ReadString('\n')
		if strings.TrimSpace(line) != target {
			return &exitError{code: 1, msg: "fence: not confirmed; nothing was done (use --yes in scripts)"}
		}
	}
	ctx, cancel = context.WithTimeout(ctx, o.timeout)
	defer cancel()
	req := api.FenceRequest{Node: target, Action: action, RequestedBy: requester(o.node)}
	res, err := cl.Fence(ctx, req)
	if err != nil {
		return daemonError(o.socket, err)
	}
	if res.Pending {
		fmt.Fprintf(c.ErrOrStderr(), "fencing of %s is running on %s (devices may take minutes); waiting for its result in the fencing history\n", target, res.Executor)
		if res, err = awaitFence(ctx, cl, res); err != nil {
			return &exitError{code: 1, msg: fmt.Sprintf("fence: %v; follow it with ward fence history --node %s", err, target)}
		}
	}
	took := res.Completed.Sub(res.Started).Round(time.Millisecond)
	if o.format == "json" {
		enc := json.NewEncoder(c.OutOrStdout())
		enc.SetIndent("", "  ")
		if err := enc.Encode(fenceJSON{Node: res.Node, Action: res.Action, Device: res.Device, Executor: res.Executor,
			OK: res.OK, Error: res.Error, Started: res.Started, Completed: res.Completed}); err != nil {
			return err
		}
	} else if res.OK {
		fmt.Fprintf(c.OutOrStdout(), "node %s fenced (%s) by device %s, run by %s, in %v\n", target, res.Action, res.Device, res.Executor, took)
	}
	if !res.OK {
		return &exitError{code: 1, msg: fmt.Sprintf("fence: FENCING %s FAILED after %v (run by %s): %s", target, took, res.Executor, res.Error)}
	}
	return nil
}

// awaitFence polls the fencing history until the fencing started at
// res.Started for res.Node appears, or ctx ends.
func awaitFence(ctx context.Context, cl *api.Client, res api.FenceResult) (api.FenceResult, error) {
	t := time.NewTicker(time.Second)
	defer t.Stop()
	for {
		st, err := cl.Status(ctx)
		if err == nil {
			for _, e := range st.Fencing {
				if e.Node == res.Node && e.RequestedBy == res.RequestedBy && !e.At.Before(res.Started) {
					res.Pending = false
					res.Action, res.Device, res.Completed = e.Action, e.Device, e.At
					res.OK = e.Result == "ok"
					if !res.OK {
						res.Error = e.Result
					}
					return res, nil
				}
			}
		}
		select {
		case <-ctx.Done():
			return res, fmt.Errorf("no result yet: %w", ctx.Err())
		case <-t.C:
		}
	}
}
