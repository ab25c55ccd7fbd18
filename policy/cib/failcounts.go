package cib

import (
	"sort"
	"strings"
	"time"

	"github.com/ward-ha/ward/policy"
)

// failCount is the effective fail count of one resource on one node.
type failCount struct {
	count policy.Score
	last  int64 // epoch of the latest failure, 0 if unknown
	order int
}

// readFailCounts sums fail-count-<rsc>#<op>_<interval> attributes per
// resource and takes the latest last-failure-* (Pacemaker 3.x reads only
// this form).
func (im *importer) readFailCounts(rt *nodeRT) {
	rt.failCounts = map[string]*failCount{}
	if rt.state == nil {
		return
	}
	ta := rt.state.child("transient_attributes")
	if ta == nil {
		return
	}
	for _, p := range im.readSets(ta, "instance_attributes") {
		var rest string
		isCount := false
		switch {
		case strings.HasPrefix(p.name, "fail-count-"):
			rest, isCount = strings.TrimPrefix(p.name, "fail-count-"), true
		case strings.HasPrefix(p.name, "last-failure-"):
			rest = strings.TrimPrefix(p.name, "last-failure-")
		default:
			continue
		}
		i := strings.LastIndexByte(rest, '#')
		if i <= 0 {
			im.note(p.el, "legacy fail count without #op_interval: Pacemaker 3.x ignores it, so does the import")
			continue
		}
		id, _ := im.resolveHistoryID(rest[:i])
		fc := rt.failCounts[id]
		if fc == nil {
			fc = &failCount{order: len(rt.failCounts)}
			rt.failCounts[id] = fc
		}
		if isCount {
			s, err := policy.ParseScore(p.value)
			if err != nil {
				im.lossy(p.el, "fail count is not a number; ignored")
				continue
			}
			fc.count = fc.count.Add(s)
		} else {
			t, ok := parseEpoch(p.value)
			if !ok {
				im.lossy(p.el, "last-failure is not an epoch between 1970 and 9999; ignored")
				continue
			}
			fc.last = max(fc.last, t)
		}
	}
}

// attachFailCounts copies the fail counts into the node's resources,
// adding an entry for resources without history there.
func attachFailCounts(rt *nodeRT) {
	ids := make([]string, 0, len(rt.failCounts))
	for id := range rt.failCounts {
		ids = append(ids, id)
	}
	sort.Slice(ids, func(i, j int) bool { return rt.failCounts[ids[i]].order < rt.failCounts[ids[j]].order })
	index := map[string]int{}
	for i := len(rt.resources) - 1; i >= 0; i-- {
		index[rt.resources[i].ID] = i
	}
	for _, id := range ids {
		fc := rt.failCounts[id]
		if fc.count <= 0 && fc.last == 0 {
			continue
		}
		idx, ok := index[id]
		if !ok {
			rt.resources = append(rt.resources, policy.ResourceStatus{ID: id, Role: policy.RoleStopped})
			idx = len(rt.resources) - 1
		}
		rs := &rt.resources[idx]
		rs.FailCount = int(fc.count)
		if fc.last > 0 {
			t := time.Unix(fc.last, 0).UTC()
			rs.LastFailure = &t
		}
	}
}
