package main

import (
	"context"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/ward-ha/ward/api"
)

// This file is --wait: after a change, follow the transitions it causes
// on the DC's status and return once the cluster has settled as
// intended. Settled means: the DC scheduled after the change (a
// transition id above the one seen before it) and found nothing left to
// do (an empty, complete transition), the live policy epoch is at least
// the change's, and the command's own condition holds (the resource runs
// on the target node, the node holds no resource...).

// waitOptions are the flags every changing command shares.
type waitOptions struct {
	wait    bool
	timeout time.Duration
	// poll is the status polling interval.
	poll time.Duration
}

// addWaitFlags adds --wait and --wait-timeout to c.
func addWaitFlags(c *cobra.Command, o *waitOptions) {
	c.Flags().BoolVar(&o.wait, "wait", false, "follow the resulting transition and exit 0 only once the cluster has settled as intended")
	c.Flags().DurationVar(&o.timeout, "wait-timeout", 5*time.Minute, "give up waiting after this long (exit 1)")
	o.poll = 250 * time.Millisecond
}

// intent is the command's own condition on a status: ok, or why not
// yet.
type intent func(api.ClusterStatus) (ok bool, why string)

// waitStart is what the follower remembers from before the change.
type waitStart struct {
	transition uint64
	failed     map[string]bool
	active     map[string]bool
}

// snapshotBefore records the status before a change.
func snapshotBefore(ctx context.Context, cl api.Backend) (waitStart, error) {
	st, err := cl.Status(ctx)
	if err != nil {
		return waitStart{}, err
	}
	return newWaitStart(st), nil
}

func newWaitStart(st api.ClusterStatus) waitStart {
	ws := waitStart{failed: failedKeys(st), active: activeKeys(st)}
	if st.Transition != nil {
		ws.transition = st.Transition.ID
	}
	return ws
}

func failedKeys(st api.ClusterStatus) map[string]bool {
	m := map[string]bool{}
	for _, f := range st.FailedActions {
		m[failedKey(f)] = true
	}
	return m
}

func failedKey(f api.FailedAction) string {
	return f.Resource + "|" + f.Node + "|" + f.Op + "|" + f.Interval + "|" + f.At.String()
}

// activeKeys maps "resource|node" to the role it has there.
func activeKeys(st api.ClusterStatus) map[string]bool {
	m := map[string]bool{}
	for _, r := range st.Resources {
		if r.Node != "" {
			m[r.ID+"|"+r.Node+"|"+r.Role] = true
		}
	}
	return m
}

// followTransition polls the status until the cluster settled as
// intended (nil), ctx ends or the timeout passes (an *exitError). It
// prints progress to out: transitions (done of total), each resource
// change as it appears, failures in red.
func followTransition(ctx context.Context, out io.Writer, cl api.Backend, socket string, o waitOptions, epoch uint64, ws waitStart, want intent, color bool) error {
	p := painter(color)
	ctx, cancel := context.WithTimeout(ctx, o.timeout)
	defer cancel()
	t := time.NewTicker(o.poll)
	defer t.Stop()
	var lastTrans string
	why := "no status yet"
	for {
		st, err := cl.Status(ctx)
		switch {
		case err != nil && ctx.Err() != nil:
		case err != nil:
			return daemonError(socket, err)
		default:
			var done bool
			done, why = settledStep(out, p, st, epoch, &ws, &lastTrans, want)
			if done {
				fmt.Fprintln(out, p.paint(ansiGreen, "settled")+": "+why)
				return nil
			}
		}
		select {
		case <-ctx.Done():
			if ctx.Err() == context.DeadlineExceeded {
				return &exitError{code: 1, msg: fmt.Sprintf("not settled after %v: %s (see ward status)", o.timeout, why)}
			}
			return &exitError{code: 1, msg: "interrupted before the cluster settled: " + why}
		case <-t.C:
		}
	}
}

// settledStep prints what changed since the last poll and reports
// whether st is settled as intended (and why not).
func settledStep(out io.Writer, p painter, st api.ClusterStatus, epoch uint64, ws *waitStart, lastTrans *string, want intent) (bool, string) {
	now := activeKeys(st)
	var started, stopped []string
	for k := range now {
		if !ws.active[k] {
			started = append(started, k)
		}
	}
	for k := range ws.active {
		if !now[k] {
			stopped = append(stopped, k)
		}
	}
	slices.Sort(started)
	slices.Sort(stopped)
	for _, k := range stopped {
		f := strings.Split(k, "|")
		fmt.Fprintf(out, "  %s %s no longer %s on %s\n", p.paint(ansiGreen, "✓"), f[0], f[2], f[1])
	}
	for _, k := range started {
		f := strings.Split(k, "|")
		fmt.Fprintf(out, "  %s %s %s on %s\n", p.paint(ansiGreen, "✓"), f[0], f[2], f[1])
	}
	ws.active = now
	for _, f := range st.FailedActions {
		if k := failedKey(f); !ws.failed[k] {
			ws.failed[k] = true
			msg := fmt.Sprintf("  ✗ %s %s on %s failed: %s (rc %d)", f.Resource, f.Op, f.Node, orText(f.Output, f.RCName), f.RC)
			fmt.Fprintln(out, p.paint(ansiRed, msg))
		}
	}
	tr := st.Transition
	if tr != nil && tr.Total > 0 {
		line := fmt.Sprintf("transition %d: %d of %d actions done", tr.ID, tr.Done, tr.Total)
		if tr.Failed > 0 {
			line += p.paint(ansiRed, fmt.Sprintf(", %d failed", tr.Failed))
		}
		if tr.State != "running" {
			line += " (" + tr.State + ")"
		}
		if line != *lastTrans {
			fmt.Fprintln(out, line)
			*lastTrans = line
		}
	}
	switch {
	case st.PolicyEpoch < epoch:
		return false, fmt.Sprintf("this node has policy epoch %d, waiting for %d", st.PolicyEpoch, epoch)
	case st.DC == "":
		return false, "no DC is elected"
	case st.Node != st.DC:
		// A member sees the DC's last view, which may not carry the
		// empty transition that ends a change: the command's own
		// condition and a complete transition decide.
		if tr != nil && tr.State != "complete" {
			return false, fmt.Sprintf("transition %d is %s (%d of %d done)", tr.ID, tr.State, tr.Done, tr.Total)
		}
	case tr == nil || tr.ID <= ws.transition:
		return false, "the DC has not scheduled since the change"
	case tr.State != "complete" || tr.Total > 0:
		return false, fmt.Sprintf("transition %d is %s (%d of %d done)", tr.ID, tr.State, tr.Done, tr.Total)
	}
	if want != nil {
		if ok, why := want(st); !ok {
			return false, why
		}
	}
	if tr == nil {
		return true, "as the DC's last view shows"
	}
	return true, fmt.Sprintf("nothing left to do (transition %d)", tr.ID)
}

func orText(s, alt string) string {
	if s = strings.TrimSpace(s); s != "" {
		return safeLine(s)
	}
	return alt
}

// target names a resource for an intent: its ID and the primitives it
// stands for (a group's members, a clone's primitive).
type target struct {
	id  string
	ids []string
}

func (t target) match(r api.ResourceInfo) bool {
	return r.ID == t.id || baseName(r.ID) == t.id || slices.Contains(t.ids, r.ID) || slices.Contains(t.ids, baseName(r.ID))
}

// runsOn is the intent "resource runs (in some role) on node".
func runsOn(t target, node string) intent {
	return func(st api.ClusterStatus) (bool, string) {
		for _, r := range st.Resources {
			if r.Node == node && t.match(r) {
				return true, ""
			}
		}
		return false, fmt.Sprintf("%s does not run on %s yet", t.id, node)
	}
}

// notOn is the intent "resource is not active on node".
func notOn(t target, node string) intent {
	return func(st api.ClusterStatus) (bool, string) {
		if ok, _ := runsOn(t, node)(st); ok {
			return false, fmt.Sprintf("%s still runs on %s", t.id, node)
		}
		return true, ""
	}
}

// stopped is the intent "resource is active nowhere".
func stopped(t target) intent {
	return func(st api.ClusterStatus) (bool, string) {
		for _, r := range st.Resources {
			if r.Node != "" && t.match(r) {
				return false, fmt.Sprintf("%s still runs on %s", r.ID, r.Node)
			}
		}
		return true, ""
	}
}

// runsSomewhere is the intent "resource is active on some node".
func runsSomewhere(t target) intent {
	return func(st api.ClusterStatus) (bool, string) {
		for _, r := range st.Resources {
			if r.Node != "" && t.match(r) {
				return true, ""
			}
		}
		return false, fmt.Sprintf("%s runs nowhere yet", t.id)
	}
}

// nodeEmpty is the intent "node holds no active resource".
func nodeEmpty(node string) intent {
	return func(st api.ClusterStatus) (bool, string) {
		for _, r := range st.Resources {
			if r.Node == node {
				return false, fmt.Sprintf("%s still runs %s", node, r.ID)
			}
		}
		return true, ""
	}
}

// baseName strips a clone instance suffix ("web:1" -> "web").
func baseName(id string) string {
	if i := strings.LastIndexByte(id, ':'); i > 0 && strings.Trim(id[i+1:], "0123456789") == "" && i < len(id)-1 {
		return id[:i]
	}
	return id
}
