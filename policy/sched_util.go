package policy

// This file handles utilization: what a unit needs, whether a node has
// room, and how balanced placement compares nodes.

// unitNeed is the utilization a unit needs on one node: its members', and
// that of the resources that must run with it and are not placed yet.
func (s *sched) unitNeed(r *srsc, withDeps bool) map[string]int64 {
	if len(s.utilKeys) == 0 {
		return nil
	}
	need := map[string]int64{}
	seen := map[int]bool{}
	var add func(u int)
	add = func(u int) {
		if seen[u] {
			return
		}
		seen[u] = true
		ur := s.rs[u]
		if ur.kind == kindClone {
			if ch := s.cloneChild(ur); ch != nil {
				for _, m := range s.members(ch) {
					for k, v := range m.util {
						need[k] += v
					}
				}
			}
		} else {
			for _, m := range s.members(ur) {
				for k, v := range m.util {
					need[k] += v
				}
			}
		}
		for _, ci := range s.withThis[u] {
			c := &s.colocs[ci]
			du := s.rs[c.dep].unit
			if withDeps && c.score >= Infinity && !s.ust[du].done && !s.ust[du].busy {
				add(du)
			}
		}
	}
	add(r.unit)
	return need
}

func (s *sched) fits(n *snode, need map[string]int64) bool {
	if len(need) == 0 || len(s.utilKeys) == 0 {
		return true
	}
	for k, v := range need {
		if v <= 0 {
			continue
		}
		capa, ok := n.util[k]
		if !ok {
			continue
		}
		if n.used[k]+v > capa {
			return false
		}
	}
	return true
}

func (s *sched) consume(node int, need map[string]int64) {
	if len(need) == 0 || s.nodes[node].used == nil {
		return
	}
	for k, v := range need {
		s.nodes[node].used[k] += v
	}
}

// compareCapacity returns >0 when a has more free capacity than b, the way
// the balanced strategy counts it (one point per key with more room).
func (s *sched) compareCapacity(a, b *snode) int {
	res := 0
	for _, k := range s.utilKeys {
		fa := a.util[k] - a.used[k]
		fb := b.util[k] - b.used[k]
		switch {
		case fa > fb:
			res++
		case fa < fb:
			res--
		}
	}
	return res
}
