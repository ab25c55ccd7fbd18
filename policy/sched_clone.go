package policy

import "sort"

// This file places clone instances (anonymous and unique, of a primitive
// or a group); sched_promote.go chooses the promoted ones.

// cinst is one clone instance during assignment.
type cinst struct {
	num    int
	cur    int // node it runs on now, -1
	curPro bool
	obs    [][]int // per member: indexes into s.active[member]
	stuck  bool
	node   int
	role   Role
	prio   Score
}

func (s *sched) assignClone(c *srsc) {
	st := &s.ust[c.idx]
	child := s.cloneChild(c)
	if child == nil {
		st.done = true
		return
	}
	ms := s.members(child)
	// Colocations with the clone (or its child) as dependent shape the
	// clone's vector, except those that only concern the promoted role.
	s.applyColocs(c.unit, func(dep int) int { return c.idx })
	cv := s.effVec(c.idx)
	if na := s.notAllowed[c.idx]; na != nil {
		// Opt-in: a location on the clone's child allows the node too.
		if cna := s.notAllowed[ms[0].idx]; cna != nil {
			for n := range cv {
				if na[n] && !cna[n] {
					cv[n] = s.vecs[c.idx][n]
				}
			}
		}
	}
	if len(ms) > 0 {
		fv := s.foldMembersAllowed(ms)
		for n := range cv {
			cv[n] = cv[n].Add(fv[n])
		}
	}
	s.mergeDependents(c.unit, cv, 1, 0, c.unit)
	s.unitVecs[c.idx] = cv

	insts := s.collectInstances(c, ms)
	own, need := s.instanceNeed(c, ms)
	max, nodeMax := s.cloneMax(c), s.cloneNodeMax(c)
	perNode := make([]int, len(s.nodes))
	assigned := 0
	for _, in := range insts {
		if in.stuck {
			in.node = in.cur
			perNode[in.cur]++
			assigned++
		}
	}
	stopAll := c.target == RoleStopped || s.noQuorum
	if s.noQuorum && c.promo && c.target != RoleStopped && s.noQuorumPolicy() == NoQuorumDemote {
		// no_quorum_policy = demote: running instances stay, demoted;
		// nothing starts.
		for _, in := range insts {
			if in.node < 0 && in.cur >= 0 && !s.instFailed(ms, in) && s.nodes[in.cur].usable() && perNode[in.cur] < nodeMax && assigned < max {
				in.node = in.cur
				perNode[in.cur]++
				assigned++
			}
		}
		stopAll = false
		st.reason = ReasonNoQuorum
	} else if stopAll {
		st.reason = ReasonTargetStopped
		if s.noQuorum {
			st.reason = ReasonNoQuorum
		}
	} else {
	}
	if !stopAll && !s.noQuorum {
		avail := 0
		for n, sc := range cv {
			if sc >= 0 && s.nodes[n].usable() {
				avail++
			}
		}
		optimal := nodeMax
		if avail > 0 {
			if o := (max + avail - 1) / avail; o < optimal {
				optimal = o
			}
		}
		stick := child.stick
		// Pass 1: keep active instances where they are if that is as good
		// as anywhere.
		for _, in := range insts {
			if in.stuck || in.cur < 0 || assigned >= max {
				continue
			}
			cur := in.cur
			if !s.nodes[cur].usable() || cv[cur] < 0 || perNode[cur] >= optimal || !s.fits(s.nodes[cur], need) {
				continue
			}
			mine := cv[cur].Add(stick)
			better := false
			for n, sc := range cv {
				if n != cur && s.nodes[n].usable() && perNode[n] < nodeMax && sc > mine && s.fits(s.nodes[n], need) {
					better = true
					break
				}
			}
			if !better {
				in.node = cur
				perNode[cur]++
				assigned++
				s.consume(cur, own)
			}
		}
		// Pass 2: everything else, best node first.
		for _, in := range insts {
			if in.stuck || in.node >= 0 || assigned >= max {
				continue
			}
			best := -1
			var bs Score
			for n, sc := range cv {
				if !s.nodes[n].usable() || sc < 0 || perNode[n] >= nodeMax || !s.fits(s.nodes[n], need) {
					continue
				}
				if n == in.cur {
					sc = sc.Add(stick)
				}
				if best < 0 || sc > bs || (sc == bs && (n == in.cur ||
					(best != in.cur && perNode[n] < perNode[best]))) {
					best, bs = n, sc
				}
			}
			if best < 0 {
				break
			}
			in.node = best
			perNode[best]++
			assigned++
			s.consume(best, own)
		}
		if assigned == 0 {
			st.reason = ReasonNoNode
		}
	}
	if !s.unique(c) {
		s.matchAnonymous(insts)
	}
	for _, in := range insts {
		if in.node >= 0 {
			st.chosen = append(st.chosen, in.node)
			s.nodes[in.node].count++
		}
	}
	if c.promo {
		s.choosePromoted(c, ms, insts)
	}
	s.emitCloneInstances(c, ms, insts)
}

// matchAnonymous reassigns the chosen nodes of an anonymous clone's
// instances (which are interchangeable) so that an instance that runs on
// a chosen node stays there: no instance moves onto a node while another
// leaves it.
func (s *sched) matchAnonymous(insts []*cinst) {
	left := make([]int, len(s.nodes))
	for _, in := range insts {
		if !in.stuck && in.node >= 0 {
			left[in.node]++
			in.node = -1
		}
	}
	for _, in := range insts {
		if !in.stuck && in.cur >= 0 && left[in.cur] > 0 {
			in.node = in.cur
			left[in.cur]--
		}
	}
	n := 0
	for _, in := range insts {
		if in.stuck || in.node >= 0 {
			continue
		}
		for n < len(left) && left[n] == 0 {
			n++
		}
		if n == len(left) {
			break
		}
		in.node = n
		left[n]--
	}
}

// instanceNeed is the utilization of one instance (own), and what a node
// needs to host it (need): its own plus one instance of each clone that
// must run with it and is not placed yet.
func (s *sched) instanceNeed(c *srsc, ms []*srsc) (own, need map[string]int64) {
	if len(s.utilKeys) == 0 {
		return nil, nil
	}
	own, need = map[string]int64{}, map[string]int64{}
	for _, m := range ms {
		for k, v := range m.util {
			own[k] += v
			need[k] += v
		}
	}
	for _, ci := range s.withThis[c.idx] {
		cl := &s.colocs[ci]
		du := s.rs[cl.dep].unit
		if cl.score < Infinity || s.ust[du].done || s.rs[du].kind != kindClone {
			continue
		}
		if ch := s.cloneChild(s.rs[du]); ch != nil {
			for _, m := range s.members(ch) {
				for k, v := range m.util {
					need[k] += v
				}
			}
		}
	}
	return own, need
}

// instFailed reports whether a member of instance in failed.
func (s *sched) instFailed(ms []*srsc, in *cinst) bool {
	for mi, m := range ms {
		for _, k := range in.obs[mi] {
			if s.active[m.idx][k].failed {
				return true
			}
		}
	}
	return false
}

// foldMembersAllowed folds the child's member vectors; for an opt-in
// cluster a node allowed on the clone counts as allowed for the child.
func (s *sched) foldMembersAllowed(ms []*srsc) []Score {
	work := append([]Score(nil), s.vecs[ms[0].idx]...)
	for _, m := range ms[1:] {
		mv := s.vecs[m.idx]
		ok := false
		tmp := make([]Score, len(work))
		for n := range mv {
			tmp[n] = mv[n].Add(work[n])
			if tmp[n] >= 0 && s.nodes[n].usable() {
				ok = true
			}
		}
		if !ok {
			break
		}
		work = tmp
	}
	return work
}

// collectInstances builds the clone's instances from what runs now, then
// adds fresh ones up to clone_max.
func (s *sched) collectInstances(c *srsc, ms []*srsc) []*cinst {
	byKey := map[int]*cinst{} // unique: instance number; anonymous: -(node+1)
	var order []int
	var gone []*cinst
	for mi, m := range ms {
		for k, o := range s.active[m.idx] {
			if o.gone {
				// Gone with its node (fenced or cleanly down): an instance
				// that runs nowhere, kept for the stop fencing implies.
				in := &cinst{num: -1, cur: -1, node: -1, obs: make([][]int, len(ms))}
				if s.unique(c) && o.inst >= 0 {
					in.num = o.inst
				}
				in.obs[mi] = []int{k}
				gone = append(gone, in)
				continue
			}
			key := -(o.node + 1) // by node, apart from instance numbers
			if s.unique(c) && o.inst >= 0 {
				key = o.inst
			}
			in := byKey[key]
			if in == nil {
				in = &cinst{num: -1, cur: o.node, node: -1, obs: make([][]int, len(ms))}
				if s.unique(c) && o.inst >= 0 {
					in.num = o.inst
				}
				byKey[key] = in
				order = append(order, key)
			}
			in.obs[mi] = append(in.obs[mi], k)
			if o.role == RolePromoted {
				in.curPro = true
			}
			if s.stuck(m, &s.active[m.idx][k]) {
				in.stuck = true
			}
		}
	}
	sort.Ints(order)
	var insts []*cinst
	used := map[int]bool{}
	for _, k := range order {
		in := byKey[k]
		if in.num >= 0 {
			used[in.num] = true
		}
		insts = append(insts, in)
	}
	// Anonymous instances run in node order; sort unique ones by node
	// too so pass 1 is stable.
	sort.SliceStable(insts, func(a, b int) bool { return insts[a].cur < insts[b].cur })
	for _, in := range gone {
		if in.num >= 0 && used[in.num] {
			in.num = -1 // the number lives on in a running instance
		}
		if in.num >= 0 {
			used[in.num] = true
		}
	}
	insts = append(insts, gone...)
	next := 0
	for _, in := range insts {
		if in.num < 0 {
			for used[next] {
				next++
			}
			in.num = next
			used[next] = true
		}
	}
	for len(insts) < s.cloneMax(c) {
		for used[next] {
			next++
		}
		used[next] = true
		insts = append(insts, &cinst{num: next, cur: -1, node: -1, obs: make([][]int, len(ms))})
	}
	return insts
}

// emitCloneInstances turns instances into primitive instance targets.
func (s *sched) emitCloneInstances(c *srsc, ms []*srsc, insts []*cinst) {
	for _, in := range insts {
		blocked := ReasonNone
		for mi, m := range ms {
			pi := pinst{prim: m.idx, inst: in.num, node: -1, role: RoleStarted, obs: in.obs[mi]}
			if !s.unique(c) {
				pi.inst = -1
			}
			if in.stuck {
				pi.frozen = true
				for _, k := range in.obs[mi] {
					o := s.active[m.idx][k]
					pi.node, pi.role = o.node, o.role
				}
				s.newPinst(pi)
				continue
			}
			if in.node < 0 {
				if len(in.obs[mi]) > 0 {
					s.newPinst(pi)
				}
				continue
			}
			if blocked == ReasonNone {
				switch {
				case m.target == RoleStopped:
					blocked = ReasonTargetStopped
				case s.stopFail[m.idx]:
					blocked = ReasonFailedHere
				case s.memberScore(m.idx, in.node) < 0 && len(ms) > 1:
					blocked = s.memberReason(m.idx, in.node)
				}
			}
			if blocked != ReasonNone {
				pi.reason = blocked
				s.newPinst(pi)
				continue
			}
			pi.node = in.node
			if c.promo {
				pi.role = in.role
			}
			s.newPinst(pi)
		}
	}
}
