package controller

import (
	"bytes"
	"context"
	"sort"
	"time"

	"github.com/ward-ha/ward/api"
	"github.com/ward-ha/ward/policy"
	"github.com/ward-ha/ward/resources"
)

// This file implements api.Backend. Every request is served on the
// controller's goroutine (the state has one owner), handed over through
// a channel.

var _ api.Backend = (*Controller)(nil)

// request is an API call to run on the loop.
type request struct{ fn func(context.Context) }

// call runs fn on the loop, or fails when ctx ends or the controller is
// not running.
func (c *Controller) call(ctx context.Context, fn func(context.Context)) error {
	select {
	case c.requests <- request{fn: fn}:
		return nil
	case <-c.done:
		return api.Errorf(api.CodeUnavailable, "the controller is stopping")
	case <-ctx.Done():
		return ctx.Err()
	}
}

func wait[T any](ctx context.Context, ch <-chan T) (T, error) {
	select {
	case v := <-ch:
		return v, nil
	case <-ctx.Done():
		var zero T
		return zero, ctx.Err()
	}
}

// Status returns the cluster as this node sees it: the DC answers from
// its own snapshot, other nodes from the last status the DC sent them.
func (c *Controller) Status(ctx context.Context) (api.ClusterStatus, error) {
	ch := make(chan api.ClusterStatus, 1)
	if err := c.call(ctx, func(context.Context) { ch <- c.status() }); err != nil {
		return api.ClusterStatus{}, err
	}
	return wait(ctx, ch)
}

// Policy returns the live policy, redacted.
func (c *Controller) Policy(ctx context.Context) (api.PolicyInfo, error) {
	ch := make(chan api.PolicyInfo, 1)
	err := c.call(ctx, func(context.Context) {
		l := &c.loop
		info := api.PolicyInfo{Epoch: l.pol.Epoch, SHA256: l.pol.SHA256}
		var b bytes.Buffer
		if err := l.cfg.Redacted().WriteTOML(&b); err == nil {
			info.Source = b.String()
		}
		ch <- info
	})
	if err != nil {
		return api.PolicyInfo{}, err
	}
	return wait(ctx, ch)
}

// ApplyPolicy validates, simulates and (unless a dry run) applies a new
// policy cluster-wide. Only the DC applies; other nodes refuse with
// not_dc and name the DC.
func (c *Controller) ApplyPolicy(ctx context.Context, req api.ApplyRequest) (api.ApplyResult, error) {
	for try := 0; ; try++ {
		ch := make(chan applyReply, 1)
		if err := c.call(ctx, func(ctx context.Context) { c.applyPolicy(ctx, req, ch) }); err != nil {
			return api.ApplyResult{}, err
		}
		r, err := wait(ctx, ch)
		if err != nil {
			return api.ApplyResult{}, err
		}
		if r.err != errLeaseLapsed || try == 8 {
			return r.res, r.err
		}
		// The lease may be renewed within a tick or two (a member's
		// answer was late): try again shortly.
		t := c.clk.NewTimer(c.lease / 2)
		select {
		case <-ctx.Done():
			t.Stop()
			return api.ApplyResult{}, ctx.Err()
		case <-t.C():
		}
	}
}

// SetNode sets a node's runtime standby or maintenance flag on the DC.
func (c *Controller) SetNode(ctx context.Context, req api.NodeRequest) error {
	ch := make(chan error, 1)
	err := c.call(ctx, func(context.Context) {
		l := &c.loop
		if l.nodeVotes(req.Node) == 0 && !l.known2(req.Node) {
			ch <- api.Errorf(api.CodeUnknownNode, "node %q is not in the policy", req.Node)
			return
		}
		if !l.isDC {
			ch <- errNotDC("this node (" + c.node + ") is not the DC; run the command on " + orNone(l.dcName))
			return
		}
		if !l.mem.Quorum.Quorate {
			ch <- api.Errorf(api.CodeNoQuorum, "this partition has no quorum")
			return
		}
		f := l.flags[req.Node]
		switch req.Action {
		case api.ActionStandby:
			f.Standby = true
		case api.ActionOnline:
			f.Standby = false
		case api.ActionMaintenance:
			f.Maintenance = true
		case api.ActionReady:
			f.Maintenance = false
		default:
			ch <- api.Errorf(api.CodeBadRequest, "unknown node action %q", req.Action)
			return
		}
		nf := map[string]nodeFlags{}
		for k, v := range l.flags {
			nf[k] = v
		}
		nf[req.Node] = f
		l.flags, l.flagsTerm = nf, l.myTerm
		l.dirty = true
		c.log.Info("node flags changed", "node", req.Node, "action", string(req.Action))
		ch <- nil
	})
	if err != nil {
		return err
	}
	e, err := wait(ctx, ch)
	if err != nil {
		return err
	}
	return e
}

func orNone(s string) string {
	if s == "" {
		return "the DC (none is elected now)"
	}
	return s
}

// known2 reports a configured node name.
func (l *loopState) known2(name string) bool {
	for _, n := range l.cfg.Nodes {
		if n.Name == name {
			return true
		}
	}
	return false
}

// broadcastStatus sends the DC's view to every member: the status it
// scheduled from and, as Pending, every start or promotion that may be
// running without the DC knowing (in flight, or planned in t). seq is
// the transition id.
func (c *Controller) broadcastStatus(ctx context.Context, st policy.Status, t *policy.Transition, seq uint64) {
	l := &c.loop
	v := &clusterView{DC: c.node, Status: st, Flags: l.flags, Transition: l.lastInfo, Term: l.myTerm, Seq: seq,
		Pending: map[string][]policy.ResourceStatus{}}
	for i := range v.Status.Nodes {
		rs := v.Status.Nodes[i].Resources
		out := make([]policy.ResourceStatus, len(rs))
		for j, r := range rs {
			r.Ops = nil
			out[j] = r
		}
		v.Status.Nodes[i].Resources = out
	}
	for n, m := range l.maybe {
		for _, rs := range m {
			v.Pending[n] = append(v.Pending[n], rs)
		}
	}
	if t != nil {
		for _, a := range t.Actions {
			if rs, ok := mayStart(a); ok {
				v.Pending[a.Node] = append(v.Pending[a.Node], rs)
			}
		}
	}
	l.view = v
	for _, n := range l.presentNodes() {
		if n != c.node {
			c.send(ctx, n, message{Kind: msgStatus, Term: l.myTerm, Status: v})
		}
	}
}

// mayStart returns the state a start or promotion may leave behind.
func mayStart(a policy.Action) (policy.ResourceStatus, bool) {
	switch a.Kind {
	case policy.ActionStart:
		return policy.ResourceStatus{ID: a.Resource, Role: policy.RoleStarted}, true
	case policy.ActionPromote:
		return policy.ResourceStatus{ID: a.Resource, Role: policy.RolePromoted}, true
	}
	return policy.ResourceStatus{}, false
}

// onStatus keeps the DC's view (member side) and acknowledges it.
func (c *Controller) onStatus(ctx context.Context, from string, m message) {
	l := &c.loop
	seen := c.observe(m.Term, from)
	if m.Term < seen {
		c.send(ctx, from, message{Kind: msgStale, Term: seen})
		return
	}
	c.follow(from, m.Term)
	if m.Status.newer(l.view) || l.view == nil || (m.Status.Term == l.view.Term && m.Status.Seq == l.view.Seq) {
		l.view = m.Status
	}
	c.send(ctx, from, message{Kind: msgViewAck, Term: m.Term, Seq: m.Status.Seq})
}

// status builds the API's cluster status.
func (c *Controller) status() api.ClusterStatus {
	l := &c.loop
	term := c.store.Term().Seen
	out := api.ClusterStatus{Cluster: l.cfg.Cluster.Name, Node: c.node, Term: term, PolicyEpoch: l.pol.Epoch, At: c.clk.Now(),
		Quorum: api.Quorum{Quorate: l.mem.Quorum.Quorate, Votes: l.mem.Quorum.Votes, Needed: l.mem.Quorum.Needed, Expected: l.mem.Quorum.Total}}
	if l.dcName != "" && l.dcTerm == term {
		out.DC = l.dcName
	}
	var st policy.Status
	var info *transitionInfo
	flags := l.flags
	switch {
	case l.isDC:
		st = c.snapshot()
		info = l.lastInfo
		if l.trans != nil {
			info = l.trans.info()
		}
	case l.view != nil:
		st, info, flags = l.view.Status, l.view.Transition, l.view.Flags
	default:
		for _, n := range l.cfg.Nodes {
			ns := policy.NodeStatus{Name: n.Name, State: policy.NodeOffline}
			if l.present(n.Name) {
				ns.State = policy.NodePending
			}
			if n.Name == c.node {
				ns.Resources = c.report(false).Resources
			}
			st.Nodes = append(st.Nodes, ns)
		}
	}
	if info != nil {
		out.Transition = &api.TransitionInfo{ID: info.ID, State: info.State, Done: info.Done, Total: info.Total, Failed: info.Failed}
	}
	agents := map[string]string{}
	managed := map[string]bool{}
	for _, p := range l.cfg.Primitives {
		agents[p.ID] = p.Agent
		managed[p.ID] = l.cfg.Managed(p.ID) // is_managed of its group, clone and resource_defaults too
	}
	pnode := map[string]policy.Node{}
	for _, n := range l.cfg.Nodes {
		pnode[n.Name] = n
	}
	activeIDs := map[string]bool{}
	for _, ns := range st.Nodes {
		f := flags[ns.Name]
		out.Nodes = append(out.Nodes, api.NodeInfo{Name: ns.Name, State: string(ns.State),
			Standby: f.Standby || pnode[ns.Name].Standby, Maintenance: f.Maintenance || pnode[ns.Name].Maintenance, Attributes: ns.Attributes})
		for _, rs := range ns.Resources {
			base := baseID(rs.ID)
			for _, fr := range rs.Failures {
				if rs.FailCount == 0 {
					break
				}
				fa := api.FailedAction{Resource: rs.ID, Node: ns.Name, Op: fr.Op, RC: fr.RC, RCName: resources.Code(fr.RC).String(), Kind: fr.Kind, Output: fr.Output}
				if fr.Interval > 0 {
					fa.Interval = time.Duration(fr.Interval).String()
				}
				if fr.At != nil {
					fa.At = *fr.At
				}
				out.FailedActions = append(out.FailedActions, fa)
			}
			if !active(rs) {
				continue
			}
			activeIDs[base] = true
			out.Resources = append(out.Resources, api.ResourceInfo{ID: rs.ID, Primitive: agents[base], Role: string(rs.Role), Node: ns.Name,
				Managed: managed[base] && !ns.Maintenance && !l.cfg.Cluster.Maintenance, Failed: rs.Failed || rs.FailedStop, Blocked: rs.Blocked})
		}
	}
	for _, p := range l.cfg.Primitives {
		if !activeIDs[p.ID] {
			out.Resources = append(out.Resources, api.ResourceInfo{ID: p.ID, Primitive: p.Agent, Role: string(policy.RoleStopped), Managed: managed[p.ID]})
		}
	}
	sort.SliceStable(out.Resources, func(i, j int) bool {
		if out.Resources[i].ID != out.Resources[j].ID {
			return out.Resources[i].ID < out.Resources[j].ID
		}
		return out.Resources[i].Node < out.Resources[j].Node
	})
	sort.SliceStable(out.FailedActions, func(i, j int) bool { return out.FailedActions[i].At.Before(out.FailedActions[j].At) })
	fh := c.store.Fencing()
	for _, r := range fh[max(0, len(fh)-50):] {
		res := "ok"
		if !r.OK {
			res = r.Error
		}
		out.Fencing = append(out.Fencing, api.FenceEvent{Node: r.Target, Device: r.Device, Action: r.Action, Result: res,
			RequestedBy: r.RequestedBy, At: r.Completed})
	}
	return out
}

// baseID strips a unique clone instance suffix.
func baseID(id string) string {
	if i := len(id) - 1; i > 0 {
		for j := i; j > 0; j-- {
			if id[j] == ':' {
				return id[:j]
			}
			if id[j] < '0' || id[j] > '9' {
				return id
			}
		}
	}
	return id
}
