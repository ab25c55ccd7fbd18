package controller

import (
	"context"
	"encoding/hex"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/ward-ha/ward/policy"
	"github.com/ward-ha/ward/resources"
)

// This file is the join: a new DC asks every member for its executor's
// state (resources, roles, op history, fail counts, attributes) and its
// policy epoch, and schedules only once every present member answered
// (the nodes are the truth). Members probe the resources of the policy
// they have not seen yet before answering. Any later change on a member
// (a monitor result that changed, an attribute) is sent to the DC as a
// new full report: the DC never replays events.

// reportRefresh is how often the DC asks a joined member for its full
// state again. Reports and results travel once, without acknowledgement:
// one lost on the way (the member's gossip view lost the DC for a moment
// while the DC's did not lose the member; found by the simulation, seed
// 2104: a member stopped everything on losing quorum, its report was
// dropped, and the DC believed for ever that it still ran vip and db),
// or overtaken by an older one, leaves the DC believing in a state the
// node does not have, and nothing else would correct it. Asking again
// bounds that to this interval.
const reportRefresh = 5 * time.Second

// joinStep asks the present members that have not answered; it reports
// whether every present member has answered in this term.
func (c *Controller) joinStep(ctx context.Context) bool {
	l := &c.loop
	now := c.clk.Now()
	ready := true
	for _, n := range l.presentNodes() {
		if r := l.joined[n]; r != nil && !c.rebooted(n, r) {
			if at, ok := l.joinAsked[n]; !ok || now.Sub(at) >= reportRefresh {
				// Anti-entropy: ask a joined member again now and then.
				l.joinAsked[n] = now
				c.send(ctx, n, message{Kind: msgJoin, Term: l.myTerm, Epoch: l.pol.Epoch})
			}
			continue
		}
		delete(l.joined, n)
		ready = false
		if at, ok := l.joinAsked[n]; !ok || now.Sub(at) >= c.joinRetry {
			c.log.Debug("asking a member for its state", "member", n, "term", l.myTerm)
			l.joinAsked[n] = now
			c.send(ctx, n, message{Kind: msgJoin, Term: l.myTerm, Epoch: l.pol.Epoch})
		}
	}
	for n := range l.joined {
		if !l.present(n) {
			delete(l.joined, n)
			delete(l.joinAsked, n)
		}
	}
	if w := c.settling(); w != "" {
		c.log.Debug("waiting for a node this DC has not seen yet before deciding it is lost", "node", w)
		return false
	}
	c.markUnseen() // startup.go: startup fencing once the wait is over
	return ready && l.conflict == ""
}

// rebooted reports whether gossip shows a later boot of node than the
// one its report came from (gossip may lag behind a report, never the
// reverse once it shows a later start).
func (c *Controller) rebooted(node string, r *nodeReport) bool {
	m, ok := c.loop.mem.Member(node)
	if !ok || !m.HasMeta {
		return false
	}
	return c.currentBoot(node, r.Boot) != r.Boot && m.Meta.Started > r.Started
}

// currentBoot returns the boot id gossip shows for a present node, or
// def when gossip shows none.
func (c *Controller) currentBoot(node, def string) string {
	m, ok := c.loop.mem.Member(node)
	if !ok || !m.HasMeta {
		return def
	}
	return hex.EncodeToString(m.Meta.BootID[:])
}

// onJoin answers a DC's join request with this node's state, after
// probing the resources it does not know.
func (c *Controller) onJoin(ctx context.Context, from string, m message) {
	l := &c.loop
	seen := c.observe(m.Term, from)
	if m.Term < seen {
		c.send(ctx, from, message{Kind: msgStale, Term: seen})
		return
	}
	c.follow(from, m.Term)
	withSource := m.Epoch < l.pol.Epoch
	c.probeThen(ctx, func(ctx context.Context) {
		c.sendReport(ctx, from, m.Term, withSource)
	})
}

// probeThen probes the policy's resources this node has not probed, then
// runs f on the loop.
func (c *Controller) probeThen(ctx context.Context, f func(context.Context)) {
	l := &c.loop
	if l.probing {
		// A report must not go out while probes run: it would miss
		// resources that are running here.
		l.afterProbe = append(l.afterProbe, f)
		return
	}
	reqs := c.unprobed()
	if len(reqs) == 0 {
		f(ctx)
		return
	}
	for _, r := range reqs {
		l.probed[r.Resource] = true
	}
	l.probing = true
	c.log.Info("probing resources this node has not seen yet", "count", len(reqs))
	c.goWorker(ctx, func(ctx context.Context) {
		for _, r := range reqs {
			if _, err := c.ex.Exec(ctx, r); err != nil && ctx.Err() == nil {
				c.log.Warn("probe could not run", "resource", r.Resource, "agent", r.Agent, "err", err)
			}
		}
		c.post(ctx, func(ctx context.Context) {
			l.probing = false
			waiting := append([]func(context.Context){f}, l.afterProbe...)
			l.afterProbe = nil
			for _, g := range waiting {
				g(ctx)
			}
		})
	})
}

// unprobed lists probes of every resource instance of the policy this
// node has neither probed nor run.
func (c *Controller) unprobed() []resources.Request {
	l := &c.loop
	var out []resources.Request
	for _, inst := range instances(l.cfg) {
		if l.probed[inst.id] {
			continue
		}
		if _, ok := c.ex.History(inst.id); ok {
			l.probed[inst.id] = true
			continue
		}
		spec := resourceSpec(l.cfg, inst.id)
		if spec == nil {
			continue
		}
		out = append(out, resources.Request{Resource: inst.id, Agent: spec.agent, Action: resources.ActionMonitor,
			Params: spec.params, Meta: spec.meta, Timeout: spec.timeout("monitor")})
	}
	return out
}

// instance is one resource instance ID of the policy.
type instance struct{ id, prim string }

// instances lists every primitive instance the policy names: the
// primitive ID, and "ID:N" for each instance of a globally unique clone.
func instances(cfg *policy.Config) []instance {
	unique := map[string]int{}
	members := map[string][]string{}
	for _, g := range cfg.Groups {
		members[g.ID] = g.Members
	}
	for _, cl := range cfg.Clones {
		if !cl.GloballyUnique {
			continue
		}
		n := len(cfg.Nodes)
		if cl.CloneMax != nil {
			n = *cl.CloneMax
		}
		prims := members[cl.Resource]
		if prims == nil {
			prims = []string{cl.Resource}
		}
		for _, p := range prims {
			unique[p] = n
		}
	}
	var out []instance
	for _, p := range cfg.Primitives {
		if n, ok := unique[p.ID]; ok {
			for i := 0; i < n; i++ {
				out = append(out, instance{id: p.ID + ":" + strconv.Itoa(i), prim: p.ID})
			}
			continue
		}
		out = append(out, instance{id: p.ID, prim: p.ID})
	}
	return out
}

// report builds this node's full report.
func (c *Controller) report(withSource bool) *nodeReport {
	l := &c.loop
	r := &nodeReport{Node: c.node, Boot: c.currentBoot(c.node, ""), Started: c.selfStarted(), Epoch: l.pol.Epoch, PolicySHA: l.pol.SHA256,
		Attributes: map[string]string{}, Boots: map[string]bootInfo{}}
	seen := map[string]bool{}
	for _, id := range c.ex.Resources() {
		h, ok := c.ex.History(id)
		if !ok {
			continue
		}
		rs := statusFromHistory(h)
		seen[id] = true
		if r.Seqs == nil {
			r.Seqs = map[string]uint64{}
		}
		r.Seqs[id] = historySeq(h)
		// An operation still running may leave the resource active:
		// say so (Pacemaker's pending operations).
		switch l.inflight[id] {
		case policy.ActionStart:
			if rs.Role == policy.RoleStopped {
				rs.Role = policy.RoleStarted
			}
		case policy.ActionPromote:
			rs.Role = policy.RolePromoted
		}
		r.Resources = append(r.Resources, rs)
		for _, m := range c.ex.Monitors(id) {
			if r.Monitors == nil {
				r.Monitors = map[string][]int64{}
			}
			r.Monitors[id] = append(r.Monitors[id], m.Interval.Milliseconds())
		}
	}
	for id, k := range l.inflight {
		if !seen[id] && (k == policy.ActionStart || k == policy.ActionPromote) {
			r.Resources = append(r.Resources, policy.ResourceStatus{ID: id, Role: policy.RoleStarted})
		}
	}
	sort.Slice(r.Resources, func(i, j int) bool { return r.Resources[i].ID < r.Resources[j].ID })
	for k, v := range l.attrs {
		r.Attributes[k] = v
	}
	for n, b := range l.boots {
		r.Boots[n] = b
	}
	fh := c.store.Fencing()
	for i := max(0, len(fh)-64); i < len(fh); i++ {
		if fh[i].OK {
			r.Fenced = append(r.Fenced, fh[i])
		}
	}
	if l.view != nil {
		r.Flags, r.FlagsTerm, r.View = l.view.Flags, l.view.Term, l.view
	}
	if withSource {
		r.Source = l.pol.Source
	}
	return r
}

// sendReport sends this node's report to the DC of term, if it still
// leads the highest term.
func (c *Controller) sendReport(ctx context.Context, dc string, term uint64, withSource bool) {
	if term < c.store.Term().Seen {
		return
	}
	c.loop.reportDirty = false
	c.send(ctx, dc, message{Kind: msgState, Term: term, State: c.report(withSource)})
}

// sendReportIfDirty sends a new report after a local change.
func (c *Controller) sendReportIfDirty(ctx context.Context) {
	l := &c.loop
	if !l.reportDirty || l.dcName == "" || l.dcTerm != c.store.Term().Seen || l.probing {
		return
	}
	// Never a report before every resource of the policy was probed in
	// this boot: the DC takes any report as this node's state, and one
	// sent by a fresh daemon (following a DC it just heard of) said it
	// ran nothing while a resource from before a crash still ran here.
	// Found by the simulation (seed 5313, two-active vip): the join
	// request was lost, this report stood in for the answer, and the DC
	// started vip elsewhere.
	l.reportDirty = false
	dc, term := l.dcName, l.dcTerm
	c.probeThen(ctx, func(ctx context.Context) {
		if l.dcName == dc && l.dcTerm == term {
			c.sendReport(ctx, dc, term, false)
		}
	})
}

// onReports handles the executor's results: monitor changes and
// attributes make this node report again.
func (c *Controller) onReports() {
	l := &c.loop
	for _, r := range c.reports.drain() {
		for k, v := range r.Attributes {
			if v == "" {
				if _, ok := l.attrs[k]; ok {
					delete(l.attrs, k)
					l.reportDirty = true
				}
			} else if l.attrs[k] != v {
				l.attrs[k] = v
				l.reportDirty = true
			}
		}
		if r.Interval > 0 && r.Changed {
			if r.Failure() != resources.SeverityNone {
				c.log.Warn("monitor failed", "resource", r.Resource, "rc", int(r.Code), "kind", string(r.Kind), "output", r.Output)
			}
			l.reportDirty = true
		}
	}
}

// onState takes a member's report (DC side).
func (c *Controller) onState(ctx context.Context, from string, m message) {
	l := &c.loop
	r := m.State
	if r.Node != from {
		c.log.Warn("dropping a report sent for another node", "from", from, "node", r.Node)
		return
	}
	if !l.isDC || m.Term != l.myTerm {
		return
	}
	if b, ok := l.boots[from]; ok && r.Boot != "" && b.ID != r.Boot && b.Started > r.Started {
		c.log.Debug("ignoring a report of an earlier boot of the node", "node", from, "boot", short(r.Boot))
		return
	}
	mergeOlder(l.known[from], r) // seqs.go: a report may be older than a result already applied
	same := l.joined[from] != nil && l.known[from] != nil && reportDigest(l.known[from]) == reportDigest(r)
	l.known[from] = r
	l.joined[from] = r
	for n, b := range r.Boots {
		l.mergeBoot(n, b, c.clk.Now())
	}
	for _, f := range r.Fenced {
		c.recordFence(f)
	}
	if r.FlagsTerm > l.flagsTerm && r.Flags != nil {
		l.flags, l.flagsTerm = r.Flags, r.FlagsTerm
		same = false
	}
	if r.View != nil && r.View.Term < l.myTerm && r.View.newer(l.inherited) {
		l.inherited = r.View
		same = false
	}
	// The node's own report is the truth about it now, but it may have
	// been sent before an action this DC sent since reached the node:
	// only what the report already shows settles a pending start.
	for _, rs := range r.Resources {
		l.settleMaybe(from, rs, false)
	}
	c.reconcilePolicy(ctx, from, r)
	if !same {
		l.dirty = true // a refresh that changes nothing schedules nothing
	}
}

// reportDigest is what the scheduler reads of a report: two reports with
// the same digest lead to the same schedule (op records differ in their
// times at every monitor run and are left out).
func reportDigest(r *nodeReport) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s|%d|%d|%s|", r.Boot, r.Started, r.Epoch, r.PolicySHA)
	for _, rs := range r.Resources {
		lf := ""
		if rs.LastFailure != nil {
			lf = rs.LastFailure.UTC().Format(time.RFC3339Nano)
		}
		fmt.Fprintf(&b, "r:%s,%s,%t,%t,%t,%d,%s,%d;", rs.ID, rs.Role, rs.Failed, rs.FailedStop, rs.Blocked, rs.FailCount, lf, len(rs.Failures))
	}
	for _, k := range sortedKeys(r.Attributes) {
		fmt.Fprintf(&b, "a:%s=%s;", k, r.Attributes[k])
	}
	for _, k := range sortedKeys(r.Monitors) {
		fmt.Fprintf(&b, "m:%s=%v;", k, r.Monitors[k])
	}
	for _, k := range sortedKeys(r.Boots) {
		fmt.Fprintf(&b, "b:%s=%s/%d;", k, r.Boots[k].ID, r.Boots[k].Started)
	}
	for _, f := range r.Fenced {
		fmt.Fprintf(&b, "f:%s/%s/%t;", f.Target, f.Boot, f.OK)
	}
	return b.String()
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// selfStarted returns this daemon's start time as gossiped.
func (c *Controller) selfStarted() int64 {
	m, ok := c.loop.mem.Member(c.node)
	if !ok {
		return 0
	}
	return m.Meta.Started
}

// settling returns an absent node whose latest boot this DC learned
// from others (reports) and has not seen itself, less than the settle
// time ago: such a node may be joining right now (at start-up, or after
// a reboot), and deciding it is lost (unclean, to be fenced) would fence
// a healthy node. Pacemaker waits dc-deadtime for the same reason.
func (c *Controller) settling() string {
	l := &c.loop
	if !stonith(l.cfg) {
		return ""
	}
	now := c.clk.Now()
	for _, n := range l.cfg.Nodes {
		b, known := l.boots[n.Name]
		if !known && !l.present(n.Name) && n.Name != c.node && now.Sub(c.runSince) < c.settle {
			// A node nobody here knows a boot of, while this daemon
			// itself just started (a cold start of the cluster: no one
			// remembers who was seen), may be a daemon restarting next
			// to resources it left running; scheduling without it would
			// take it for empty. Found by the simulation (seed 103,
			// docs/reliability.md, Found 7).
			return n.Name
		}
		if !known || l.present(n.Name) || l.fencedOK[n.Name][b.ID] || c.sawBoot(n.Name, b.ID) || isStartupBoot(b.ID) {
			continue
		}
		if now.Sub(l.bootLearned[n.Name]) < c.settle {
			return n.Name
		}
	}
	return ""
}

// sawBoot reports whether this node's own membership shows boot of node.
func (c *Controller) sawBoot(node, boot string) bool {
	m, ok := c.loop.mem.Member(node)
	return ok && m.HasMeta && hex.EncodeToString(m.Meta.BootID[:]) == boot
}
