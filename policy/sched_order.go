package policy

// This file expands order constraints (pairs and sets) and applies their
// one effect on placement: with a mandatory order, "then" cannot start
// while "first" will not run (and, when symmetric, stops with it).

// ord is one first-then pair of an order constraint.
type ord struct {
	id          string
	first, then int
	fa, ta      string
	kind        OrderKind
	symmetric   bool
}

func (s *sched) expandOrders() []ord {
	var out []ord
	for i := range s.cfg.Orders {
		o := &s.cfg.Orders[i]
		kind := o.Kind
		if kind == "" {
			kind = OrderMandatory
		}
		sym := kind != OrderSerialize
		if o.Symmetric != nil {
			sym = *o.Symmetric
		}
		add := func(f, t int, fa, ta string) {
			if f == t {
				return
			}
			// Order constraints between a fencing device and another
			// resource are ignored, as Pacemaker does.
			if s.rs[f].stonith || s.rs[t].stonith {
				return
			}
			if fa == "" {
				fa = "start"
			}
			if ta == "" {
				ta = fa
			}
			out = append(out, ord{id: o.ID, first: f, then: t, fa: fa, ta: ta, kind: kind, symmetric: sym})
		}
		if len(o.Sets) == 0 {
			f, ok1 := s.rsIdx[o.First]
			t, ok2 := s.rsIdx[o.Then]
			if !ok1 || !ok2 {
				s.warnf("order %q: resource %q or %q does not exist; ignored", o.ID, o.First, o.Then)
				continue
			}
			ta := o.ThenAction
			if ta == "" {
				ta = o.FirstAction
			}
			add(f, t, o.FirstAction, ta)
			continue
		}
		type oset struct {
			ids    []int
			seq    bool
			action string
		}
		var sets []oset
		for _, st := range o.Sets {
			os := oset{seq: seqTrue(st.Sequential), action: st.Action}
			for _, id := range st.Resources {
				if ri, ok := s.rsIdx[id]; ok {
					os.ids = append(os.ids, ri)
				}
			}
			sets = append(sets, os)
		}
		for si, st := range sets {
			if st.seq {
				for k := 1; k < len(st.ids); k++ {
					add(st.ids[k-1], st.ids[k], st.action, st.action)
				}
			}
			if si == 0 {
				continue
			}
			prev := sets[si-1]
			var fs, ts []int
			if prev.seq && len(prev.ids) > 0 {
				fs = prev.ids[len(prev.ids)-1:]
			} else {
				fs = prev.ids
			}
			if st.seq && len(st.ids) > 0 {
				ts = st.ids[:1]
			} else {
				ts = st.ids
			}
			for _, f := range fs {
				for _, t := range ts {
					add(f, t, prev.action, st.action)
				}
			}
		}
	}
	return out
}

// placedAt is one node where a resource will be active, with its role.
type placedAt struct {
	node    int
	role    Role
	blocked bool // frozen while failed: it will not (re)start
}

// placedOf lists where resource r (or its members) will be active; the
// slice is reused by the next call.
func (s *sched) placedOf(r int) []placedAt {
	out := s.placedBuf[:0]
	for _, m := range s.members(s.rs[r]) {
		for _, pi := range s.pinstOf[m.idx] {
			p := &s.pinsts[pi]
			if p.node >= 0 {
				pl := placedAt{node: p.node, role: p.role}
				if p.frozen {
					for _, k := range p.obs {
						if o := &s.active[p.prim][k]; o.failed && o.node == p.node {
							pl.blocked = true
						}
					}
				}
				out = append(out, pl)
			}
		}
	}
	s.placedBuf = out
	return out
}

func (s *sched) interleaved(o *ord) bool {
	f, t := s.rs[s.rs[o.first].unit], s.rs[s.rs[o.then].unit]
	return f.kind == kindClone && t.kind == kindClone && t.cl.Interleave
}

// applyOrderBlocking stops "then" resources whose mandatory "first" will
// not run, until nothing changes.
func (s *sched) applyOrderBlocking() {
	s.ords = s.expandOrders()
	for round := 0; round < 16; round++ {
		changed := false
		for i := range s.ords {
			o := &s.ords[i]
			if o.kind != OrderMandatory || (o.fa != "start" && o.fa != "promote") {
				continue
			}
			if o.ta != "start" && o.ta != "promote" {
				continue
			}
			needRole := RoleUnknown
			if o.fa == "promote" {
				needRole = RolePromoted
			}
			firstOn := s.scratchBool()
			anyFirst := false
			for _, pl := range s.placedOf(o.first) {
				if pl.blocked {
					continue // a blocked, failed first cannot start
				}
				if needRole == RoleUnknown || pl.role == needRole {
					firstOn[pl.node] = true
					anyFirst = true
				}
			}
			inter := s.interleaved(o)
			for _, m := range s.members(s.rs[o.then]) {
				for _, pi := range s.pinstOf[m.idx] {
					p := &s.pinsts[pi]
					if p.node < 0 || p.frozen {
						continue
					}
					ok := anyFirst
					if inter {
						ok = firstOn[p.node]
					}
					if ok {
						continue
					}
					if o.ta == "promote" {
						if p.role == RolePromoted {
							p.role = RoleUnpromoted
							changed = true
						}
						continue
					}
					if s.runningOn(p, p.node) && !o.symmetric {
						continue
					}
					was := p.node
					p.node = -1
					p.reason = ReasonOrder
					changed = true
					s.blockLaterMembers(m, p.inst, was)
				}
			}
			s.releaseBool(firstOn)
		}
		if !changed {
			return
		}
	}
}

// runningOn reports whether instance p runs healthy on node n now.
func (s *sched) runningOn(p *pinst, n int) bool {
	for _, k := range p.obs {
		o := &s.active[p.prim][k]
		if o.node == n && !o.gone && !o.failed {
			return true
		}
	}
	return false
}

// blockLaterMembers stops the members after m in its group (same
// instance) once m cannot run.
func (s *sched) blockLaterMembers(m *srsc, inst, node int) {
	if m.parent < 0 {
		return
	}
	g := s.rs[m.parent]
	if g.kind != kindGroup || !g.collocated {
		return
	}
	after := false
	for _, ci := range g.children {
		if ci == m.idx {
			after = true
			continue
		}
		if !after {
			continue
		}
		for _, pi := range s.pinstOf[ci] {
			p := &s.pinsts[pi]
			if p.inst == inst && p.node == node && !p.frozen {
				p.node = -1
				p.reason = ReasonGroupMember
			}
		}
	}
}
