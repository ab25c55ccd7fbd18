package controller

import (
	"context"
	"strings"

	"github.com/ward-ha/ward/fencing"
	"github.com/ward-ha/ward/policy"
)

// This file is no_quorum_policy, applied by each node on its own, without
// a DC: a partition without quorum has no coordinator. stop: stop every
// resource this node runs (promoted instances demoted first); demote:
// demote promoted instances and stop the others; freeze: keep what runs
// and start nothing (onAction refuses starts and promotions); ignore:
// carry on; suicide: self-fence (Config.SelfFence), or stop when this
// node cannot self-fence. The local actions and their order come from
// policy.Schedule run on this node's own state with Quorate false.

// nqState is the no-quorum worker's state.
type nqState struct {
	running   bool
	suicided  bool
	hadQuorum bool // quorate at some point since this daemon started
}

// noQuorum starts the local no-quorum actions when needed.
func (c *Controller) noQuorum(ctx context.Context) {
	l := &c.loop
	if l.mem.Quorum.Quorate {
		l.nq.hadQuorum = true
		return
	}
	if l.nq.running || l.probing {
		return
	}
	p := noQuorumPolicy(l.cfg)
	switch p {
	case policy.NoQuorumIgnore, policy.NoQuorumFreeze:
		return
	case policy.NoQuorumSuicide:
		// A node that never had quorum since it started lost nothing:
		// it is waiting for the others, not cut off from them.
		if !l.nq.suicided && l.nq.hadQuorum {
			l.nq.suicided = true
			if c.suicide == nil {
				c.log.Error("no quorum and no_quorum_policy = suicide, but this node has no way to fence itself; stopping its resources instead")
			} else {
				c.log.Error("no quorum and no_quorum_policy = suicide: fencing this node itself")
				if err := c.suicide(); err != nil {
					c.log.Error("self-fencing failed; stopping this node's resources instead", "err", err)
				}
			}
		}
	}
	acts := c.localNoQuorumActions()
	if len(acts) == 0 {
		return
	}
	l.nq.running = true
	cfg := l.cfg
	var names []string
	for _, a := range acts {
		names = append(names, policy.FormatAction(a))
	}
	c.log.Warn("no quorum: stopping this node's resources on its own", "policy", p, "actions", strings.Join(names, "; "))
	c.goWorker(ctx, func(ctx context.Context) {
		for _, a := range acts {
			m, ok := actionFor(cfg, a)
			if !ok {
				continue
			}
			if res := c.runAction(ctx, cfg, 0, "", m, fencing.Options{}); !res.OK {
				c.log.Error("no quorum: a local action failed", "action", policy.FormatAction(a), "err", res.Error)
			}
		}
		c.post(ctx, func(context.Context) {
			l.nq.running = false
			l.reportDirty = true
		})
	})
}

// localNoQuorumActions schedules this node alone without quorum and
// returns its stops and demotions in dependency order.
func (c *Controller) localNoQuorumActions() []policy.Action {
	l := &c.loop
	rep := c.report(false)
	st := policy.Status{Quorate: false}
	for _, n := range l.cfg.Nodes {
		ns := policy.NodeStatus{Name: n.Name, State: policy.NodeOffline}
		if n.Name == c.node {
			ns.State, ns.Resources, ns.Attributes = policy.NodeOnline, rep.Resources, rep.Attributes
		}
		st.Nodes = append(st.Nodes, ns)
	}
	t := policy.Schedule(l.cfg, st, c.clk.Now())
	local := map[int]bool{}
	for _, a := range t.Actions {
		if a.Node == c.node && !a.Implied && (a.Kind == policy.ActionStop || a.Kind == policy.ActionDemote) {
			local[a.ID] = true
		}
	}
	preds := map[int][]int{}
	for _, e := range t.Edges {
		if local[e.Before] && local[e.After] {
			preds[e.After] = append(preds[e.After], e.Before)
		}
	}
	var out []policy.Action
	done := map[int]bool{}
	for progress := true; progress; {
		progress = false
		for _, a := range t.Actions {
			if !local[a.ID] || done[a.ID] {
				continue
			}
			ready := true
			for _, p := range preds[a.ID] {
				ready = ready && done[p]
			}
			if ready {
				done[a.ID] = true
				out = append(out, a)
				progress = true
			}
		}
	}
	return out
}
