package controller

import (
	"time"

	"github.com/ward-ha/ward/policy"
)

// ensureMonitors adds to t the recurring monitors that should run but do
// not: the scheduler emits monitors only after a start or a role change,
// so a monitor lost with an aborted transition (or with a daemon restart
// that found its resource still running) would never come back. A
// resource that t acts on gets its monitors from t itself.
func (c *Controller) ensureMonitors(t *policy.Transition, st policy.Status) {
	l := &c.loop
	touched := map[[2]string]bool{}
	for _, a := range t.Actions {
		touched[[2]string{a.Resource, a.Node}] = true
	}
	for _, ns := range st.Nodes {
		r := l.joined[ns.Name]
		if ns.State != policy.NodeOnline || r == nil || ns.Maintenance || l.cfg.Cluster.Maintenance {
			continue
		}
		for _, rs := range ns.Resources {
			if !active(rs) || rs.Failed || rs.FailedStop || rs.Blocked || touched[[2]string{rs.ID, ns.Name}] {
				continue
			}
			spec := resourceSpec(l.cfg, rs.ID)
			if spec == nil || isDevice(l.cfg, rs.ID) {
				continue
			}
			have := map[int64]bool{}
			for _, iv := range r.Monitors[rs.ID] {
				have[iv] = true
			}
			for _, op := range spec.ops {
				if op.Name != "monitor" || op.Interval <= 0 || have[time.Duration(op.Interval).Milliseconds()] || !roleMatches(op.Role, rs.Role) {
					continue
				}
				t.Actions = append(t.Actions, policy.Action{ID: len(t.Actions), Kind: policy.ActionMonitor, Resource: rs.ID,
					Node: ns.Name, Interval: op.Interval, Reason: "recurring monitor not running"})
			}
		}
	}
}

// roleMatches reports whether a monitor op for role applies to an
// instance in role have.
func roleMatches(role, have policy.Role) bool {
	switch role {
	case policy.RoleUnknown, policy.RoleStarted:
		return true
	case policy.RoleUnpromoted:
		return have == policy.RoleUnpromoted || have == policy.RoleStarted
	}
	return role == have
}
