package policy

// This file expands colocation constraints (pairs and resource sets) into
// dependent -> primary pairs, indexes them by unit, and applies a placed
// primary to its dependent's scores.

// coloc is one dependent-with-primary colocation.
type coloc struct {
	id        string
	dep, prim int // resource indexes
	score     Score
	depRole   Role
	primRole  Role
	attr      string
	influence bool
}

func (s *sched) addColoc(c coloc) {
	if c.dep == c.prim || c.score == 0 {
		return
	}
	if s.rs[c.dep].unit == s.rs[c.prim].unit && s.rs[c.dep].kind != kindClone {
		// Inside one unit (two members of a group): the group's own
		// colocation already decides.
		return
	}
	ci := len(s.colocs)
	s.colocs = append(s.colocs, c)
	du, pu := s.rs[c.dep].unit, s.rs[c.prim].unit
	s.thisWith[du] = append(s.thisWith[du], ci)
	s.withThis[pu] = append(s.withThis[pu], ci)
}

func seqTrue(b *bool) bool { return b == nil || *b }

func (s *sched) expandColocations() {
	for i := range s.cfg.Colocations {
		c := &s.cfg.Colocations[i]
		infl := c.Influence == nil || *c.Influence
		if len(c.Sets) == 0 {
			d, ok1 := s.rsIdx[c.Resource]
			p, ok2 := s.rsIdx[c.With]
			if !ok1 || !ok2 {
				s.warnf("colocation %q: resource %q or %q does not exist; ignored", c.ID, c.Resource, c.With)
				continue
			}
			s.addColoc(coloc{id: c.ID, dep: d, prim: p, score: c.Score, depRole: c.ResourceRole,
				primRole: c.WithRole, attr: c.NodeAttribute, influence: infl})
			continue
		}
		// Resolve sets.
		type rset struct {
			ids   []int
			seq   bool
			role  Role
			score Score
		}
		var sets []rset
		for _, st := range c.Sets {
			rs := rset{seq: seqTrue(st.Sequential), role: st.Role, score: c.Score}
			if st.Score != nil {
				rs.score = *st.Score
			}
			for _, id := range st.Resources {
				if ri, ok := s.rsIdx[id]; ok {
					rs.ids = append(rs.ids, ri)
				} else {
					s.warnf("colocation %q: resource %q does not exist; ignored", c.ID, id)
				}
			}
			sets = append(sets, rs)
		}
		for si, st := range sets {
			if st.seq {
				// Within a sequential set each member depends on the one
				// before it.
				for k := 1; k < len(st.ids); k++ {
					s.addColoc(coloc{id: c.ID, dep: st.ids[k], prim: st.ids[k-1], score: st.score,
						depRole: st.role, primRole: st.role, attr: c.NodeAttribute, influence: infl})
				}
			}
			if si == 0 {
				continue
			}
			// Between sets the earlier set depends on the later one.
			prev := sets[si-1]
			var deps, prims []int
			if prev.seq {
				if len(prev.ids) > 0 {
					deps = prev.ids[:1]
				}
			} else {
				deps = prev.ids
			}
			if st.seq {
				if len(st.ids) > 0 {
					prims = st.ids[len(st.ids)-1:]
				}
			} else {
				prims = st.ids
			}
			for _, d := range deps {
				for _, p := range prims {
					s.addColoc(coloc{id: c.ID, dep: d, prim: p, score: c.Score, depRole: prev.role,
						primRole: st.role, attr: c.NodeAttribute, influence: infl})
				}
			}
		}
	}
}

// attrOf returns the colocation attribute value of node n.
func (s *sched) attrOf(n int, attr string) (string, bool) {
	if attr == "" || attr == "#uname" {
		return s.nodes[n].name, true
	}
	v, ok := s.nodes[n].attrs[attr]
	return v, ok
}

// primaryNodes marks the nodes where the primary of c will be active in
// the constraint's role. ok is false if the primary runs nowhere.
func (s *sched) primaryNodes(c *coloc, mark []bool) bool {
	any := false
	for _, pl := range s.placedOf(c.prim) {
		if c.primRole == RolePromoted && pl.role != RolePromoted {
			continue
		}
		if c.primRole == RoleUnpromoted && pl.role == RolePromoted {
			continue
		}
		mark[pl.node] = true
		any = true
	}
	return any
}

// applyColoc applies the placed primary of c to the dependent's vector
// (target is the resource whose vector changes).
func (s *sched) applyColoc(c *coloc, target int) {
	mark := s.scratchBool()
	defer s.releaseBool(mark)
	any := s.primaryNodes(c, mark)
	if c.attr != "" && c.attr != "#uname" && any {
		vals := map[string]bool{}
		for n, m := range mark {
			if m {
				if v, ok := s.attrOf(n, c.attr); ok {
					vals[v] = true
				}
			}
		}
		for n := range mark {
			v, ok := s.attrOf(n, c.attr)
			mark[n] = ok && vals[v]
		}
	}
	src := c.id + " (with " + s.rs[c.prim].id + ")"
	switch {
	case c.score >= Infinity:
		s.massBan(target, mark, false, src)
	case c.score <= -Infinity:
		s.massBan(target, mark, true, src)
	default:
		for n := range mark {
			if mark[n] {
				s.addScore(target, n, c.score, "colocation", src)
			}
		}
	}
}

// massBan sets -INFINITY on every node where mark[n] == on, recording
// one shared term for all of them (a mandatory colocation touches most
// nodes; one term per node would dominate the memory of a big cluster).
func (s *sched) massBan(target int, mark []bool, on bool, src string) {
	v := s.vec(target)
	var hit []bool
	for n := range mark {
		if mark[n] != on {
			continue
		}
		if hit == nil {
			hit = make([]bool, len(mark))
		}
		hit[n] = true
		v[n] = -Infinity
		s.setReason(target, n, ReasonColocation)
	}
	if hit != nil {
		s.mass[target] = append(s.mass[target], massContrib{nodes: hit,
			c: []Contribution{{Kind: "colocation", Source: src, Score: -Infinity}}})
	}
}

// massContrib is one term shared by many nodes of a resource's table.
type massContrib struct {
	nodes []bool
	c     []Contribution // one element, shared read-only by the table
}

func (s *sched) scratchBool() []bool {
	if k := len(s.boolPool); k > 0 {
		b := s.boolPool[k-1]
		s.boolPool = s.boolPool[:k-1]
		for i := range b {
			b[i] = false
		}
		return b
	}
	return make([]bool, len(s.nodes))
}

func (s *sched) releaseBool(b []bool) { s.boolPool = append(s.boolPool, b) }
