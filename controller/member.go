package controller

import (
	"context"
	"fmt"
	"time"

	"github.com/ward-ha/ward/fencing"
	"github.com/ward-ha/ward/policy"
	"github.com/ward-ha/ward/resources"
)

// This file is the member side of a transition: run what the DC of the
// highest term sends, refuse anything of a lower term, and report the
// outcome (with the resource's new state read from the executor) to the
// DC of the highest term only.

// onAction runs one action sent by a DC.
func (c *Controller) onAction(ctx context.Context, from string, m message) {
	l := &c.loop
	a := m.Action
	seen := c.observe(m.Term, from)
	refuse := func(why string) {
		c.log.Warn("refusing an action", "from", from, "term", m.Term, "action", a.Kind, "resource", a.Resource, "reason", why)
		c.send(ctx, from, message{Kind: msgResult, Term: max(seen, m.Term), Transition: m.Transition,
			Result: &resultMsg{ID: a.ID, Refused: true, Error: why}})
	}
	if m.Term < seen {
		refuse(fmt.Sprintf("stale term %d: this node has seen term %d", m.Term, seen))
		return
	}
	if why := c.admitAction(m); why != "" {
		refuse(why) // replay.go: another boot's, late or replayed
		return
	}
	c.follow(from, m.Term)
	if a.Node != c.node {
		refuse("the action is for node " + a.Node)
		return
	}
	starts := a.Kind == policy.ActionStart || a.Kind == policy.ActionPromote
	if starts && !l.mem.Quorum.Quorate && noQuorumPolicy(l.cfg) != policy.NoQuorumIgnore {
		refuse("this node has no quorum")
		return
	}
	pa := policy.Action{ID: a.ID, Kind: a.Kind, Resource: a.Resource, Node: a.Node, Interval: policy.Duration(time.Duration(a.IntervalMS) * time.Millisecond)}
	if a.Kind == policy.ActionFence {
		pa.Node = a.Target
	}
	if c.hooks.Executing != nil {
		c.hooks.Executing(m.Term, seen, pa)
	}
	cfg := l.cfg
	term, tid := m.Term, m.Transition
	if a.Resource != "" {
		l.inflight[a.Resource] = a.Kind
	}
	actx, release := ctx, func() {}
	var fopts fencing.Options
	if a.Kind == policy.ActionFence {
		actx, _, release = c.fenceContext(ctx, a.Target, a.Boot)
		// The priority delay, from this node's latest view, as the
		// two_node claim fence does (fence_priority.go): whichever path
		// fences, the node running the more important resources is
		// fenced later.
		fopts = c.fenceOptions(cfg, a.Target)
	}
	if starts {
		actx, release = c.guardStart(ctx, m.Term, a) // guard.go
	}
	c.goWorker(ctx, func(ctx context.Context) {
		res := c.runAction(actx, cfg, term, from, a, fopts)
		c.post(ctx, func(ctx context.Context) {
			release()
			res.Boot = c.currentBoot(c.node, "") // seqs.go
			if l.inflight[a.Resource] == a.Kind {
				delete(l.inflight, a.Resource)
			}
			c.reportResult(ctx, term, tid, res)
		})
	})
}

// reportResult sends a result to the DC of the highest term.
func (c *Controller) reportResult(ctx context.Context, term, tid uint64, res *resultMsg) {
	l := &c.loop
	seen := c.store.Term().Seen
	if l.dcName == "" || l.dcTerm != seen {
		c.log.Info("no DC to report an action result to; it will be in the next join report", "action", res.ID)
		return
	}
	if term != seen {
		// The transition belongs to an old DC: tell the current one.
		l.reportDirty = true
		return
	}
	c.send(ctx, l.dcName, message{Kind: msgResult, Term: term, Transition: tid, Result: res})
}

// runAction runs a on this node and blocks until it is done; fo are the
// options of a fence.
func (c *Controller) runAction(ctx context.Context, cfg *policy.Config, term uint64, dc string, a *actionMsg, fo fencing.Options) *resultMsg {
	out := &resultMsg{ID: a.ID}
	timeout := time.Duration(a.TimeoutMS) * time.Millisecond
	switch a.Kind {
	case policy.ActionFence:
		if c.fencer == nil {
			out.Error = "this node has no fencer"
			return out
		}
		res := c.runFence(ctx, cfg, a.Target, fo)
		rec := fenceRecord(res, term, a.Boot)
		rec.RequestedBy = dc
		if err := c.store.AppendFencing(rec); err != nil {
			rec.OK = false
			rec.Error = "fenced, but the result could not be persisted: " + err.Error()
		}
		out.OK, out.Fence, out.Error = rec.OK, &rec, rec.Error
		return out
	case policy.ActionClearFailcount:
		c.ex.ClearFailures(a.Resource)
		out.OK = true
	case policy.ActionMonitor:
		iv := time.Duration(a.IntervalMS) * time.Millisecond
		expect := resources.OK
		if a.Expect != 0 {
			expect = resources.Code(a.Expect)
		}
		err := c.ex.StartMonitor(resources.MonitorSpec{Resource: a.Resource, Agent: a.Agent, Params: a.Params, Meta: a.Meta,
			Interval: iv, Timeout: timeout, Expect: expect})
		out.OK = err == nil
		if err != nil {
			out.Error = err.Error()
		}
	default:
		op := string(a.Kind)
		if a.Kind == policy.ActionProbe {
			op = resources.ActionMonitor
		}
		if a.Kind == policy.ActionStop || a.Kind == policy.ActionDemote || a.Kind == policy.ActionPromote {
			for _, m := range c.ex.Monitors(a.Resource) {
				c.ex.StopMonitor(a.Resource, m.Interval)
			}
		}
		r, err := c.ex.Exec(ctx, resources.Request{Resource: a.Resource, Agent: a.Agent, Action: op,
			Params: a.Params, Meta: a.Meta, Timeout: timeout, Term: term}) // term: refused if stale when the agent call begins
		switch {
		case err != nil:
			out.Error = err.Error()
		case r.Failure() != resources.SeverityNone:
			out.Error = fmt.Sprintf("%s %s: rc %d %s %s", op, a.Resource, int(r.Code), r.Kind, r.Output)
		default:
			out.OK = true
		}
	}
	if h, ok := c.ex.History(a.Resource); ok {
		rs := statusFromHistory(h)
		out.Resource, out.Seq = &rs, historySeq(h)
	}
	return out
}
