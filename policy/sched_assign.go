package policy

// This file places primitives and groups: one unit at a time, after the
// units it is colocated with, on the best node (highest score; ties go to
// the node it runs on, then the least loaded node, then name order).

// ustate is the assignment state of one unit.
type ustate struct {
	done, busy bool
	node       int // chosen node of a primitive or group, -1 if none
	reason     Reason
	chosen     []int // nodes chosen (clone: one per instance)
}

// pinst is one primitive instance's target.
type pinst struct {
	prim   int
	inst   int   // clone instance number, -1 outside clones
	obs    []int // indexes into s.active[prim] this instance accounts for
	node   int   // target node, -1: stopped
	role   Role
	frozen bool // take no action on it
	reason Reason
	// restart forces stop-then-start where it stays.
	restart bool
}

func (s *sched) newPinst(p pinst) int {
	i := len(s.pinsts)
	s.pinsts = append(s.pinsts, p)
	s.pinstOf[p.prim] = append(s.pinstOf[p.prim], i)
	return i
}

func (s *sched) assign(u int) {
	st := &s.ust[u]
	if st.done || st.busy {
		return
	}
	st.busy = true
	for _, ci := range s.thisWith[u] {
		if pu := s.rs[s.colocs[ci].prim].unit; pu != u {
			s.assign(pu)
		}
	}
	r := s.rs[u]
	switch r.kind {
	case kindClone:
		s.assignClone(r)
	case kindGroup:
		if !r.collocated {
			for _, m := range r.children {
				s.assignSingle(s.rs[m], []*srsc{s.rs[m]})
			}
		} else {
			s.assignSingle(r, s.members(r))
		}
	default:
		s.assignSingle(r, []*srsc{r})
	}
	st.busy = false
	st.done = true
}

// effVec returns r's vector with not-allowed nodes as -INFINITY, in a
// fresh slice.
func (s *sched) effVec(r int) []Score {
	v := append([]Score(nil), s.vecs[r]...)
	if na := s.notAllowed[r]; na != nil {
		for n, x := range na {
			if x {
				v[n] = -Infinity
			}
		}
	}
	return v
}

// anyAvailable reports whether some usable node has a non-negative score.
func (s *sched) anyAvailable(v []Score) bool {
	for n, x := range v {
		if x >= 0 && s.nodes[n].usable() {
			return true
		}
	}
	return false
}

// fold combines member vectors the way a group does: each member adds
// its scores unless that would leave no node for the group, at which
// point the rest can only run partially.
func (s *sched) fold(ms []*srsc) []Score {
	work := s.effVec(ms[0].idx)
	if len(ms) == 1 {
		return work
	}
	tmp := s.scoreBuf(15)
	for _, m := range ms[1:] {
		v, na := s.vecs[m.idx], s.notAllowed[m.idx]
		ok := false
		for n := range tmp {
			x := v[n]
			if na != nil && na[n] {
				x = -Infinity
			}
			tmp[n] = x.Add(work[n])
			if tmp[n] >= 0 && s.nodes[n].usable() {
				ok = true
			}
		}
		if !ok {
			break
		}
		copy(work, tmp)
	}
	return work
}

// baseVec is a unit's own preference vector, used when it pulls a
// primary towards it (colocation influence). Callers must not modify it.
func (s *sched) baseVec(u int) []Score {
	if v := s.baseVecs[u]; v != nil {
		return v
	}
	r := s.rs[u]
	var v []Score
	switch r.kind {
	case kindPrim:
		if s.notAllowed[u] == nil {
			v = s.vecs[u] // read-only here: no copy
		} else {
			v = s.effVec(u)
		}
	case kindGroup:
		v = s.fold(s.members(r))
	case kindClone:
		v = s.effVec(u)
		if ch := s.cloneChild(r); ch != nil {
			cv := s.fold(s.members(ch))
			for n := range v {
				v[n] = v[n].Add(cv[n])
			}
		}
	}
	s.baseVecs[u] = v
	return v
}

// mergeDependents adds the preferences of resources colocated with unit u
// (and theirs, recursively), scaled by the colocation score, rolling back
// any that would leave no usable node.
func (s *sched) mergeDependents(u int, work []Score, factor float64, depth int, target int) {
	if depth > 3 {
		return
	}
	for _, ci := range s.withThis[u] {
		c := &s.colocs[ci]
		du := s.rs[c.dep].unit
		if du == u || du == target || s.ust[du].done || s.ust[du].busy {
			continue
		}
		// influence = false stops the pull only once the primary runs
		// (Pacemaker's pcmk__colocation_has_influence).
		if !c.influence && s.unitActive(u) {
			continue
		}
		if c.depRole == RolePromoted || c.primRole == RolePromoted {
			continue
		}
		f := factor * float64(c.score) / float64(Infinity)
		if f == 0 {
			continue
		}
		dv := s.baseVec(du)
		if c.attr != "" && c.attr != "#uname" {
			dv = s.bestByAttr(dv, c.attr)
		}
		saved := s.scoreBuf(depth)
		copy(saved, work)
		for n, ds := range dv {
			if f < 0 && ds < 0 {
				continue
			}
			add := Score(f * float64(ds))
			if add != 0 {
				work[n] = work[n].Add(add)
			}
		}
		s.mergeDependents(du, work, f, depth+1, target)
		if !s.anyAvailable(work) {
			copy(work, saved)
		}
	}
}

// unitActive reports whether any primitive of unit u runs now.
func (s *sched) unitActive(u int) bool {
	for _, m := range s.members(s.rs[u]) {
		for _, o := range s.active[m.idx] {
			if !o.gone {
				return true
			}
		}
	}
	return false
}

// bestByAttr gives each node the best score of v among the usable nodes
// with the same value of attribute attr (Pacemaker's
// best_node_score_matching_attr), for colocations by node attribute.
func (s *sched) bestByAttr(v []Score, attr string) []Score {
	best := map[string]Score{}
	for n, x := range v {
		val, ok := s.attrOf(n, attr)
		if !ok || !s.nodes[n].usable() {
			continue
		}
		if b, seen := best[val]; !seen || x > b {
			best[val] = x
		}
	}
	out := make([]Score, len(v))
	for n := range v {
		val, ok := s.attrOf(n, attr)
		if b, seen := best[val]; ok && seen {
			out[n] = b
		} else {
			out[n] = -Infinity
		}
	}
	return out
}

// scoreBuf returns a scratch vector for recursion depth d.
func (s *sched) scoreBuf(d int) []Score {
	for len(s.scoreBufs) <= d {
		s.scoreBufs = append(s.scoreBufs, make([]Score, len(s.nodes)))
	}
	return s.scoreBufs[d]
}

// applyColocs applies the colocations where a resource of unit u is the
// dependent and the primary is already placed. toUnit maps a dependent
// to the resource whose vector changes.
func (s *sched) applyColocs(u int, toUnit func(dep int) int) {
	for _, ci := range s.thisWith[u] {
		c := &s.colocs[ci]
		pu := s.rs[c.prim].unit
		if pu == u || !s.ust[pu].done {
			if pu != u {
				s.warnf("colocation %q is part of a loop; it was not applied to %s", c.id, s.rs[c.dep].id)
			}
			continue
		}
		if c.depRole == RolePromoted && s.rs[u].kind == kindClone && s.rs[u].promo {
			continue // only the promoted role is constrained: see applyPromoColocs
		}
		t := toUnit(c.dep)
		if t < 0 {
			continue
		}
		s.applyColoc(c, t)
	}
}

// stuck returns the observed instances of primitive p that ward must leave
// alone: unmanaged, blocked, on a node in maintenance, or on a lost node
// that cannot be fenced.
func (s *sched) stuck(p *srsc, o *obs) bool {
	if o.gone {
		return false
	}
	n := s.nodes[o.node]
	if !p.managed || o.blocked || n.maint {
		return true
	}
	if n.state != NodeOnline {
		return true // lost and not fenced
	}
	if s.noQuorum && s.noQuorumPolicy() == NoQuorumFreeze {
		return true
	}
	return false
}

// assignSingle places a primitive, or a collocated group given its
// members.
func (s *sched) assignSingle(r *srsc, ms []*srsc) {
	st := &s.ust[r.unit]
	first := ms[0]
	// Colocations onto the dependent: group-level ones go to the first
	// member, member-level ones to that member.
	s.applyColocs(r.unit, func(dep int) int {
		if s.rs[dep].kind == kindGroup {
			return first.idx
		}
		return dep
	})

	// Frozen members fix the node.
	fixed := -1
	frozen := make([]bool, len(ms))
	for i, m := range ms {
		for k := range s.active[m.idx] {
			o := &s.active[m.idx][k]
			if s.stuck(m, o) {
				frozen[i] = true
				if fixed < 0 {
					fixed = o.node
				}
			}
		}
		if !m.managed {
			frozen[i] = true
		}
	}

	// A blocked member cannot stop, so the members before it (which stop
	// after it) cannot stop either: they stay as they are.
	for i := len(ms) - 1; i > 0; i-- {
		if !frozen[i] {
			continue
		}
		for _, o := range s.active[ms[i].idx] {
			if !o.blocked || o.gone {
				continue
			}
			for j := 0; j < i; j++ {
				for _, oj := range s.active[ms[j].idx] {
					if oj.node == o.node && !oj.gone {
						frozen[j] = true
						if fixed < 0 {
							fixed = o.node
						}
					}
				}
			}
		}
	}

	work := s.fold(ms)
	s.mergeDependents(r.unit, work, 1, 0, r.unit)
	s.unitVecs[r.unit] = work

	node := -1
	why := ReasonNone
	switch {
	case fixed >= 0:
		node = fixed
	case r.target == RoleStopped:
		why = ReasonTargetStopped
	case s.noQuorum:
		why = ReasonNoQuorum
	default:
		node, why = s.chooseNode(work, s.currentNode(ms), s.unitNeed(r, true))
	}
	st.node = node
	st.reason = why
	if node >= 0 {
		st.chosen = []int{node}
		s.nodes[node].count++
		s.consume(node, s.unitNeed(r, false))
	}

	// Place members in order.
	blocked := ReasonNone
	if node < 0 {
		blocked = why
	}
	for i, m := range ms {
		pi := pinst{prim: m.idx, inst: -1, node: -1, role: RoleStarted}
		for k := range s.active[m.idx] {
			pi.obs = append(pi.obs, k)
		}
		if frozen[i] {
			pi.frozen = true
			pi.node = -1
			for _, k := range pi.obs {
				if o := s.active[m.idx][k]; !o.gone {
					pi.node = o.node
					pi.role = o.role
				}
			}
			s.newPinst(pi)
			continue
		}
		if blocked == ReasonNone {
			switch {
			case m.target == RoleStopped:
				blocked = ReasonTargetStopped
			case s.stopFail[m.idx]:
				blocked = ReasonFailedHere
			case s.noQuorum:
				blocked = ReasonNoQuorum
			case !s.nodes[node].usable():
				blocked = s.nodes[node].reason
			case s.memberScore(m.idx, node) < 0:
				blocked = s.memberReason(m.idx, node)
			}
			if blocked != ReasonNone && len(ms) > 1 && r.kind == kindGroup {
				pi.reason = blocked
				s.newPinst(pi)
				blocked = ReasonGroupMember
				continue
			}
		}
		if blocked != ReasonNone {
			pi.reason = blocked
			s.newPinst(pi)
			continue
		}
		pi.node = node
		s.newPinst(pi)
	}
}

func (s *sched) memberScore(m, n int) Score {
	if n < 0 {
		return -Infinity
	}
	if na := s.notAllowed[m]; na != nil && na[n] {
		return -Infinity
	}
	return s.vecs[m][n]
}

func (s *sched) memberReason(m, n int) Reason {
	if na := s.notAllowed[m]; na != nil && na[n] {
		return ReasonNotAllowed
	}
	if why := s.reasonAt(m, n); why != ReasonNone {
		return why
	}
	return ReasonNegativeScore
}

// currentNode is where the unit's first active member runs now, or -1.
func (s *sched) currentNode(ms []*srsc) int {
	for _, m := range ms {
		act := 0
		node := -1
		for _, o := range s.active[m.idx] {
			if !o.gone {
				act++
				node = o.node
			}
		}
		if act == 1 {
			return node
		}
	}
	return -1
}

// chooseNode picks the best usable node of work with a non-negative
// score and room for need. Ties go to the less loaded node, then to cur
// (where it runs now), then to the first name.
func (s *sched) chooseNode(work []Score, cur int, need map[string]int64) (int, Reason) {
	best := -1
	strategy := s.placementStrategy()
	sawCapacity := false
	for n, sc := range work {
		node := s.nodes[n]
		if !node.usable() || sc < 0 {
			continue
		}
		if !s.fits(node, need) {
			sawCapacity = true
			continue
		}
		if best < 0 {
			best = n
			continue
		}
		bs := work[best]
		switch {
		case sc > bs:
			best = n
			continue
		case sc < bs:
			continue
		}
		if strategy == PlacementBalanced {
			if c := s.compareCapacity(node, s.nodes[best]); c != 0 {
				if c > 0 {
					best = n
				}
				continue
			}
		}
		if strategy != PlacementMinimal {
			if node.count != s.nodes[best].count {
				if node.count < s.nodes[best].count {
					best = n
				}
				continue
			}
		}
		if n == cur {
			best = n
		}
	}
	if best < 0 {
		if sawCapacity {
			return -1, ReasonNoCapacity
		}
		return -1, ReasonNoNode
	}
	return best, ReasonNone
}
