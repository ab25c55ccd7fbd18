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
	sent     []sentState // timeout.go: what the DC held when each action was sent
	preds    [][]int
	inflight int
	done     int
	failed   int
	aborted  bool
	// announced: members holding a majority of the votes kept the view
	// that lists this transition's starts (viewAcks), so a successor DC
	// will know them even if this DC and a target die together.
	announced bool
	viewAcks  map[string]bool
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
		if !tr.aborted && tr.announced && c.leaseValid() {
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
			if tr.aborted {
				c.log.Info("transition aborted; rescheduling from the current state", "transition", tr.id, "done", tr.done, "actions", len(tr.t.Actions))
			} else {
				c.log.Info("transition complete", "transition", tr.id, "actions", len(tr.t.Actions))
			}
		}
	}
	if !l.dirty || !c.leaseValid() || len(l.applies) > 0 {
		return // a policy being applied is scheduled once acknowledged
	}
	l.dirty = false
	st := c.snapshot()
	now := c.clk.Now()
	t := policy.Schedule(l.cfg, st, now)
	c.ensureMonitors(&t, st)
	l.recheck = time.Time{}
	if t.NextRecheck != nil {
		l.recheck = *t.NextRecheck
	}
	for _, w := range t.Warnings {
		c.log.Warn("scheduler: " + w)
	}
	l.transSeq++
	c.broadcastStatus(ctx, st, &t, l.transSeq)
	if len(t.Actions) == 0 {
		l.lastInfo = &transitionInfo{ID: l.transSeq, State: "complete"}
		return
	}
	tr := &transition{id: l.transSeq, term: l.myTerm, cfg: l.cfg, t: t, viewAcks: map[string]bool{c.node: true},
		state: make([]actState, len(t.Actions)), deadline: make([]time.Time, len(t.Actions)), sent: make([]sentState, len(t.Actions)), preds: make([][]int, len(t.Actions))}
	for _, e := range t.Edges {
		if e.After >= 0 && e.After < len(tr.preds) && e.Before >= 0 && e.Before < len(tr.preds) {
			tr.preds[e.After] = append(tr.preds[e.After], e.Before)
		}
	}
	l.trans = tr
	c.log.Info("new transition", "transition", tr.id, "term", tr.term, "actions", len(t.Actions),
		"summary", strings.Join(policy.Summarize(t, st), "; "))
	c.checkAnnounced(ctx)
}

// onViewAck counts a member that kept the view of a transition.
func (c *Controller) onViewAck(ctx context.Context, from string, m message) {
	l := &c.loop
	tr := l.trans
	if !l.isDC || tr == nil || m.Term != l.myTerm || m.Seq != tr.id {
		return
	}
	tr.viewAcks[from] = true
	c.checkAnnounced(ctx)
}

// checkAnnounced starts dispatching once the view is kept by members
// holding a majority of the votes (two_node: this node alone).
func (c *Controller) checkAnnounced(ctx context.Context) {
	l := &c.loop
	tr := l.trans
	if tr.announced {
		return
	}
	votes := c.witnessVote() // the witness keeps no view; its vote counts as in the quorum
	for n := range tr.viewAcks {
		votes += l.nodeVotes(n)
	}
	if l.twoNode() || 2*votes > l.totalVotes() {
		tr.announced = true
		if c.leaseValid() && !tr.aborted {
			c.dispatch(ctx)
		}
	}
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
			if isDevice(tr.cfg, a.Resource) {
				// Fencing devices run on demand in the fencer; the
				// scheduler places them like resources, and the DC
				// only records where.
				l.placeDevice(a)
				tr.state[i] = actDone
				tr.done++
				changed = true
				continue
			}
			if !l.present(a.Node) || l.joined[a.Node] == nil {
				c.fail(tr, i, "node "+a.Node+" is not a joined member")
				continue
			}
			m, ok := l.actionFor(tr.cfg, a)
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
	l := &c.loop
	if rs, ok := mayStart(tr.t.Actions[i]); ok {
		if l.maybe[node] == nil {
			l.maybe[node] = map[string]policy.ResourceStatus{}
		}
		l.maybe[node][rs.ID] = rs
	}
	m.NodeBoot = c.actionBoot(node) // replay.go: refused by another boot of node
	m.DeadlineNS = deadline.UnixNano()
	tr.state[i] = actInflight
	tr.deadline[i] = deadline
	tr.sent[i] = l.sentStateOf(node, tr.t.Actions[i].Resource)
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
	for i, a := range tr.t.Actions {
		if tr.state[i] != actInflight || !now.After(tr.deadline[i]) {
			continue
		}
		if a.Kind == policy.ActionStop || a.Kind == policy.ActionDemote {
			// A stop that cannot be confirmed leaves the resource's
			// state unknown there: fence the node (or block it),
			// unless the node's next report says otherwise.
			c.loop.updateResource(a.Node, policy.ResourceStatus{ID: a.Resource, Role: policy.RoleStopped, FailedStop: true})
		}
		if c.loop.noteTimedOutStart(a, tr.sent[i], now) {
			c.log.Warn("a start or promotion got no result in time; counting it as failed and maybe active there, so it is stopped there first",
				"node", a.Node, "resource", a.Resource, "action", policy.FormatAction(a))
		}
		c.fail(tr, i, "no result within its timeout plus margin: counted as failed")
	}
}

// onResult takes an action's outcome (DC side).
func (c *Controller) onResult(ctx context.Context, from string, m message) {
	l := &c.loop
	res := m.Result
	if !l.isDC {
		return
	}
	tr := l.trans
	if res.Resource != nil {
		exact := tr != nil && m.Term == l.myTerm && m.Transition == tr.id && res.ID >= 0 && res.ID < len(tr.state) &&
			tr.state[res.ID] == actInflight && tr.t.Actions[res.ID].Resource == res.Resource.ID && tr.t.Actions[res.ID].Node == from
		applied := l.applyResult(from, res) // seqs.go
		if exact || applied {
			// A result older than the state held (late, or replayed:
			// replay.go) settles nothing.
			l.settleMaybe(from, *res.Resource, exact)
		}
		if !applied {
			c.log.Debug("ignoring an action result older than the state held", "node", from, "resource", res.Resource.ID, "seq", res.Seq)
		}
		if r := l.joined[from]; r != nil && r != l.known[from] {
			l.joined[from] = l.known[from]
		}
	}
	if res.Fence != nil {
		c.fenceDone(ctx, from, *res.Fence)
	}
	if m.Term != l.myTerm || tr == nil || m.Transition != tr.id || res.ID < 0 || res.ID >= len(tr.state) || tr.state[res.ID] != actInflight {
		l.dirty = true
		return
	}
	if res.OK {
		if a := tr.t.Actions[res.ID]; a.Kind == policy.ActionMonitor {
			if r := l.joined[from]; r != nil {
				if r.Monitors == nil {
					r.Monitors = map[string][]int64{}
				}
				r.Monitors[a.Resource] = append(r.Monitors[a.Resource], time.Duration(a.Interval).Milliseconds())
			}
		}
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
	if tr := c.loop.trans; tr != nil && !tr.aborted && tr.announced && c.leaseValid() {
		c.dispatch(ctx)
	}
}

// settleMaybe forgets that node may run rs.ID because of a start or
// promotion sent without a result, once that is settled: exact (the
// result of that very action), or a state from the node that already
// shows the resource in the role the action could leave. Any other
// result or report may predate the action (a report crosses the action
// on the wire; a late result of an older action of the resource) and
// settles nothing: if the node is lost, it may have run the action.
// Found by the simulation (see docs/reliability.md, seed 2108).
func (l *loopState) settleMaybe(node string, rs policy.ResourceStatus, exact bool) {
	want, ok := l.maybe[node][rs.ID]
	if !ok {
		return
	}
	if exact || covers(rs, want) {
		delete(l.maybe[node], rs.ID)
	}
}

// covers reports whether a reported state rs already counts what a
// pending start or promotion (want) may leave behind.
func covers(rs, want policy.ResourceStatus) bool {
	if want.Role == policy.RolePromoted {
		return rs.Role == policy.RolePromoted
	}
	return active(rs)
}
