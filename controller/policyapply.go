package controller

import (
	"bytes"
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/ward-ha/ward/api"
	"github.com/ward-ha/ward/policy"
)

// This file is the replicated policy. Apply (DC only): validate, diff,
// simulate the transition, require quorum and the lease, bump the epoch,
// persist, send to every member (each persists before it acknowledges),
// answer once every present member acknowledged, then schedule. At join
// the higher epoch wins; equal epochs with different content stop
// scheduling and raise an alert until an operator applies a new policy.

// applyWait bounds the wait for members' acknowledgements.
const applyWait = 10 * time.Second

// pendingApply is an applied policy waiting for acknowledgements.
type pendingApply struct {
	epoch    uint64
	waiting  map[string]bool
	deadline time.Time
	result   api.ApplyResult
	reply    chan applyReply
}

type applyReply struct {
	res api.ApplyResult
	err error
}

func (p *pendingApply) fail(err error) {
	select {
	case p.reply <- applyReply{err: err}:
	default:
	}
}

func (p *pendingApply) succeed() {
	select {
	case p.reply <- applyReply{res: p.result}:
	default:
	}
}

// errLeaseLapsed refuses a change while the DC's lease is not held
// (members holding a majority did not answer recently). ApplyPolicy
// retries it for a few lease intervals before returning it.
var errLeaseLapsed = api.Errorf(api.CodeNoQuorum, "the DC has not heard from members holding a majority of the votes within its lease: a policy can only be applied with quorum")

func errNotDC(msg string) error { return api.Errorf(api.CodeNotDC, "%s", msg) }

// applyPolicy runs on the loop; it answers on reply (buffered).
func (c *Controller) applyPolicy(ctx context.Context, req api.ApplyRequest, reply chan applyReply) {
	l := &c.loop
	src := []byte(req.Source)
	cfg, err := policy.Parse("policy.toml", src)
	if err == nil {
		err = checkNodeCount(cfg)
	}
	if err == nil {
		err = checkWitnessChange(l.cfg, cfg)
	}
	if err != nil {
		reply <- applyReply{err: api.Errorf(api.CodeInvalidPolicy, "%v", err)}
		return
	}
	res := api.ApplyResult{Epoch: l.pol.Epoch, Diff: policyDiff(l.cfg, cfg)}
	var st policy.Status
	switch {
	case l.isDC:
		st = c.snapshot()
	case l.view != nil:
		st = l.view.Status
	}
	t := policy.Schedule(cfg, st, c.clk.Now())
	for _, a := range t.Actions {
		pa := api.PlannedAction{ID: a.ID, Kind: string(a.Kind), Resource: a.Resource, Node: a.Node, Reason: a.Reason}
		if a.Interval > 0 {
			pa.Interval = time.Duration(a.Interval).String()
		}
		res.Actions = append(res.Actions, pa)
	}
	res.Warnings = t.Warnings
	if cfg.Cluster.Witness != l.cfg.Cluster.Witness {
		res.Warnings = append(res.Warnings, fmt.Sprintf("cluster.witness changes from %q to %q: each daemon counts it from its next start; restart them one at a time",
			l.cfg.Cluster.Witness, cfg.Cluster.Witness))
	}
	var memberErr error
	if l.isDC {
		memberErr = c.checkMembershipChange(cfg) // membership.go
	}
	if req.DryRun {
		if memberErr != nil {
			res.Warnings = append(res.Warnings, "applying it now would be refused: "+memberErr.Error())
		}
		reply <- applyReply{res: res}
		return
	}
	switch {
	case !l.isDC:
		dc := "no DC is elected"
		if l.dcName != "" && l.dcTerm == c.store.Term().Seen {
			dc = "the DC is " + l.dcName
		}
		reply <- applyReply{err: errNotDC(fmt.Sprintf("this node (%s) is not the DC; %s: apply the policy there", c.node, dc))}
		return
	case !l.mem.Quorum.Quorate:
		reply <- applyReply{err: api.Errorf(api.CodeNoQuorum, "this partition has no quorum (%d of %d votes needed): a policy can only be applied with quorum", l.mem.Quorum.Votes, l.mem.Quorum.Needed)}
		return
	case !c.leaseValid():
		reply <- applyReply{err: errLeaseLapsed}
		return
	case policyHash(src) == l.pol.SHA256:
		reply <- applyReply{res: res}
		return
	case memberErr != nil:
		reply <- applyReply{err: memberErr}
		return
	}
	// Every present member gets the policy, a node it removes included
	// (it learns that it was removed and stops); the DC waits for the
	// acknowledgements of the nodes the new policy lists.
	targets := l.presentNodes()
	removed := diffMembership(l.cfg, cfg).removed
	epoch := l.pol.Epoch + 1
	if err := c.store.SavePolicy(epoch, src); err != nil {
		reply <- applyReply{err: api.Errorf(api.CodeInternal, "save the policy on the DC: %v", err)}
		return
	}
	c.adopt(cfg, c.store.Policy(), false)
	c.forgetFlags(removed) // membership.go: a node added back later starts clean
	l.conflict = ""
	res.Applied, res.Epoch = true, epoch
	p := &pendingApply{epoch: epoch, waiting: map[string]bool{}, deadline: c.clk.Now().Add(applyWait), result: res, reply: reply}
	for _, n := range targets {
		if n != c.node {
			if listed(cfg, n) {
				p.waiting[n] = true
			}
			c.send(ctx, n, message{Kind: msgPolicy, Term: l.myTerm, Epoch: epoch, Source: src})
		}
	}
	c.log.Info("policy applied; waiting for every member to persist it", "epoch", epoch, "members", len(p.waiting))
	if len(p.waiting) == 0 {
		p.succeed()
		return
	}
	l.applies = append(l.applies, p)
}

// adopt makes cfg (saved as pol) the live policy. catchUp reports that
// it is the cluster's policy this node caught up with at a join, not one
// being applied now (startup.go).
func (c *Controller) adopt(cfg *policy.Config, pol PolicyState, catchUp bool) {
	l := &c.loop
	l.cfg, l.pol = cfg, pol
	if catchUp {
		c.noteCatchUpNodes() // startup.go
	}
	c.cl.SetEpoch(pol.Epoch)
	c.followMembership() // membership.go: admission, re-joins and votes follow the new epoch at once
	l.dirty = true
	l.reportDirty = true
}

// onPolicy persists a policy the DC sent, then acknowledges it.
func (c *Controller) onPolicy(ctx context.Context, from string, m message) {
	l := &c.loop
	seen := c.observe(m.Term, from)
	ack := message{Kind: msgPolicyAck, Term: max(seen, m.Term), Epoch: m.Epoch}
	if m.Term < seen {
		ack.Error = fmt.Sprintf("stale term %d (this node has seen %d)", m.Term, seen)
		c.send(ctx, from, ack)
		return
	}
	c.follow(from, m.Term)
	if m.Epoch <= l.pol.Epoch && policyHash(m.Source) == l.pol.SHA256 {
		c.send(ctx, from, ack)
		return
	}
	cfg, err := policy.Parse("policy.toml", m.Source)
	if err == nil {
		err = c.store.SavePolicy(m.Epoch, m.Source)
	}
	if err != nil {
		c.log.Error("refusing a policy from the DC", "dc", from, "epoch", m.Epoch, "err", err)
		ack.Error = err.Error()
		c.send(ctx, from, ack)
		return
	}
	c.adopt(cfg, c.store.Policy(), m.CatchUp)
	c.log.Info("new policy persisted", "epoch", m.Epoch, "from", from)
	if c.mship.removed != 0 {
		// This node stops right after: acknowledge before the senders go.
		c.ackRemoved(ctx, from, ack)
		return
	}
	c.send(ctx, from, ack)
	c.probeThen(ctx, func(context.Context) { l.reportDirty = true })
}

// onPolicyAck counts an acknowledgement (DC side).
func (c *Controller) onPolicyAck(from string, m message) {
	l := &c.loop
	if r := l.joined[from]; r != nil && m.Error == "" && m.Epoch > r.Epoch {
		r.Epoch = m.Epoch
	}
	keep := l.applies[:0]
	for _, p := range l.applies {
		if p.epoch == m.Epoch && p.waiting[from] {
			delete(p.waiting, from)
			if m.Error != "" {
				p.result.Warnings = append(p.result.Warnings, fmt.Sprintf("%s refused the policy: %s", from, m.Error))
			}
		}
		if len(p.waiting) == 0 {
			p.succeed()
			continue
		}
		keep = append(keep, p)
	}
	l.applies = keep
}

// checkApplies answers applies whose members did not all acknowledge.
func (c *Controller) checkApplies() {
	l := &c.loop
	now := c.clk.Now()
	keep := l.applies[:0]
	for _, p := range l.applies {
		for n := range p.waiting {
			if !l.present(n) {
				delete(p.waiting, n)
				p.result.Warnings = append(p.result.Warnings, fmt.Sprintf("%s left before acknowledging; it catches up when it rejoins", n))
			}
		}
		if len(p.waiting) == 0 {
			p.succeed()
			continue
		}
		if now.After(p.deadline) {
			var names []string
			for n := range p.waiting {
				names = append(names, n)
			}
			sort.Strings(names)
			p.result.Warnings = append(p.result.Warnings, fmt.Sprintf("not acknowledged by %s within %v; they catch up when they rejoin", strings.Join(names, ", "), applyWait))
			p.succeed()
			continue
		}
		keep = append(keep, p)
	}
	l.applies = keep
}

// reconcilePolicy compares a joining member's policy with the DC's.
func (c *Controller) reconcilePolicy(ctx context.Context, from string, r *nodeReport) {
	l := &c.loop
	switch {
	case r.Epoch > l.pol.Epoch && len(r.Source) > 0:
		cfg, err := policy.Parse("policy.toml", r.Source)
		if err == nil {
			err = c.store.SavePolicy(r.Epoch, r.Source)
		}
		if err != nil {
			c.log.Error("a member holds a newer policy that this DC cannot use", "member", from, "epoch", r.Epoch, "err", err)
			l.conflict = "newer policy unusable"
			return
		}
		c.log.Warn("adopting a newer policy found at join", "member", from, "epoch", r.Epoch, "previous", l.pol.Epoch)
		c.adopt(cfg, c.store.Policy(), true)
		for n, jr := range l.joined {
			if n != c.node && jr.Epoch < r.Epoch {
				c.send(ctx, n, message{Kind: msgPolicy, Term: l.myTerm, Epoch: l.pol.Epoch, Source: l.pol.Source, CatchUp: true})
			}
		}
	case r.Epoch > l.pol.Epoch:
		delete(l.joined, from)
		l.joinAsked[from] = time.Time{}
	case r.Epoch < l.pol.Epoch:
		c.log.Info("member has an older policy; sending the current one", "member", from, "its_epoch", r.Epoch, "epoch", l.pol.Epoch)
		c.send(ctx, from, message{Kind: msgPolicy, Term: l.myTerm, Epoch: l.pol.Epoch, Source: l.pol.Source, CatchUp: true})
	case r.Epoch > 0 && r.PolicySHA != l.pol.SHA256:
		l.conflict = from
		c.log.Error("ALERT: two different policies have the same epoch; not scheduling until an operator applies a policy (ward policy apply) to settle it",
			"member", from, "epoch", r.Epoch, "member_sha", short(r.PolicySHA), "dc_sha", short(l.pol.SHA256))
	}
}

func short(s string) string { return s[:min(12, len(s))] }

// ackRemoved acknowledges the policy that removed this node, at once and
// directly (the controller stops right after, with its senders).
func (c *Controller) ackRemoved(ctx context.Context, to string, ack message) {
	b, err := encodeMessage(ack)
	if err != nil {
		return
	}
	sctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	if err := c.cl.SendReliable(sctx, to, b); err != nil {
		c.log.Warn("could not acknowledge the policy that removed this node", "dc", to, "err", err)
	}
}

// policyDiff renders a line diff of two policies, redacted.
func policyDiff(a, b *policy.Config) string {
	var x, y bytes.Buffer
	if a != nil {
		_ = a.Redacted().WriteTOML(&x)
	}
	_ = b.Redacted().WriteTOML(&y)
	return lineDiff(x.String(), y.String())
}

// checkWitnessChange refuses replacing one witness by another in one
// step. Daemons count the witness of the policy they started with, so
// during the restarts some would count the old witness and some the new
// one, and each witness could give its vote to another side of a split:
// two quorate sides. Adding or removing a witness is safe: for any N, a
// majority of the N nodes and a majority of the N nodes plus the witness
// always share a node, so two disjoint sides cannot both be quorate.
func checkWitnessChange(old, cfg *policy.Config) error {
	from, to := old.Cluster.Witness, cfg.Cluster.Witness
	if from == "" || to == "" || from == to {
		return nil
	}
	return fmt.Errorf("policy.toml: cluster.witness: replacing witness %s by %s in one step could give each side of a split a witness vote while the daemons restart; remove the witness first (apply, restart every daemon), then add the new one", from, to)
}
