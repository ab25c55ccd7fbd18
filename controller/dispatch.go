package controller

import (
	"context"
	"strings"
	"time"

	"github.com/ward-ha/ward/policy"
)

// This file is the transition executor. The DC schedules from a fresh
// snapshot, then dispatches each action whose predecessors are done,
// tagged (term, transition id, action id), to the node that must run it.
// Any surprise (a failed or lost action, a membership change, a new
// report or policy, the recheck timer) aborts the transition: nothing new
// is dispatched, what is in flight is awaited (or timed out), and the DC
// schedules again from what it then observes.

type actState int

const (
	actPending actState = iota
	actInflight
	actDone
	actFailed
)

// transition is the transition the DC is running.
type transition struct {
	id       uint64
	term     uint64
	cfg      *policy.Config
	t        policy.Transition
	state    []actState
	deadline []time.Time
	preds    [][]int
	inflight int
	done     int
	failed   int
	aborted  bool
}

func (tr *transition) info() *transitionInfo {
	s := "running"
	switch {
	case tr.failed > 0 && tr.inflight == 0:
		s = "failed"
	case tr.aborted:
		s = "aborted"
	case tr.done == len(tr.t.Actions):
		s = "complete"
	}
	return &transitionInfo{ID: tr.id, State: s, Done: tr.done, Total: len(tr.t.Actions), Failed: tr.failed}
}

// dcStep runs the DC's part of a wake-up.
func (c *Controller) dcStep(ctx context.Context) {
	l := &c.loop
	if !c.joinStep(ctx) {
		return
	}
	if tr := l.trans; tr != nil {
		if l.dirty && !tr.aborted {
			tr.aborted = true
			c.log.Info("transition aborted: the cluster changed; waiting for actions in flight, then rescheduling",
				"transition", tr.id, "in_flight", tr.inflight)
		}
		if !tr.aborted && c.leaseValid() {
			c.dispatch(ctx)
		}
		if tr.inflight > 0 || (!tr.aborted && tr.done < len(tr.t.Actions)) {
			return
		}
		l.lastInfo = tr.info()
		l.trans = nil
		if tr.failed > 0 {
			// Do not spin on an action that keeps failing: try again
			// soon, or at the next change.
			l.dirty = false
			l.recheck = c.clk.Now().Add(time.Second)
		} else {
			l.dirty = true
			c.log.Info("transition complete", "transition", tr.id, "actions", len(tr.t.Actions))
		}
	}
	if !l.dirty || !c.leaseValid() {
		return
	}
	l.dirty = false
	st := c.snapshot()
	now := c.clk.Now()
	t := policy.Schedule(l.cfg, st, now)
	l.recheck = time.Time{}
	if t.NextRecheck != nil {
		l.recheck = *t.NextRecheck
	}
	for _, w := range t.Warnings {
		c.log.Warn("scheduler: " + w)
	}
	c.broadcastStatus(ctx, st)
	if len(t.Actions) == 0 {
		return
	}
	l.transSeq++
	tr := &transition{id: l.transSeq, term: l.myTerm, cfg: l.cfg, t: t,
		state: make([]actState, len(t.Actions)), deadline: make([]time.Time, len(t.Actions)), preds: make([][]int, len(t.Actions))}
	for _, e := range t.Edges {
		if e.After >= 0 && e.After < len(tr.preds) && e.Before >= 0 && e.Before < len(tr.preds) {
			tr.preds[e.After] = append(tr.preds[e.After], e.Before)
		}
	}
	l.trans = tr
	c.log.Info("new transition", "transition", tr.id, "term", tr.term, "actions", len(t.Actions),
		"summary", strings.Join(policy.Summarize(t, st), "; "))
	c.dispatch(ctx)
}

// dispatch sends every pending action whose predecessors are done.
func (c *Controller) dispatch(ctx context.Context) {
	l := &c.loop
	tr := l.trans
	now := c.clk.Now()
	for changed := true; changed; {
		changed = false
		for i, a := range tr.t.Actions {
			if tr.state[i] != actPending || tr.aborted || !tr.ready(i) {
				continue
			}
			if a.Implied {
				tr.state[i] = actDone
				tr.done++
				changed = true
				continue
			}
			if a.Kind == policy.ActionFence {
				c.dispatchFence(ctx, tr, i)
				continue
			}
			if !l.present(a.Node) || l.joined[a.Node] == nil {
				c.fail(tr, i, "node "+a.Node+" is not a joined member")
				continue
			}
			m, ok := actionFor(tr.cfg, a)
			if !ok {
				c.fail(tr, i, "resource "+a.Resource+" is not in the policy")
				continue
			}
			c.sendAction(ctx, tr, i, a.Node, m, now.Add(time.Duration(m.TimeoutMS)*time.Millisecond+c.margin))
		}
	}
}

func (tr *transition) ready(i int) bool {
	for _, p := range tr.preds[i] {
		if tr.state[p] != actDone {
			return false
		}
	}
	return true
}

// sendAction sends action i to node and marks it in flight.
func (c *Controller) sendAction(ctx context.Context, tr *transition, i int, node string, m *actionMsg, deadline time.Time) {
	tr.state[i] = actInflight
	tr.deadline[i] = deadline
	tr.inflight++
	if c.hooks.Dispatched != nil {
		c.hooks.Dispatched(tr.term, tr.t.Actions[i])
	}
	c.log.Debug("dispatching", "transition", tr.id, "action", policy.FormatAction(tr.t.Actions[i]), "to", node)
	c.send(ctx, node, message{Kind: msgAction, Term: tr.term, Transition: tr.id, Action: m})
}

// fail marks action i failed and aborts the transition.
func (c *Controller) fail(tr *transition, i int, why string) {
	if tr.state[i] == actInflight {
		tr.inflight--
	}
	tr.state[i] = actFailed
	tr.failed++
	tr.aborted = true
	c.loop.dirty = true
	c.log.Warn("action failed; aborting the transition", "transition", tr.id, "action", policy.FormatAction(tr.t.Actions[i]), "reason", why)
}

// checkTimeouts fails actions in flight past their deadline.
func (c *Controller) checkTimeouts() {
	tr := c.loop.trans
	if tr == nil {
		return
	}
	now := c.clk.Now()
	for i := range tr.state {
		if tr.state[i] == actInflight && now.After(tr.deadline[i]) {
			c.fail(tr, i, "no result within its timeout plus margin: counted as failed")
		}
	}
}

// onResult takes an action's outcome (DC side).
func (c *Controller) onResult(ctx context.Context, from string, m message) {
	l := &c.loop
	res := m.Result
	if !l.isDC {
		return
	}
	if res.Resource != nil {
		l.updateResource(from, *res.Resource)
		if r := l.joined[from]; r != nil && r != l.known[from] {
			l.joined[from] = l.known[from]
		}
	}
	if res.Fence != nil {
		c.fenceDone(ctx, from, *res.Fence)
	}
	tr := l.trans
	if m.Term != l.myTerm || tr == nil || m.Transition != tr.id || res.ID < 0 || res.ID >= len(tr.state) || tr.state[res.ID] != actInflight {
		l.dirty = true
		return
	}
	if res.OK {
		tr.state[res.ID] = actDone
		tr.inflight--
		tr.done++
		c.dispatchIfLeased(ctx)
		return
	}
	why := res.Error
	if res.Refused {
		why = "refused by " + from + ": " + why
	}
	c.fail(tr, res.ID, why)
}

func (c *Controller) dispatchIfLeased(ctx context.Context) {
	if tr := c.loop.trans; tr != nil && !tr.aborted && c.leaseValid() {
		c.dispatch(ctx)
	}
}
