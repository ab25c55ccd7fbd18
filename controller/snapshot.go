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
		case l.present(n.Name):
			ns.State = policy.NodeOnline
			if r := l.joined[n.Name]; r != nil {
				ns.Resources = cloneResources(r.Resources)
				ns.Attributes = r.Attributes
			} else {
				ns.State = policy.NodePending
			}
		case c.unclean(n.Name):
			ns.State = policy.NodeUnclean
			if r := l.known[n.Name]; r != nil {
				ns.Resources = cloneResources(r.Resources)
			}
		default:
			ns.State = policy.NodeOffline
		}
		st.Nodes = append(st.Nodes, ns)
	}
	return st
}

// unclean reports whether an absent node must be fenced before its
// resources may run elsewhere: fencing is enabled, the node was seen
// (by this node or a member) in a boot that no successful fencing
// covers. A node nobody has seen since the cluster started is offline:
// ward resources run only under a ward daemon, and a daemon that is up
// joins. (Pacemaker's startup-fencing would fence it; see
// docs/protocol.md.)
func (c *Controller) unclean(node string) bool {
	l := &c.loop
	if !stonith(l.cfg) {
		return false
	}
	b, ok := l.boots[node]
	if !ok {
		return false
	}
	return !l.fencedOK[node][b.ID]
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
