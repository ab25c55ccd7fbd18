package controller

import (
	"github.com/ward-ha/ward/heartbeat"
	"github.com/ward-ha/ward/policy"
)

// failActionsOfGoneBoots fails at once, on the DC, the actions in flight
// to a node that is gone (dead or left) or whose daemon restarted (a new
// boot id in its gossip): that boot will never answer, and waiting for
// the action's timeout (65 s for a PostgreSQL stop) only delays the
// fencing or the new boot's join (docs/catalogue.md, "an action in
// flight to a node whose daemon restarts"). A stop or demote failed this
// way counts as a failed stop, as a timeout does: the node is fenced
// unless its next report (a new boot's) says otherwise. A start or
// promotion stays in what the node may run (it is not answered), so a
// lost node stays unclean. Fencing actions have their own handling.
func (c *Controller) failActionsOfGoneBoots(prev heartbeat.Membership) {
	l := &c.loop
	tr := l.trans
	if !l.isDC || tr == nil {
		return
	}
	gone := map[string]string{}
	for _, m := range l.mem.Members {
		if m.Witness || m.Self {
			continue
		}
		old, ok := prev.Member(m.Name)
		if !ok || !old.State.Present() {
			continue
		}
		switch {
		case !m.State.Present():
			gone[m.Name] = "the node is gone (lost or left) while the action ran: counted as failed at once"
		case old.HasMeta && m.HasMeta && old.Meta.BootID != m.Meta.BootID:
			gone[m.Name] = "the node's daemon restarted (new boot id) while the action ran: counted as failed at once"
		}
	}
	if len(gone) == 0 {
		return
	}
	for i, a := range tr.t.Actions {
		why, ok := gone[a.Node]
		if !ok || tr.state[i] != actInflight || a.Kind == policy.ActionFence || a.Node == c.node {
			continue
		}
		if a.Kind == policy.ActionStop || a.Kind == policy.ActionDemote {
			l.updateResource(a.Node, policy.ResourceStatus{ID: a.Resource, Role: policy.RoleStopped, FailedStop: true})
		}
		c.fail(tr, i, why)
	}
}
