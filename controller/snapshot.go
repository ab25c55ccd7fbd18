package controller

import (
	"github.com/ward-ha/ward/policy"
)

// This file builds the scheduler's input from what the DC observed: the
// membership, every member's last report, and the fencing history. It is
// rebuilt on every wake-up; nothing is remembered as events.

// snapshot returns the cluster status the DC schedules from.
func (c *Controller) snapshot() policy.Status {
	l := &c.loop
	st := policy.Status{Quorate: l.mem.Quorum.Quorate, DC: c.node}
	for _, n := range l.cfg.Nodes {
		ns := policy.NodeStatus{Name: n.Name}
		f := l.flags[n.Name]
		ns.Standby, ns.Maintenance = f.Standby, f.Maintenance
		switch {
		case l.present(n.Name) && c.fencedBoot(n.Name) && !c.watchdogRejoined(n.Name): // fence_watchdog.go
			// A device confirmed that this boot of the node is off;
			// membership has not caught up yet (it takes up to the
			// failure-detection time). Scheduling from the lagging view
			// would see the failed stop that caused the fence and fence
			// the node again on every transition. A new boot of the
			// node has a new boot id and is online again.
			ns.State = policy.NodeOffline
		case l.present(n.Name):
			ns.State = policy.NodeOnline
			if r := l.joined[n.Name]; r != nil {
				ns.Resources = cloneResources(r.Resources)
				ns.Attributes = r.Attributes
				for _, d := range l.cfg.Fencing.Devices {
					if l.devices[d.ID] == n.Name {
						ns.Resources = append(ns.Resources, policy.ResourceStatus{ID: d.ID, Role: policy.RoleStarted})
					}
				}
			} else {
				ns.State = policy.NodePending
			}
		case c.unclean(n.Name):
			ns.State = policy.NodeUnclean
			ns.Resources = c.mayRun(n.Name)
		default:
			ns.State = policy.NodeOffline
			if rec, ok := c.cleanLeave(n.Name); ok { // leave.go
				// What maintenance left running when it left: held
				// in place, and the node fenced if they become managed.
				ns.Resources = cloneResources(rec.Resources)
			}
		}
		st.Nodes = append(st.Nodes, ns)
	}
	return st
}

// unclean reports whether an absent node must be fenced before its
// resources may run elsewhere: fencing is enabled, the node was seen
// (by this node or a member) in a boot that no successful fencing
// covers and that did not leave cleanly (leave.go: a clean leave lists
// what still runs there, which the scheduler fences for only once it is
// managed). A node nobody has seen since the cluster started has no
// boot here until the DC gives it a startup-fencing placeholder
// (startup.go), which makes it unclean like any other.
func (c *Controller) unclean(node string) bool {
	l := &c.loop
	if !stonith(l.cfg) {
		return false
	}
	b, ok := l.boots[node]
	if !ok {
		return false
	}
	if _, clean := c.cleanLeave(node); clean {
		// leave.go: this boot left cleanly; what it still ran is in
		// its record (snapshot lists it on the offline node).
		return false
	}
	return !l.fencedOK[node][b.ID]
}

// fencedBoot reports whether the node's current boot (as membership
// knows it) was fenced successfully.
func (c *Controller) fencedBoot(node string) bool {
	l := &c.loop
	b, ok := l.boots[node]
	return ok && l.fencedOK[node][b.ID]
}

func cloneResources(rs []policy.ResourceStatus) []policy.ResourceStatus {
	return append([]policy.ResourceStatus(nil), rs...)
}

// updateResource replaces (or adds) one resource in node's last report.
func (l *loopState) updateResource(node string, rs policy.ResourceStatus) {
	r := l.known[node]
	if r == nil {
		r = &nodeReport{Node: node}
		l.known[node] = r
	}
	for i := range r.Resources {
		if r.Resources[i].ID == rs.ID {
			r.Resources[i] = rs
			return
		}
	}
	r.Resources = append(r.Resources, rs)
}

// isDevice reports whether id names a fencing device.
func isDevice(cfg *policy.Config, id string) bool {
	for _, d := range cfg.Fencing.Devices {
		if d.ID == id {
			return true
		}
	}
	return false
}

// placeDevice records where the scheduler placed a fencing device.
func (l *loopState) placeDevice(a policy.Action) {
	switch a.Kind {
	case policy.ActionStart:
		l.devices[a.Resource] = a.Node
	case policy.ActionStop:
		if l.devices[a.Resource] == a.Node {
			delete(l.devices, a.Resource)
		}
	}
}

// mayRun returns what a lost node may run: its last report to this DC,
// the starts sent to it without a result, and, when this DC never had
// its report, what the latest inherited view says (its state, its
// pending starts, or, when the previous DC had lost it too, what that DC
// decided it may run). With no information at all, every resource of
// the policy may run there, promoted if it is promotable. Stopping it is
// implied by fencing; the point is that the scheduler orders every
// recovery after the fence.
//
// Found by the simulation (seed 2108, docs/reliability.md): a DC
// elected while the node was lost inherited the view of an earlier DC
// that had lost it too; that view lists the node as unclean, which
// mayRun ignored, and the fallback said "started", not "promoted", so
// the new DC promoted db elsewhere without fencing the node, which
// still ran db promoted.
func (c *Controller) mayRun(node string) []policy.ResourceStatus {
	l := &c.loop
	byID := map[string]policy.ResourceStatus{}
	var order []string
	add := func(rs policy.ResourceStatus) {
		if !active(rs) {
			return
		}
		cur, ok := byID[rs.ID]
		if !ok {
			order = append(order, rs.ID)
		}
		if !ok || (rs.Role == policy.RolePromoted && cur.Role != policy.RolePromoted) {
			byID[rs.ID] = rs
		}
	}
	info := false
	if r := l.known[node]; r != nil {
		info = true
		for _, rs := range r.Resources {
			add(rs)
		}
	} else if v := l.inherited; v != nil {
		for _, ns := range v.Status.Nodes {
			if ns.Name == node && (ns.State == policy.NodeOnline || ns.State == policy.NodeUnclean) {
				info = true
				for _, rs := range ns.Resources {
					add(rs)
				}
			}
		}
		for _, rs := range v.Pending[node] {
			add(rs)
		}
	}
	for _, rs := range l.maybe[node] {
		add(rs)
	}
	if !info {
		for _, inst := range instances(l.cfg) {
			role := policy.RoleStarted
			if promotablePrim(l.cfg, inst.prim) {
				role = policy.RolePromoted
			}
			add(policy.ResourceStatus{ID: inst.id, Role: role})
		}
	}
	out := make([]policy.ResourceStatus, 0, len(order))
	for _, id := range order {
		out = append(out, byID[id])
	}
	return out
}

// forgetInherited drops a fenced node from the inherited view.
func (l *loopState) forgetInherited(node string) {
	v := l.inherited
	if v == nil {
		return
	}
	nv := *v
	nv.Pending = map[string][]policy.ResourceStatus{}
	for n, p := range v.Pending {
		if n != node {
			nv.Pending[n] = p
		}
	}
	nv.Status.Nodes = nil
	for _, ns := range v.Status.Nodes {
		if ns.Name == node {
			ns.Resources = nil
		}
		nv.Status.Nodes = append(nv.Status.Nodes, ns)
	}
	l.inherited = &nv
}

// promotablePrim reports whether primitive prim is an instance of a
// promotable clone (directly, or as a member of a cloned group).
func promotablePrim(cfg *policy.Config, prim string) bool {
	for _, cl := range cfg.Clones {
		if !cl.Promotable {
			continue
		}
		if cl.Resource == prim {
			return true
		}
		for _, g := range cfg.Groups {
			if g.ID != cl.Resource {
				continue
			}
			for _, m := range g.Members {
				if m == prim {
					return true
				}
			}
		}
	}
	return false
}
