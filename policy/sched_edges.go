package policy

import "sort"

// This file orders the actions: group members, promotable clones, order
// constraints (with their symmetric reverse), and a final stable
// topological sort so the action list reads in execution order.

func inverseAction(a string) string {
	switch a {
	case "start":
		return "stop"
	case "stop":
		return "start"
	case "promote":
		return "demote"
	case "demote":
		return "promote"
	}
	return ""
}

// actionsOf returns the IDs of actions of kind k on the primitives of r.
func (s *sched) actionsOf(b *builder, r int, k ActionKind) []int {
	var out []int
	for _, m := range s.members(s.rs[r]) {
		for _, a := range b.byPrim[m.idx] {
			if b.acts[a].Kind == k && !b.acts[a].Implied {
				out = append(out, a)
			}
		}
	}
	return out
}

func (s *sched) orderEdges(b *builder) {
	for _, r := range s.rs {
		switch {
		case r.kind == kindGroup && r.ordered:
			for i := 1; i < len(r.children); i++ {
				prev, cur := r.children[i-1], r.children[i]
				why := "group:" + r.id
				s.pairEdges(b, prev, cur, ActionStart, ActionStart, r.collocated, why)
				s.pairEdges(b, cur, prev, ActionStop, ActionStop, r.collocated, why)
			}
		case r.kind == kindClone && r.promo:
			// Every action that ends a promoted instance (demote, stop,
			// or fencing its node) comes before any promotion: never two
			// primaries.
			pro := s.actionsOf(b, r.idx, ActionPromote)
			if len(pro) == 0 {
				continue
			}
			mine := map[int]bool{}
			for _, m := range s.members(r) {
				mine[m.idx] = true
			}
			for _, d := range b.unpromote {
				if d < 0 || !mine[b.primOf[d]] {
					continue
				}
				for _, p := range pro {
					b.edge(d, p, "clone:"+r.id)
				}
			}
		}
	}
	for i := range s.ords {
		o := &s.ords[i]
		inter := s.interleaved(o)
		s.pairEdges(b, o.first, o.then, ActionKind(o.fa), ActionKind(o.ta), inter, o.id)
		if o.symmetric {
			fi, ti := inverseAction(o.fa), inverseAction(o.ta)
			if fi != "" && ti != "" {
				s.pairEdges(b, o.then, o.first, ActionKind(ti), ActionKind(fi), inter, o.id)
			}
		}
	}
}

// pairEdges orders every action fk of resource f before every action tk
// of resource t (on the same node only, when sameNode).
func (s *sched) pairEdges(b *builder, f, t int, fk, tk ActionKind, sameNode bool, why string) {
	fs := s.actionsOf(b, f, fk)
	if len(fs) == 0 {
		return
	}
	ts := s.actionsOf(b, t, tk)
	for _, x := range fs {
		for _, y := range ts {
			if sameNode && b.nodeOf[x] != b.nodeOf[y] {
				continue
			}
			b.edge(x, y, why)
		}
	}
}

// sortActions renumbers actions in a stable topological order (lowest
// original index first among the ready ones). Cycles, which a bad policy
// can create, keep their original order and add a warning.
func (s *sched) sortActions(b *builder) ([]Action, []Edge) {
	n := len(b.acts)
	indeg := make([]int, n)
	out := make([][]int, n)
	for _, e := range b.edges {
		indeg[e.After]++
		out[e.Before] = append(out[e.Before], e.After)
	}
	ready := &intHeap{}
	for i := 0; i < n; i++ {
		if indeg[i] == 0 {
			ready.push(i)
		}
	}
	perm := make([]int, 0, n)
	for ready.len() > 0 {
		x := ready.pop()
		perm = append(perm, x)
		for _, y := range out[x] {
			indeg[y]--
			if indeg[y] == 0 {
				ready.push(y)
			}
		}
	}
	if len(perm) < n {
		s.warnf("the order constraints form a loop; some actions keep their original order")
		placed := make([]bool, n)
		for _, x := range perm {
			placed[x] = true
		}
		for i := 0; i < n; i++ {
			if !placed[i] {
				perm = append(perm, i)
			}
		}
	}
	newID := make([]int, n)
	acts := make([]Action, n)
	for i, x := range perm {
		newID[x] = i
		acts[i] = b.acts[x]
		acts[i].ID = i
	}
	edges := make([]Edge, len(b.edges))
	for i, e := range b.edges {
		edges[i] = Edge{Before: newID[e.Before], After: newID[e.After], Constraint: e.Constraint}
	}
	sort.Slice(edges, func(i, j int) bool {
		if edges[i].Before != edges[j].Before {
			return edges[i].Before < edges[j].Before
		}
		if edges[i].After != edges[j].After {
			return edges[i].After < edges[j].After
		}
		return edges[i].Constraint < edges[j].Constraint
	})
	return acts, edges
}

// intHeap is a small min-heap of ints.
type intHeap struct{ a []int }

func (h *intHeap) len() int { return len(h.a) }

func (h *intHeap) push(x int) {
	h.a = append(h.a, x)
	i := len(h.a) - 1
	for i > 0 {
		p := (i - 1) / 2
		if h.a[p] <= h.a[i] {
			break
		}
		h.a[p], h.a[i] = h.a[i], h.a[p]
		i = p
	}
}

func (h *intHeap) pop() int {
	top := h.a[0]
	last := len(h.a) - 1
	h.a[0] = h.a[last]
	h.a = h.a[:last]
	i := 0
	for {
		l, r, m := 2*i+1, 2*i+2, i
		if l < len(h.a) && h.a[l] < h.a[m] {
			m = l
		}
		if r < len(h.a) && h.a[r] < h.a[m] {
			m = r
		}
		if m == i {
			break
		}
		h.a[i], h.a[m] = h.a[m], h.a[i]
		i = m
	}
	return top
}
