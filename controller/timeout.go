package controller

import (
	"time"

	"github.com/ward-ha/ward/policy"
)

// This file handles a start or promotion that gets no result within its
// timeout plus margin on a node that is still present. Pacemaker counts
// such an operation as failed with the resource possibly active in that
// role on the node: it is stopped there (and the node fenced if that
// stop fails) before it may start anywhere else. Without this record the
// DC scheduled from the node's last report, which predates the start and
// says stopped, and could start the resource elsewhere while the start
// on the node was still running (two active).

// sentState is what the DC held about an action's resource on its node
// when it sent the action: the node's boot and the resource's history
// sequence (seqs.go). A state that arrives later with a higher sequence
// (or from another boot) is newer than the action and settles it.
type sentState struct {
	boot string
	seq  uint64
}

// sentStateOf returns what the DC holds about resource id on node.
func (l *loopState) sentStateOf(node, id string) sentState {
	r := l.known[node]
	if r == nil {
		return sentState{}
	}
	return sentState{boot: r.Boot, seq: r.Seqs[id]}
}

// noteTimedOutStart records a start or promotion that timed out on a
// present node as failed and maybe active there in the role it could
// leave, unless a newer report or result for that resource arrived
// since the action was sent. A lost node is covered by maybe and mayRun.
func (l *loopState) noteTimedOutStart(a policy.Action, sent sentState, now time.Time) bool {
	if (a.Kind != policy.ActionStart && a.Kind != policy.ActionPromote) || !l.present(a.Node) {
		return false
	}
	known := l.known[a.Node]
	if known != nil {
		if sent.boot != "" && known.Boot != "" && known.Boot != sent.boot {
			return false // the node restarted: its new boot's report is the truth
		}
		if known.Seqs[a.Resource] > sent.seq {
			return false // a newer state of the resource settles it
		}
	}
	role, op := policy.RoleStarted, "start"
	if a.Kind == policy.ActionPromote {
		role, op = policy.RolePromoted, "promote"
	}
	rs := policy.ResourceStatus{ID: a.Resource}
	if known != nil {
		for _, cur := range known.Resources {
			if cur.ID == a.Resource {
				rs = cur
				rs.Failures = append([]policy.OpRecord(nil), cur.Failures...)
			}
		}
	}
	if activeness(policy.ResourceStatus{Role: role}) > activeness(rs) {
		rs.Role = role
	}
	at := now
	rs.Failed = true
	rs.FailCount++
	rs.LastFailure = &at
	rs.Failures = append(rs.Failures, policy.OpRecord{Op: op, RC: 1, Kind: "timeout", At: &at,
		Output: "no result from " + a.Node + " within the timeout plus margin; it may still be active there"})
	l.updateResource(a.Node, rs)
	if r := l.joined[a.Node]; r != nil && r != l.known[a.Node] {
		l.joined[a.Node] = l.known[a.Node]
	}
	return true
}
