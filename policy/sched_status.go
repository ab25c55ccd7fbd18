package policy

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"
)

// This file reads the Status: node states and flags, what runs where, and
// the failures (fail counts, failure_timeout expiry, migration_threshold,
// on_fail handling).

// obs is one observed active primitive instance.
type obs struct {
	prim    int
	node    int
	role    Role
	id      string // status ID ("rsc" or "rsc:N")
	inst    int    // unique clone instance number, -1 otherwise
	failed  bool
	blocked bool
	// gone: the node is down (cleanly, or fenced in this transition), so
	// the instance is no longer active; implied: fencing stops it.
	gone    bool
	implied bool
	// recover is set when the failure handling wants stop-then-start.
	onFail OnFail
}

// ban is a node ruled out for a primitive by a failure.
type ban struct {
	node   int
	reason Reason
	detail string
}

func truthy(v string) bool {
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "true", "on", "yes", "y", "1":
		return true
	}
	return false
}

func (s *sched) readNodes() {
	for i := range s.st.Nodes {
		ns := &s.st.Nodes[i]
		ni, ok := s.nodeIdx[ns.Name]
		if !ok {
			continue
		}
		n := s.nodes[ni]
		if ns.State != "" {
			n.state = ns.State
		}
		n.standby = n.standby || ns.Standby
		n.maint = n.maint || ns.Maintenance
		for k, v := range ns.Attributes {
			n.attrs[k] = v
		}
		if v, ok := n.attrs["standby"]; ok && truthy(v) {
			n.standby = true
		}
		if v, ok := n.attrs["maintenance"]; ok && truthy(v) {
			n.maint = true
		}
		if v := n.attrs["shutdown"]; v != "" && v != "0" && !strings.EqualFold(v, "false") {
			n.shutdown = true
		}
	}
	for _, n := range s.nodes {
		n.attrs["#uname"] = n.name
		if n.name == s.st.DC {
			n.attrs["#is_dc"] = "true"
		} else {
			n.attrs["#is_dc"] = "false"
		}
		if s.cfg.Cluster.Name != "" {
			n.attrs["#cluster-name"] = s.cfg.Cluster.Name
		}
		s.setNodeReason(n)
	}
}

func (s *sched) setNodeReason(n *snode) {
	switch {
	case n.state == NodeUnclean:
		n.reason = ReasonNodeUnclean
	case n.state == NodePending:
		n.reason = ReasonNodePending
	case n.state != NodeOnline:
		n.reason = ReasonNodeOffline
	case n.shutdown:
		n.reason = ReasonNodeShutdown
	case n.maint:
		n.reason = ReasonNodeMaintenance
	case n.standby:
		n.reason = ReasonNodeStandby
	default:
		n.reason = ReasonNone
	}
}

// splitInstance splits "rsc:3" into ("rsc", 3); other IDs give -1.
func (s *sched) splitInstance(id string) (string, int) {
	if _, ok := s.rsIdx[id]; ok {
		return id, -1
	}
	if i := strings.LastIndexByte(id, ':'); i > 0 {
		if n, err := strconv.Atoi(id[i+1:]); err == nil && n >= 0 {
			return id[:i], n
		}
	}
	return id, -1
}

// onFailFor finds the on_fail of the failed operation.
func (s *sched) onFailFor(p *srsc, op string, interval Duration) OnFail {
	var best OnFail
	for _, o := range p.prim.Ops {
		if o.Name != op {
			continue
		}
		if o.Interval == interval && o.OnFail != "" {
			return o.OnFail
		}
		if best == "" {
			best = o.OnFail
		}
	}
	if op == "monitor" && interval == 0 {
		best = "" // probes use the default handling
	}
	if best != "" {
		return best
	}
	if op == "stop" {
		if s.stonithEnabled() {
			return OnFailFence
		}
		return OnFailBlock
	}
	return OnFailRestart
}

func (s *sched) readResources() {
	s.active = make([][]obs, len(s.rs))
	s.bans = make([][]ban, len(s.rs))
	orphans := map[string][]int{}
	for i := range s.st.Nodes {
		ns := &s.st.Nodes[i]
		ni, ok := s.nodeIdx[ns.Name]
		if !ok {
			continue
		}
		node := s.nodes[ni]
		for j := range ns.Resources {
			rs := &ns.Resources[j]
			base, inst := s.splitInstance(rs.ID)
			pi, ok := s.rsIdx[base]
			if !ok || s.rs[pi].kind != kindPrim {
				if rs.Role != RoleStopped && rs.Role != RoleUnknown {
					orphans[rs.ID] = append(orphans[rs.ID], ni)
				}
				continue
			}
			p := s.rs[pi]
			s.readFailures(p, node, rs)
			if rs.Role == RoleStopped || rs.Role == RoleUnknown {
				if rs.FailedStop && !s.expired[[2]int{pi, ni}] {
					// A failed stop leaves the state unknown: treat as active.
					rs2 := *rs
					rs2.Role = RoleStarted
					rs = &rs2
				} else {
					continue
				}
			}
			o := obs{prim: pi, node: ni, role: rs.Role, id: rs.ID, inst: inst}
			if o.role == RoleUnpromoted && !p.promo {
				o.role = RoleStarted
			}
			if o.role == RoleStarted && p.promo {
				o.role = RoleUnpromoted
			}
			s.classifyFailure(p, node, rs, &o)
			if p.managed && !node.maint && !o.blocked {
				node.hasActive = true
			}
			s.active[pi] = append(s.active[pi], o)
		}
	}
	ids := make([]string, 0, len(orphans))
	for id := range orphans {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, id := range ids {
		for _, ni := range orphans[id] {
			s.orphans = append(s.orphans, orphan{id: id, node: ni})
			if !s.nodes[ni].maint {
				s.nodes[ni].hasActive = true
			}
		}
	}
}

type orphan struct {
	id   string
	node int
}

// readFailures applies fail counts, failure_timeout and
// migration_threshold for one primitive on one node.
func (s *sched) readFailures(p *srsc, node *snode, rs *ResourceStatus) {
	count := int64(rs.FailCount)
	last := rs.LastFailure
	if last == nil {
		for k := range rs.Failures {
			if at := rs.Failures[k].At; at != nil && (last == nil || at.After(*last)) {
				last = at
			}
		}
	}
	// A failed start sets the fail count to INFINITY with
	// start_failure_is_fatal, as Pacemaker does, and it stays so until a
	// cleanup or the failure_timeout clears the failures: not only while
	// the instance is still marked failed. Reading it from the failed
	// flag alone lost the ban once the recovery's stop succeeded, and
	// the start was retried on the same node about once a second for
	// ever (docs/catalogue.md, Bug B).
	if s.startFailureIsFatal() && failedStart(rs) {
		count = int64(Infinity)
	}
	if count <= 0 {
		return
	}
	// Failures of an operation configured with on_fail = block never
	// expire (Pacemaker keeps them so the block stays).
	blockOnFail := false
	for _, f := range rs.Failures {
		if s.configuredOnFail(p, f.Op, f.Interval) == OnFailBlock {
			blockOnFail = true
		}
	}
	if p.failTO > 0 && last != nil && !blockOnFail {
		exp := last.Add(p.failTO)
		if !exp.After(s.now) {
			s.clears = append(s.clears, clearFC{prim: p.idx, node: node.idx, id: rs.ID})
			s.expired[[2]int{p.idx, node.idx}] = true
			return
		}
		s.recheck(exp)
	}
	thr := p.migThr
	if thr > 0 && count >= thr {
		target := p
		if c := s.inClone(p); c != nil && !s.unique(c) {
			target = c
		}
		detail := fmt.Sprintf("%s failed %s time(s) on %s, migration_threshold is %s", p.id, Score(count), node.name, Score(thr))
		if count >= int64(Infinity) {
			detail = fmt.Sprintf("%s failed fatally on %s (a failed start, with start_failure_is_fatal, or a fail count of INFINITY); clean it up to allow this node again", p.id, node.name)
		}
		s.bans[target.idx] = append(s.bans[target.idx], ban{node: node.idx, reason: ReasonMigrationThreshold, detail: detail})
	}
}

// failedStart reports whether the failures recorded for an instance (since
// its last cleanup) include a failed start.
func failedStart(rs *ResourceStatus) bool {
	for _, f := range rs.Failures {
		if f.Op == "start" && f.Interval == 0 {
			return true
		}
	}
	return false
}

// configuredOnFail is the on_fail set on the operation, "" if none.
func (s *sched) configuredOnFail(p *srsc, op string, interval Duration) OnFail {
	for _, o := range p.prim.Ops {
		if o.Name == op && (o.Interval == interval || op != "monitor") && o.OnFail != "" {
			return o.OnFail
		}
	}
	return ""
}

// hardError reports an agent exit code that bans the node: not installed
// (5), invalid arguments (2), insufficient privileges (4), and
// unimplemented (3) on a one-shot operation. fatal is not configured (6),
// which bans every node.
func hardError(f OpRecord) (hard, fatal bool) {
	switch f.RC {
	case 2, 4, 5:
		return true, false
	case 3:
		return f.Interval == 0, false
	case 6:
		return true, true
	}
	return false, false
}

// classifyFailure applies the on_fail handling of a failed instance.
func (s *sched) classifyFailure(p *srsc, node *snode, rs *ResourceStatus, o *obs) {
	if s.expired[[2]int{p.idx, node.idx}] {
		return // the failure timed out: as if it never happened
	}
	if rs.Failed && len(rs.Failures) > 0 {
		f := rs.Failures[len(rs.Failures)-1]
		if hard, fatal := hardError(f); hard && f.Op != "stop" {
			if fatal {
				for _, n := range s.nodes {
					s.bans[p.idx] = append(s.bans[p.idx], ban{node: n.idx, reason: ReasonFailedHere,
						detail: fmt.Sprintf("%s reported it is not configured (exit code 6) on %s", p.id, node.name)})
				}
			} else {
				s.bans[p.idx] = append(s.bans[p.idx], ban{node: node.idx, reason: ReasonFailedHere,
					detail: fmt.Sprintf("%s failed with a hard error (exit code %d) here", f.Op, f.RC)})
			}
		}
	}
	if rs.Blocked {
		o.blocked = true
		o.failed = rs.Failed || rs.FailedStop
		return
	}
	if rs.FailedStop {
		o.failed = true
		if s.stonithEnabled() && node.state != NodeOffline {
			s.fenceNode(node, fmt.Sprintf("stop of %s failed there", rs.ID))
		} else {
			o.blocked = true
		}
		s.bans[p.idx] = append(s.bans[p.idx], ban{node: node.idx, reason: ReasonFailedHere, detail: "its stop failed here"})
		return
	}
	if !rs.Failed {
		return
	}
	of := OnFailRestart
	if n := len(rs.Failures); n > 0 {
		f := rs.Failures[n-1]
		of = s.onFailFor(p, f.Op, f.Interval)
	}
	o.onFail = of
	switch of {
	case OnFailIgnore:
		return
	case OnFailBlock:
		o.failed, o.blocked = true, true
	case OnFailStop:
		o.failed = true
		s.stopFail[p.idx] = true
	case OnFailFence:
		o.failed = true
		if s.stonithEnabled() {
			s.fenceNode(node, fmt.Sprintf("%s failed there with on_fail = fence", rs.ID))
		}
	case OnFailStandby:
		o.failed = true
		node.standby = true
		s.setNodeReason(node)
	case OnFailBan:
		o.failed = true
		s.bans[p.idx] = append(s.bans[p.idx], ban{node: node.idx, reason: ReasonFailedHere, detail: "on_fail = ban"})
	case OnFailDemote:
		if o.role == RolePromoted {
			s.demoteFail[[2]int{p.idx, node.idx}] = true
		} else {
			o.failed = true
		}
	default:
		o.failed = true
	}
}

func (s *sched) fenceNode(n *snode, why string) {
	if n.fence {
		return
	}
	n.fence = true
	n.fenceWhy = why
}

type clearFC struct {
	prim, node int
	id         string
}

func (s *sched) recheck(t time.Time) {
	if !t.After(s.now) {
		return
	}
	if s.next == nil || t.Before(*s.next) {
		tt := t
		s.next = &tt
	}
}
