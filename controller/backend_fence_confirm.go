package controller

import (
	"context"

	"github.com/ward-ha/ward/api"
)

// This file serves `ward fence confirm NODE` (api.FenceConfirm): no
// device runs; an operator states that NODE is powered off, having
// checked it by hand, and the DC records that as a successful fencing of
// the node's latest boot (Pacemaker's stonith_admin --confirm). It is the
// way out when a lost node cannot be fenced (its device is gone with it,
// or it is a node startup fencing wants and nobody can reach): until
// then nothing that may run there is recovered. A lie here can run a
// resource twice, so the DC refuses it for a node that is up, and the
// record names the operator.

// confirmFence records req.Node as fenced on the operator's word (loop
// goroutine, DC with quorum and lease).
func (c *Controller) confirmFence(ctx context.Context, req api.FenceRequest) (api.FenceResult, uint64, <-chan FenceRecord, error) {
	l := &c.loop
	victim := req.Node
	switch {
	case !configuredNode(l, victim):
		return api.FenceResult{}, 0, nil, api.Errorf(api.CodeUnknownNode, "fence confirm: node %q is not in the policy", victim)
	case victim == c.node || l.present(victim):
		return api.FenceResult{}, 0, nil, api.Errorf(api.CodeConflict,
			"fence confirm: node %s is up (its daemon answers in the cluster's membership), so it cannot be confirmed off; fence it with ward fence %s, or stop its daemon", victim, victim)
	}
	b, known := l.boots[victim]
	if !known {
		// Nobody has seen it since the cluster started: the operator's
		// word covers whatever it ran (startup.go).
		b = c.giveStartupBoot(victim)
	}
	now := c.clk.Now()
	rec := FenceRecord{Target: victim, Boot: b.ID, Action: api.FenceConfirm, Device: "manual confirmation", Executor: c.node,
		RequestedBy: req.RequestedBy, Term: l.myTerm, OK: true, Started: now, Completed: now}
	if err := c.store.AppendFencing(rec); err != nil {
		return api.FenceResult{}, 0, nil, api.Errorf(api.CodeInternal, "fence confirm: the DC (%s) could not persist the confirmation, nothing was recorded: %v", c.node, err)
	}
	c.log.Warn("node confirmed off by an operator (no device ran): its resources may now be recovered elsewhere",
		"node", victim, "requested_by", req.RequestedBy, "boot", short(b.ID))
	c.opFenceDone(ctx, c.node, rec)
	done := make(chan FenceRecord, 1)
	done <- rec
	return fenceResult(rec), 0, done, nil
}
