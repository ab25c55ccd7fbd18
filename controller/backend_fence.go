package controller

import (
	"context"
	"fmt"
	"time"

	"github.com/ward-ha/ward/api"
	"github.com/ward-ha/ward/fencing"
)

// This file serves `ward fence NODE` (api.FenceBackend). The request
// reaches the DC (a member forwards it), which fences only while it
// holds quorum and its lease. It runs the node's devices itself unless
// it is the victim, else on another joined member (msgOpFence): never on
// the victim through a power device. The fencer persists the result
// before reporting it; the DC persists it, applies it (a successful fence
// makes that boot of the node clean: its resources are recovered) and
// announces it to every member, failures included, with the requester
// in the history.

const (
	msgOpFence  msgKind = "op-fence"  // DC -> fencer: fence Fence.Target for an operator (Seq: request id)
	msgOpFenced msgKind = "op-fenced" // fencer -> DC: the result (Seq echoed, Fence)
)

// opFenceWait is how long the API waits for a requested fence before
// answering Pending; it stays under a forwarded request's timeout.
const opFenceWait = 25 * time.Second

// opFences are the operator fences run on other members, by request id.
type opFences struct {
	next    uint64
	pending map[uint64]chan FenceRecord
}

var _ api.FenceBackend = (*Controller)(nil)

// Fence fences req.Node on request (DC only).
func (c *Controller) Fence(ctx context.Context, req api.FenceRequest) (api.FenceResult, error) {
	if err := req.Check(); err != nil {
		return api.FenceResult{}, err
	}
	if req.RequestedBy == "" {
		req.RequestedBy = "operator"
	}
	type started struct {
		res  api.FenceResult
		seq  uint64
		done <-chan FenceRecord
		err  error
	}
	ch := make(chan started, 1)
	if err := c.call(ctx, func(ctx context.Context) {
		res, seq, done, err := c.startOpFence(ctx, req)
		ch <- started{res, seq, done, err}
	}); err != nil {
		return api.FenceResult{}, err
	}
	s, err := wait(ctx, ch)
	if err != nil {
		return api.FenceResult{}, err
	}
	if s.err != nil {
		return api.FenceResult{}, s.err
	}
	t := c.clk.NewTimer(opFenceWait)
	defer t.Stop()
	select {
	case rec := <-s.done:
		return fenceResult(rec), nil
	case <-t.C():
	case <-ctx.Done():
	}
	if s.seq != 0 {
		// A late answer is still applied (onOpFenced); nobody waits.
		_ = c.call(context.WithoutCancel(ctx), func(context.Context) { delete(c.loop.ops.pending, s.seq) })
	}
	s.res.Pending = true
	return s.res, nil
}

// startOpFence checks a request and starts the fence (loop goroutine).
// It returns the result so far, the id of a fence run on another member
// (0 when this node runs it) and the channel of the final record.
func (c *Controller) startOpFence(ctx context.Context, req api.FenceRequest) (api.FenceResult, uint64, <-chan FenceRecord, error) {
	l := &c.loop
	victim := req.Node
	if req.Action == api.FenceConfirm && l.isDC && l.mem.Quorum.Quorate && c.leaseValid() {
		return c.confirmFence(ctx, req) // backend_fence_confirm.go
	}
	switch {
	case !l.isDC:
		return api.FenceResult{}, 0, nil, api.Errorf(api.CodeNotDC, "this node (%s) is not the DC", c.node)
	case !l.mem.Quorum.Quorate || !c.leaseValid():
		return api.FenceResult{}, 0, nil, api.Errorf(api.CodeNoQuorum, "the DC has no quorum (or no answer from a majority within its lease): it fences nothing now")
	case !configuredNode(l, victim):
		return api.FenceResult{}, 0, nil, api.Errorf(api.CodeUnknownNode, "fence: node %q is not in the policy", victim)
	case len(devicesFor(l.cfg, victim)) == 0:
		return api.FenceResult{}, 0, nil, api.Errorf(api.CodeBadRequest, "fence: no fencing device lists node %s; add it to the nodes of a [[fencing.device]]", victim)
	case watchdogOnly(l.cfg, victim):
		return api.FenceResult{}, 0, nil, api.Errorf(api.CodeBadRequest,
			"fence: node %s is fenced only through the watchdog plugin, which cannot take a node down on request (it waits for a lost node to have stopped); stop its daemon instead (it stops its resources first)", victim)
	}
	fencer := ""
	if victim != c.node {
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
		return api.FenceResult{}, 0, nil, api.Errorf(api.CodeConflict, "fence: %s is the DC and no other member is up to run its devices (a node never fences itself)", victim)
	}
	now := c.clk.Now()
	res := api.FenceResult{Node: victim, Executor: fencer, RequestedBy: req.RequestedBy, Started: now}
	if _, known := l.boots[victim]; !known && !l.present(victim) && startupFencing(l.cfg) {
		// A node nobody has seen: startup fencing (startup.go) would
		// give it a placeholder boot; this fence covers that one.
		c.giveStartupBoot(victim)
	}
	boot, term, cfg := l.boots[victim].ID, l.myTerm, l.cfg
	c.log.Warn("fencing a node on request", "node", victim, "action", req.Action, "requested_by", req.RequestedBy, "fencer", fencer)
	done := make(chan FenceRecord, 1)
	if fencer == c.node {
		c.goWorker(ctx, func(ctx context.Context) {
			r := c.runFence(ctx, cfg, victim, fencing.Options{Action: req.Action})
			rec := fenceRecord(r, term, boot)
			rec.RequestedBy = req.RequestedBy
			if err := c.store.AppendFencing(rec); err != nil {
				rec.OK, rec.Error = false, "fenced, but the result could not be persisted: "+err.Error()
			}
			c.post(ctx, func(ctx context.Context) {
				c.opFenceDone(ctx, c.node, rec)
				done <- rec
			})
		})
		return res, 0, done, nil
	}
	if l.ops.pending == nil {
		l.ops.pending = map[uint64]chan FenceRecord{}
	}
	l.ops.next++
	seq := l.ops.next
	l.ops.pending[seq] = done
	c.send(ctx, fencer, message{Kind: msgOpFence, Term: term, Seq: seq,
		Fence: &FenceRecord{Target: victim, Boot: boot, Action: req.Action, RequestedBy: req.RequestedBy, Term: term}})
	return res, seq, done, nil
}

// configuredNode reports whether name is a node of the policy.
func configuredNode(l *loopState, name string) bool {
	for _, n := range l.cfg.Nodes {
		if n.Name == name {
			return true
		}
	}
	return false
}

// onOpFence runs a fence the DC asked for on an operator's behalf
// (fencer side) and answers with the persisted result.
func (c *Controller) onOpFence(ctx context.Context, from string, m message) {
	l := &c.loop
	seen := c.observe(m.Term, from)
	req := *m.Fence
	answer := func(rec FenceRecord) {
		c.send(ctx, from, message{Kind: msgOpFenced, Term: max(seen, m.Term), Seq: m.Seq, Fence: &rec})
	}
	now := c.clk.Now()
	refuse := func(why string) {
		c.log.Warn("refusing a fence request", "from", from, "node", req.Target, "reason", why)
		answer(FenceRecord{Target: req.Target, Boot: req.Boot, Action: req.Action, Executor: c.node, RequestedBy: req.RequestedBy,
			Term: m.Term, Error: why, Started: now, Completed: now})
	}
	switch {
	case m.Term < seen:
		refuse(fmt.Sprintf("stale term %d: this node has seen term %d", m.Term, seen))
		return
	case req.Target == c.node:
		refuse("a node never fences itself")
		return
	}
	cfg := l.cfg
	c.goWorker(ctx, func(ctx context.Context) {
		r := c.runFence(ctx, cfg, req.Target, fencing.Options{Action: req.Action})
		rec := fenceRecord(r, m.Term, req.Boot)
		rec.RequestedBy = req.RequestedBy
		if err := c.store.AppendFencing(rec); err != nil {
			rec.OK, rec.Error = false, "fenced, but the result could not be persisted: "+err.Error()
		}
		c.post(ctx, func(context.Context) { answer(rec) })
	})
}

// onOpFenced takes a fencer's answer (DC side).
func (c *Controller) onOpFenced(ctx context.Context, from string, m message) {
	l := &c.loop
	rec := *m.Fence
	c.opFenceDone(ctx, from, rec)
	if ch := l.ops.pending[m.Seq]; ch != nil {
		delete(l.ops.pending, m.Seq)
		ch <- rec
	}
}

// opFenceDone persists, applies and announces an operator's fence.
func (c *Controller) opFenceDone(ctx context.Context, from string, rec FenceRecord) {
	l := &c.loop
	if from != c.node {
		c.persistFence(rec)
	}
	c.recordFence(rec)
	if rec.OK {
		c.log.Warn("node fenced on request; its resources may now be recovered", "node", rec.Target, "device", rec.Device,
			"by", rec.Executor, "requested_by", rec.RequestedBy, "took", rec.Completed.Sub(rec.Started).Round(time.Millisecond))
	} else {
		c.log.Error("FENCING FAILED (requested by an operator): the node was not fenced; check the device",
			"node", rec.Target, "device", rec.Device, "by", rec.Executor, "requested_by", rec.RequestedBy, "err", rec.Error)
	}
	if !l.isDC {
		return
	}
	for _, n := range l.presentNodes() {
		if n != c.node && n != from {
			c.send(ctx, n, message{Kind: msgFenced, Term: l.myTerm, Fence: &rec})
		}
	}
}

// fenceResult converts a record for the API.
func fenceResult(r FenceRecord) api.FenceResult {
	return api.FenceResult{Node: r.Target, Action: r.Action, Device: r.Device, Executor: r.Executor, RequestedBy: r.RequestedBy,
		OK: r.OK, Error: r.Error, Started: r.Started, Completed: r.Completed}
}
