package controller

import (
	"context"
	"sort"
	"strings"
	"time"

	"github.com/ward-ha/ward/fencing"
	"github.com/ward-ha/ward/policy"
)

// This file wires fencing into transitions. A lost node with fencing
// enabled is unclean (snapshot.go); the scheduler then emits a fence
// action and orders the recovery of the node's resources after it. The
// DC sends the fence to a joined member that is not the victim (itself
// first), which runs its fencer, persists the result and reports it;
// the DC persists it too, announces it to every member, and the node is
// offline (clean) in the next snapshot. A failed fence is retried with
// exponential backoff; nothing that depends on it moves meanwhile.

// fenceBackoff spaces the retries of a failing fence.
type fenceBackoff struct {
	failures int
	next     time.Time
}

const (
	minFenceBackoff = time.Second
	maxFenceBackoff = 30 * time.Second
)

// dispatchFence sends fence action i of tr to a fencer node.
func (c *Controller) dispatchFence(ctx context.Context, tr *transition, i int) {
	l := &c.loop
	a := tr.t.Actions[i]
	victim := a.Node
	now := c.clk.Now()
	if b := l.backoff[victim]; now.Before(b.next) {
		return // retried at the next step after the backoff
	}
	if watchdogOnly(tr.cfg, victim) && l.present(victim) {
		// The watchdog plugin only waits: it is sound for a node that
		// is lost (it loses quorum, then stops or is reset), not for one
		// that is up and quorate (a failed stop), which keeps feeding
		// its watchdog. Fail, with backoff, until the node is lost.
		rec := FenceRecord{Target: victim, Boot: l.boots[victim].ID, Action: "off", Device: strings.Join(devicesFor(tr.cfg, victim), "+"),
			Executor: c.node, RequestedBy: c.node, Term: l.myTerm, Started: now, Completed: now,
			Error: "the node is up: the watchdog plugin fences only a node that is lost (it then stops its resources or its watchdog resets it); its resources stay blocked until it is lost"}
		c.persistFence(rec)
		c.fenceDone(ctx, c.node, rec)
		c.fail(tr, i, rec.Error)
		return
	}
	fencer := ""
	if victim != c.node && l.joined[c.node] != nil {
		fencer = c.node
	} else {
		for _, n := range l.presentNodes() {
			if n != victim && l.joined[n] != nil {
				fencer = n
				break
			}
		}
	}
	if fencer == "" {
		c.fail(tr, i, "no member other than "+victim+" can run a fencing device")
		return
	}
	timeout := fenceTimeout(tr.cfg, victim)
	m := &actionMsg{ID: a.ID, Kind: policy.ActionFence, Node: fencer, Target: victim, Boot: l.boots[victim].ID,
		TimeoutMS: timeout.Milliseconds()}
	c.log.Warn("fencing a node before moving its resources", "node", victim, "state", "unclean",
		"devices", strings.Join(devicesFor(tr.cfg, victim), ","), "fencer", fencer,
		"waiting", strings.Join(c.activeOn(victim), ","), "reason", a.Reason)
	c.sendAction(ctx, tr, i, fencer, m, now.Add(timeout+c.margin))
}

// activeOn lists the resources node was last known to run.
func (c *Controller) activeOn(node string) []string {
	var out []string
	if r := c.loop.known[node]; r != nil {
		for _, rs := range r.Resources {
			if active(rs) {
				out = append(out, rs.ID)
			}
		}
	}
	return out
}

// devicesFor lists the devices that can fence node.
func devicesFor(cfg *policy.Config, node string) []string {
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

// fenceTimeout bounds a whole fencing of node: every device's delay and
// attempts.
func fenceTimeout(cfg *policy.Config, node string) time.Duration {
	var total time.Duration
	for _, d := range cfg.Fencing.Devices {
		for _, n := range d.Nodes {
			if n != node {
				continue
			}
			to := time.Duration(d.Timeout)
			if to <= 0 {
				to = time.Duration(policy.DefaultFenceTimeout)
			}
			tries := 1 + policy.DefaultFenceRetries
			if d.Retries != nil {
				tries = 1 + *d.Retries
			}
			total += time.Duration(d.Delay) + time.Duration(tries)*(to+time.Second)
		}
	}
	if total == 0 {
		total = time.Duration(policy.DefaultFenceTimeout)
	}
	return total
}

// fenceRecord converts a fencer's result.
func fenceRecord(r fencing.Result, term uint64, boot string) FenceRecord {
	return FenceRecord{Target: r.Target, Boot: boot, Action: r.Action, Device: r.Device, Executor: r.Executor,
		Term: term, OK: r.OK, Error: r.Err, Started: r.Started, Completed: r.Completed}
}

// fenceDone handles a fencing result reported to the DC.
func (c *Controller) fenceDone(ctx context.Context, from string, r FenceRecord) {
	l := &c.loop
	if from != c.node {
		c.persistFence(r)
	}
	c.recordFence(r)
	if r.OK {
		delete(l.backoff, r.Target)
		c.log.Info("node fenced; its resources may now be recovered", "node", r.Target, "device", r.Device, "by", r.Executor,
			"took", r.Completed.Sub(r.Started).Round(time.Millisecond))
		for _, n := range l.presentNodes() {
			if n != c.node && n != from {
				c.send(ctx, n, message{Kind: msgFenced, Term: l.myTerm, Fence: &r})
			}
		}
		return
	}
	b := l.backoff[r.Target]
	b.failures++
	d := min(minFenceBackoff<<min(b.failures-1, 5), maxFenceBackoff)
	b.next = c.clk.Now().Add(d)
	l.backoff[r.Target] = b
	c.log.Error("FENCING FAILED: the node's resources stay where they are until it is fenced; check the device",
		"node", r.Target, "device", r.Device, "by", r.Executor, "err", r.Error, "retry_in", d)
}

// persistFence appends r to this node's history unless it is there.
func (c *Controller) persistFence(r FenceRecord) {
	for _, h := range c.store.Fencing() {
		if h.Target == r.Target && h.Executor == r.Executor && h.Started.Equal(r.Started) {
			return
		}
	}
	if err := c.store.AppendFencing(r); err != nil {
		c.log.Error("cannot persist a fencing result", "node", r.Target, "err", err)
	}
}

// recordFence applies a fencing result to the DC's view: a successful
// fence of a node's latest boot makes it clean, and what it ran is gone.
func (c *Controller) recordFence(r FenceRecord) {
	l := &c.loop
	if !r.OK || r.Boot == "" || c.coveredEarlierLoss(r) {
		return
	}
	if l.fencedOK[r.Target] == nil {
		l.fencedOK[r.Target] = map[string]bool{}
	}
	if !l.fencedOK[r.Target][r.Boot] {
		l.fencedOK[r.Target][r.Boot] = true
		if !l.present(r.Target) {
			delete(l.known, r.Target)
			delete(l.maybe, r.Target)
			l.forgetInherited(r.Target)
		}
		l.dirty = true
	}
}

// onFenced records a fencing result the DC announced.
func (c *Controller) onFenced(from string, m message) {
	l := &c.loop
	if m.Term < c.store.Term().Seen || from != l.dcName {
		return
	}
	c.persistFence(*m.Fence)
	c.learnStartupBoot(*m.Fence) // startup.go
	c.recordFence(*m.Fence)
}
