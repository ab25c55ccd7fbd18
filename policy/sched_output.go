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
	t.Scores = s.scoreTables()
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

func (s *sched) scoreTables() []ResourceScores {
	out := make([]ResourceScores, 0, len(s.rs))
	for _, r := range s.rs {
		rs := ResourceScores{Resource: r.id, Kind: r.kind.String()}
		vec := s.unitVecs[r.idx]
		if vec == nil {
			vec = s.effVec(r.idx)
		}
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
		byNode := make([][]Contribution, len(s.nodes))
		for _, c := range s.contribs[r.idx] {
			byNode[c.node] = append(byNode[c.node], Contribution{Kind: c.kind, Source: c.src, Score: c.score})
		}
		if r.kind != kindPrim {
			// Show the members' terms in the group's or clone's table.
			for _, m := range s.members(r) {
				for _, c := range s.contribs[m.idx] {
					byNode[c.node] = append(byNode[c.node], Contribution{Kind: c.kind,
						Source: c.src + " (member " + m.id + ")", Score: c.score})
				}
			}
		}
		rs.Nodes = make([]NodeScore, len(s.nodes))
		for n, node := range s.nodes {
			ns := NodeScore{Node: node.name, Score: vec[n], Contributions: byNode[n]}
			switch {
			case !node.usable():
				ns.Reason = node.reason
			case s.notAllowed[r.idx] != nil && s.notAllowed[r.idx][n] && r.kind != kindGroup:
				ns.Reason = ReasonNotAllowed
			case vec[n] < 0:
				if why, ok := s.reasons[r.idx][n]; ok {
					ns.Reason = why
				} else {
					ns.Reason = ReasonNegativeScore
				}
			}
			rs.Nodes[n] = ns
		}
		out = append(out, rs)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Resource < out[j].Resource })
	return out
}
