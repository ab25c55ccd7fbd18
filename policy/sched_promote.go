package policy

import (
	"sort"
	"strconv"
	"strings"
)

// This file chooses the promoted instances of promotable clones: the
// promotion score (the master-<rsc> node attribute), role-Promoted
// locations and colocations, promoted_max and promoted_node_max.

// promotionScore is the promotion score of instance in on node n: the
// promotion attribute (master-<rsc>), or -1 without one, plus
// role-Promoted location constraints and colocations.
func (s *sched) promotionScore(c *srsc, ms []*srsc, in *cinst) Score {
	n := s.nodes[in.node]
	total := Score(0)
	found := false
	for _, m := range ms {
		names := []string{"master-" + m.id}
		if s.unique(c) {
			names = append([]string{"master-" + m.id + ":" + strconv.Itoa(in.num)}, names...)
		}
		v, ok, name := "", false, ""
		for _, nm := range names {
			if v, ok = n.attrs[nm]; ok {
				name = nm
				break
			}
		}
		if !ok && !s.unique(c) {
			// Anonymous instances may carry an instance number in the
			// attribute name ("master-db:1"), as older agents wrote it.
			name, v, ok = s.attrWithPrefix(n, "master-"+m.id+":")
		}
		if ok {
			if sc, err := ParseScore(v); err == nil {
				total = total.Add(sc)
				found = true
				s.addPromoContrib(c.idx, in.node, sc, "attribute "+name)
			}
		}
	}
	if !found {
		total = -1
		s.addPromoContrib(c.idx, in.node, -1, "no promotion score (attribute master-"+ms[0].id+")")
	}
	for _, pl := range s.promoLocs {
		if pl.node == in.node && (pl.rsc == c.idx || s.rs[pl.rsc].unit == c.idx) {
			total = total.Add(pl.score)
			s.addPromoContrib(c.idx, in.node, pl.score, "location "+pl.src)
		}
	}
	return total
}

// attrWithPrefix returns the value of the first attribute (in name order)
// whose name starts with prefix.
func (s *sched) attrWithPrefix(n *snode, prefix string) (name, value string, ok bool) {
	for k, v := range n.attrs {
		if strings.HasPrefix(k, prefix) && (name == "" || k < name) {
			name, value = k, v
		}
	}
	return name, value, name != ""
}

func (s *sched) addPromoContrib(r, n int, sc Score, src string) {
	s.contribs[r] = append(s.contribs[r], contrib{node: int32(n), kind: "promotion", src: src, score: sc})
}

// choosePromoted sets the role of each placed instance.
func (s *sched) choosePromoted(c *srsc, ms []*srsc, insts []*cinst) {
	var cands []*cinst
	for _, in := range insts {
		if in.node < 0 {
			continue
		}
		in.role = RoleUnpromoted
		if in.stuck {
			if in.curPro {
				in.role = RolePromoted
			}
			continue
		}
		in.prio = s.promotionScore(c, ms, in)
		if len(ms) > 1 {
			// A cloned group that can only run partially here is not
			// promoted.
			for _, m := range ms {
				if m.target == RoleStopped || s.memberScore(m.idx, in.node) < 0 {
					in.prio = -Infinity
				}
			}
		}
		cands = append(cands, in)
	}
	s.applyPromoColocs(c, cands)
	maxP, nodeMaxP := s.promotedMax(c), s.promotedNodeMax(c)
	allowed := c.target != RoleUnpromoted && !s.noQuorum
	for _, m := range ms {
		if m.target == RoleUnpromoted || m.target == RoleStopped {
			allowed = false
		}
	}
	promoted := 0
	perNode := map[int]int{}
	for _, in := range insts {
		if in.stuck && in.role == RolePromoted {
			promoted++
			perNode[in.node]++
		}
	}
	sort.SliceStable(cands, func(a, b int) bool {
		x, y := cands[a], cands[b]
		if x.prio != y.prio {
			return x.prio > y.prio
		}
		if x.curPro != y.curPro {
			return x.curPro
		}
		return x.node < y.node
	})
	for _, in := range cands {
		if !allowed || promoted >= maxP || in.prio < 0 || perNode[in.node] >= nodeMaxP {
			continue
		}
		demote := false
		for mi, m := range ms {
			for _, k := range in.obs[mi] {
				if s.demoteFail[[2]int{m.idx, s.active[m.idx][k].node}] {
					demote = true
				}
			}
		}
		if demote {
			continue
		}
		in.role = RolePromoted
		promoted++
		perNode[in.node]++
	}
	for _, in := range cands {
		s.promoOut[c.idx] = append(s.promoOut[c.idx], promoAt{node: in.node, score: in.prio, promoted: in.role == RolePromoted})
	}
	for _, in := range insts {
		if in.stuck && in.role == RolePromoted {
			s.promoOut[c.idx] = append(s.promoOut[c.idx], promoAt{node: in.node, score: in.prio, promoted: true})
		}
	}
}

// promoAt is the promotion outcome of one instance, for the score table.
type promoAt struct {
	node     int
	score    Score
	promoted bool
}

// applyPromoColocs applies colocations whose dependent is the clone in
// the Promoted role: they adjust promotion scores, not placement.
func (s *sched) applyPromoColocs(c *srsc, cands []*cinst) {
	for _, ci := range s.thisWith[c.unit] {
		cl := &s.colocs[ci]
		if cl.depRole != RolePromoted {
			continue
		}
		pu := s.rs[cl.prim].unit
		if pu == c.unit || !s.ust[pu].done {
			continue
		}
		mark := s.scratchBool()
		s.primaryNodes(cl, mark)
		for _, in := range cands {
			on := mark[in.node]
			switch {
			case cl.score >= Infinity && !on:
				in.prio = -Infinity
			case cl.score <= -Infinity && on:
				in.prio = -Infinity
			case cl.score > -Infinity && cl.score < Infinity && on:
				in.prio = in.prio.Add(cl.score)
			}
		}
		s.releaseBool(mark)
	}
}
