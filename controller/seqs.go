package controller

import (
	"github.com/ward-ha/ward/policy"
	"github.com/ward-ha/ward/resources"
)

// This file orders what members say about their resources. A member
// tells the DC about a resource in two ways, a full report and an
// action's result, and messages between two nodes can be reordered
// (each is its own stream; a link may delay one). Found by the
// simulation (seed 4123, two-active): a report built before a start of
// vip reached the member arrived after the start's result, the DC took
// vip for stopped there and started it on another node.
//
// Every resource state a member sends carries the highest executor
// sequence number of that resource's history (the executor's history
// only grows, so a higher number is a later state) and the member's
// boot. The DC keeps, per resource, the newer of what it holds and what
// arrives; on a tie (the same history) it keeps the more active state,
// since a report may add a start in flight, and the DC may have marked a
// stop it could not confirm.

// historySeq returns the highest sequence number in h.
func historySeq(h resources.History) uint64 {
	var s uint64
	for _, r := range h.Last {
		s = max(s, r.Seq)
	}
	for _, r := range h.Log {
		s = max(s, r.Seq)
	}
	return s
}

// activeness ranks a state for ties: stopped, active, promoted.
func activeness(rs policy.ResourceStatus) int {
	switch {
	case rs.Role == policy.RolePromoted:
		return 2
	case active(rs):
		return 1
	}
	return 0
}

// supersedes reports whether state in (sequence inSeq) may replace
// state cur (curSeq) of the same resource and boot.
func supersedes(inSeq uint64, in policy.ResourceStatus, curSeq uint64, cur policy.ResourceStatus) bool {
	if inSeq != curSeq {
		return inSeq > curSeq
	}
	return activeness(in) >= activeness(cur)
}

// mergeOlder keeps in r (a new report) the resource states of prev (the
// report the DC holds, updated by results since) that are newer than
// r's. Reports of different boots are not compared: r is the truth.
func mergeOlder(prev, r *nodeReport) {
	if prev == nil || prev.Boot == "" || prev.Boot != r.Boot {
		return
	}
	idx := map[string]int{}
	for i, rs := range r.Resources {
		idx[rs.ID] = i
	}
	for _, cur := range prev.Resources {
		i, ok := idx[cur.ID]
		var in policy.ResourceStatus
		if ok {
			in = r.Resources[i]
		}
		if ok && supersedes(r.Seqs[cur.ID], in, prev.Seqs[cur.ID], cur) {
			continue
		}
		if !ok && !active(cur) {
			continue
		}
		if r.Seqs == nil {
			r.Seqs = map[string]uint64{}
		}
		r.Seqs[cur.ID] = prev.Seqs[cur.ID]
		if ok {
			r.Resources[i] = cur
		} else {
			r.Resources = append(r.Resources, cur)
		}
	}
}

// applyResult records the resource state of an action's result unless
// what the DC holds is newer (or the result comes from a boot of the
// node that is not its latest); it reports whether it did.
func (l *loopState) applyResult(node string, res *resultMsg) bool {
	rs := *res.Resource
	known := l.known[node]
	if res.Boot != "" {
		if b, ok := l.boots[node]; ok && b.ID != res.Boot {
			return false // an earlier boot of the node: gone
		}
		if known != nil && known.Boot != "" && known.Boot != res.Boot {
			known.Boot, known.Seqs = res.Boot, nil // what the DC holds is of an earlier boot
		}
	}
	if known != nil && (res.Boot == "" || known.Boot == "" || known.Boot == res.Boot) {
		for _, cur := range known.Resources {
			if cur.ID == rs.ID && !supersedes(res.Seq, rs, known.Seqs[rs.ID], cur) {
				return false
			}
		}
	}
	l.updateResource(node, rs)
	r := l.known[node]
	if r.Boot == "" {
		r.Boot = res.Boot
	}
	if r.Seqs == nil {
		r.Seqs = map[string]uint64{}
	}
	r.Seqs[rs.ID] = res.Seq
	return true
}
