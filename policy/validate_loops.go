package policy

import "strings"

// maxReportedLoops bounds the loops reported per kind.
const maxReportedLoops = 10

// depEdge is one dependency: from depends on to, declared at at.
type depEdge struct {
	to string
	at keyPath
}

// depGraph is a dependency graph over named vertices.
type depGraph map[string][]depEdge

func (g depGraph) add(from, to string, at keyPath) {
	g[from] = append(g[from], depEdge{to: to, at: at})
}

// depLoop is one loop: its vertices in order (the first repeated at the
// end) and the edge that closes it.
type depLoop struct {
	path []string
	at   keyPath
}

// loops finds loops with an iterative depth-first search (no recursion:
// a long chain of resources must not exhaust the stack), in sorted vertex
// order so that the result is deterministic.
func (g depGraph) loops() []depLoop {
	const (
		white = iota
		gray
		black
	)
	color := map[string]int{}
	var out []depLoop
	type frame struct {
		v    string
		next int
	}
	for _, root := range sortedMapKeys(g) {
		if color[root] != white {
			continue
		}
		stack := []frame{{v: root}}
		color[root] = gray
		for len(stack) > 0 && len(out) < maxReportedLoops {
			top := &stack[len(stack)-1]
			edges := g[top.v]
			if top.next >= len(edges) {
				color[top.v] = black
				stack = stack[:len(stack)-1]
				continue
			}
			e := edges[top.next]
			top.next++
			switch color[e.to] {
			case white:
				color[e.to] = gray
				stack = append(stack, frame{v: e.to})
			case gray:
				var path []string
				for k := len(stack) - 1; k >= 0; k-- {
					path = append(path, stack[k].v)
					if stack[k].v == e.to {
						break
					}
				}
				for a, b := 0, len(path)-1; a < b; a, b = a+1, b-1 {
					path[a], path[b] = path[b], path[a]
				}
				out = append(out, depLoop{path: append(path, e.to), at: e.at})
			}
		}
	}
	return out
}

// checkColocationLoops reports loops of mandatory (+INFINITY) colocations,
// explicit pairs and the implicit chain of collocated groups (each member
// with the one before it).
func (v *validator) checkColocationLoops() {
	g := depGraph{}
	for i, co := range v.c.Colocations {
		if len(co.Sets) > 0 || co.Score < Infinity || co.Resource == co.With {
			continue
		}
		if _, ok := v.res[co.Resource]; !ok {
			continue
		}
		if _, ok := v.res[co.With]; !ok {
			continue
		}
		g.add(co.Resource, co.With, kp("colocation", i))
	}
	for i, gr := range v.c.Groups {
		if gr.Collocated != nil && !*gr.Collocated {
			continue
		}
		for _, e := range groupChain(gr.Members) {
			g.add(gr.Members[e[1]], gr.Members[e[0]], kp("group", i, "members", e[1]))
		}
	}
	for _, l := range g.loops() {
		v.errs.add(l.at, "mandatory colocations form a loop: %s; each resource must be placed after the one it is colocated with, so remove one of them", strings.Join(quoteAll(l.path), " with "))
	}
}

// checkOrderLoops reports loops of mandatory orders: nothing in such a
// loop could ever start. Explicit first/then pairs and the implicit order
// of ordered groups count.
func (v *validator) checkOrderLoops() {
	g := depGraph{}
	for i, o := range v.c.Orders {
		if len(o.Sets) > 0 || o.Kind != OrderMandatory || o.First == o.Then {
			continue
		}
		if _, ok := v.res[o.First]; !ok {
			continue
		}
		if _, ok := v.res[o.Then]; !ok {
			continue
		}
		g.add(o.First+" "+o.FirstAction, o.Then+" "+o.ThenAction, kp("order", i))
	}
	for i, gr := range v.c.Groups {
		if gr.Ordered != nil && !*gr.Ordered {
			continue
		}
		for _, e := range groupChain(gr.Members) {
			g.add(gr.Members[e[0]]+" start", gr.Members[e[1]]+" start", kp("group", i, "members", e[1]))
		}
	}
	for _, l := range g.loops() {
		v.errs.add(l.at, "mandatory orders form a loop: %s; nothing in it could ever run, so remove one of them", strings.Join(l.path, " -> "))
	}
}

func quoteAll(s []string) []string {
	out := make([]string, len(s))
	for i, x := range s {
		out[i] = `"` + x + `"`
	}
	return out
}

// groupChain returns the index pairs (previous, next) of a group's
// distinct members in order; repeated members (an error reported
// elsewhere) are skipped so that they do not look like loops.
func groupChain(members []string) [][2]int {
	seen := map[string]bool{}
	var out [][2]int
	prev := -1
	for j, m := range members {
		if seen[m] {
			continue
		}
		seen[m] = true
		if prev >= 0 {
			out = append(out, [2]int{prev, j})
		}
		prev = j
	}
	return out
}
