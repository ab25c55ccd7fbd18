package policy

import "sort"

// This file assembles the Transition: actions, placement, node states,
// failed instances and the score tables.

func (s *sched) output() Transition {
	b := s.buildActions()
	var t Transition
	t.Actions, t.Edges = s.sortActions(b)

	for _, p := range s.pinsts {
		if p.node < 0 {
			continue
		}
		if s.nodes[p.node].fence {
			continue
		}
		role := p.role
		if role == RoleUnknown {
			role = RoleStarted
		}
		if s.rs[p.prim].promo && role == RoleStarted {
			role = RoleUnpromoted
		}
		if !s.rs[p.prim].promo && role == RoleUnpromoted {
			role = RoleStarted
		}
		t.Placements = append(t.Placements, Placement{Resource: s.rs[p.prim].id, Role: role, Node: s.nodes[p.node].name})
	}
	sort.Slice(t.Placements, func(i, j int) bool {
		a, c := t.Placements[i], t.Placements[j]
		if a.Resource != c.Resource {
			return a.Resource < c.Resource
		}
		if a.Role != c.Role {
			return a.Role < c.Role
		}
		return a.Node < c.Node
	})

	t.Fenced = []string{}
	for _, n := range s.nodes {
		if n.fence {
			t.Fenced = append(t.Fenced, n.name)
		}
		t.Nodes = append(t.Nodes, NodeOutcome{Name: n.name, State: s.nodeAfter(n), Reason: n.reason})
	}

	t.Failed = []FailedInstance{}
	for _, p := range s.pinsts {
		for _, k := range p.obs {
			o := &s.active[p.prim][k]
			if !o.failed || o.gone {
				continue
			}
			if p.frozen || s.nodes[o.node].state != NodeOnline {
				t.Failed = append(t.Failed, FailedInstance{Resource: s.rs[p.prim].id, Node: s.nodes[o.node].name})
			}
		}
	}
	sort.Slice(t.Failed, func(i, j int) bool {
		if t.Failed[i].Resource != t.Failed[j].Resource {
			return t.Failed[i].Resource < t.Failed[j].Resource
		}
		return t.Failed[i].Node < t.Failed[j].Node
	})

	t.NextRecheck = s.next
	sort.Strings(s.warnings)
	t.Warnings = dedupeStrings(s.warnings)
	t.tables = s.tableSource()
	if t.Actions == nil {
		t.Actions = []Action{}
	}
	if t.Edges == nil {
		t.Edges = []Edge{}
	}
	if t.Placements == nil {
		t.Placements = []Placement{}
	}
	return t
}

func dedupeStrings(in []string) []string {
	var out []string
	for i, x := range in {
		if i == 0 || x != in[i-1] {
			out = append(out, x)
		}
	}
	return out
}

// nodeAfter is a node's state once the transition ran.
func (s *sched) nodeAfter(n *snode) string {
	switch {
	case n.fence:
		return "offline"
	case n.state == NodeUnclean:
		return "unclean"
	case n.state == NodePending:
		return "pending"
	case n.state != NodeOnline:
		return "offline"
	case n.maint:
		return "maintenance"
	case n.standby:
		return "standby"
	}
	return "online"
}

// tableSource keeps what the score tables are built from; sorting the
// resources by ID now makes lookups cheap later.
func (s *sched) tableSource() *sched {
	s.byID = make([]int, len(s.rs))
	for i := range s.byID {
		s.byID[i] = i
	}
	sort.Slice(s.byID, func(i, j int) bool { return s.rs[s.byID[i]].id < s.rs[s.byID[j]].id })
	// Drop what the tables do not read, so a kept Transition keeps less.
	s.boolPool, s.scoreBufs, s.placedBuf, s.baseVecs = nil, nil, nil, nil
	s.colocs, s.thisWith, s.withThis, s.ords = nil, nil, nil, nil
	return s
}

// byNode returns cs stably ordered by node (a counting sort).
func (s *sched) byNode(cs []contrib) []contrib {
	sorted := true
	for i := 1; i < len(cs); i++ {
		if cs[i].node < cs[i-1].node {
			sorted = false
			break
		}
	}
	if sorted {
		return cs
	}
	cnt := make([]int, len(s.nodes)+1)
	for _, c := range cs {
		cnt[c.node+1]++
	}
	for i := 1; i < len(cnt); i++ {
		cnt[i] += cnt[i-1]
	}
	out := make([]contrib, len(cs))
	for _, c := range cs {
		out[cnt[c.node]] = c
		cnt[c.node]++
	}
	return out
}

// scoreTable builds the score table of resource ri. It only reads the
// scheduler's state, so tables can be built from several goroutines.
func (s *sched) scoreTable(ri int) ResourceScores {
	{
		r := s.rs[ri]
		rs := ResourceScores{Resource: r.id, Kind: r.kind.String()}
		vec := s.unitVecs[r.idx]
		if r.parent < 0 {
			for _, n := range s.ust[r.idx].chosen {
				rs.Chosen = append(rs.Chosen, s.nodes[n].name)
			}
			rs.Reason = s.ust[r.idx].reason
		} else if r.kind == kindPrim {
			for _, pi := range s.pinstOf[r.idx] {
				p := &s.pinsts[pi]
				if p.node >= 0 {
					rs.Chosen = append(rs.Chosen, s.nodes[p.node].name)
				} else if rs.Reason == ReasonNone {
					rs.Reason = p.reason
				}
			}
		}
		if r.kind == kindPrim && r.parent < 0 {
			rs.Reason = ReasonNone
			for _, pi := range s.pinstOf[r.idx] {
				if p := &s.pinsts[pi]; p.node < 0 && rs.Reason == ReasonNone {
					rs.Reason = p.reason
				}
			}
			if len(rs.Chosen) == 0 && rs.Reason == ReasonNone {
				rs.Reason = s.ust[r.idx].reason
			}
		}
		seen := map[int]bool{}
		for _, m := range s.members(r) {
			for _, o := range s.active[m.idx] {
				if !seen[o.node] {
					seen[o.node] = true
					rs.Current = append(rs.Current, s.nodes[o.node].name)
				}
			}
		}
		sort.Strings(rs.Current)
		cs := s.contribs[r.idx]
		mass := s.mass[r.idx]
		if r.kind != kindPrim {
			// Show the members' terms in the group's or clone's table.
			cs = append([]contrib(nil), cs...)
			for _, m := range s.members(r) {
				for _, c := range s.contribs[m.idx] {
					c.member = int32(m.idx + 1)
					cs = append(cs, c)
				}
			}
		}
		cs = s.byNode(cs)
		keep := make([]bool, len(s.nodes))
		for _, n := range rs.Chosen {
			keep[s.nodeIdx[n]] = true
		}
		for _, n := range rs.Current {
			keep[s.nodeIdx[n]] = true
		}
		promo := make(map[int]Score)
		for _, pa := range s.promoOut[r.idx] {
			promo[pa.node] = pa.score
			keep[pa.node] = true
			if pa.promoted {
				rs.Promoted = append(rs.Promoted, s.nodes[pa.node].name)
			}
		}
		sort.Strings(rs.Promoted)
		na := s.notAllowed[r.idx]

		score := func(n int) Score {
			if vec != nil {
				return vec[n]
			}
			if na != nil && na[n] {
				return -Infinity
			}
			return s.vecs[r.idx][n]
		}
		// Two passes: count the listed nodes, then fill one allocation.
		all := make([]Contribution, len(cs))
		for i, c := range cs {
			all[i] = Contribution{Kind: c.kind, Source: c.src, Score: c.score}
			if c.member > 0 {
				all[i].Member = s.rs[c.member-1].id
			}
		}
		var entries []NodeScore
		for pass := 0; pass < 2; pass++ {
			count, k := 0, 0
			for n, node := range s.nodes {
				start := k
				for k < len(cs) && int(cs[k].node) == n {
					k++
				}
				sc := score(n)
				why := ReasonNone
				switch {
				case !node.usable():
					why = node.reason
				case na != nil && na[n] && r.kind != kindGroup:
					why = ReasonNotAllowed
				case sc < 0:
					why = ReasonNegativeScore
					if rw := s.reasonAt(r.idx, n); rw != ReasonNone {
						why = rw
					} else if r.kind != kindPrim {
						// A group or clone is ruled out by a member's reason.
						for _, m := range s.members(r) {
							if rw := s.reasonAt(m.idx, n); rw != ReasonNone {
								why = rw
								break
							}
						}
					}
				}
				// Sparse table: a node is listed when something speaks
				// for or against it; the others score 0, no preference.
				if start == k && sc == 0 && !keep[n] && (why == ReasonNone || why == node.reason) {
					continue
				}
				if pass == 1 {
					ns := NodeScore{Node: node.name, Score: sc, Reason: why}
					if ps, ok := promo[n]; ok {
						ps := ps
						ns.Promotion = &ps
					}
					if start < k {
						ns.Contributions = all[start:k:k]
					}
					for _, mc := range mass {
						if !mc.nodes[n] {
							continue
						}
						if ns.Contributions == nil {
							ns.Contributions = mc.c // shared, one element
						} else {
							ns.Contributions = append(ns.Contributions[:len(ns.Contributions):len(ns.Contributions)], mc.c...)
						}
					}
					entries = append(entries, ns)
				}
				count++
			}
			if pass == 0 {
				entries = make([]NodeScore, 0, count)
			}
		}
		rs.Nodes = entries
		return rs
	}
}
