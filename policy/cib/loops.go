package cib

import (
	"github.com/ward-ha/ward/policy"
)

// Pacemaker tolerates loops of mandatory colocations and orders; ward's
// loader rejects them. The import keeps the constraints in document order
// and drops each one that would close a loop (reported).

type graph map[string][]string

// reaches reports whether to is reachable from from.
func (g graph) reaches(from, to string) bool {
	seen := map[string]bool{}
	stack := []string{from}
	for len(stack) > 0 {
		n := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if n == to {
			return true
		}
		if seen[n] {
			continue
		}
		seen[n] = true
		stack = append(stack, g[n]...)
	}
	return false
}

func (g graph) add(from, to string) { g[from] = append(g[from], to) }

func chain(members []string) [][2]string {
	var out [][2]string
	for i := 1; i < len(members); i++ {
		out = append(out, [2]string{members[i-1], members[i]})
	}
	return out
}

// breakLoops drops constraints that close loops.
func (im *importer) breakLoops() {
	c := im.cfg
	cg := graph{}
	for _, gr := range c.Groups {
		if gr.Collocated != nil && !*gr.Collocated {
			continue
		}
		for _, e := range chain(gr.Members) {
			cg.add(e[1], e[0])
		}
	}
	var cols []policy.Colocation
	for _, co := range c.Colocations {
		if len(co.Sets) == 0 && co.Score >= policy.Infinity && co.Resource != co.With {
			if cg.reaches(co.With, co.Resource) {
				im.lossy(im.elementFor("rsc_colocation", co.ID), "this mandatory colocation closes a loop of colocations, which ward rejects; dropped (the others already keep these resources together)")
				continue
			}
			cg.add(co.Resource, co.With)
		}
		cols = append(cols, co)
	}
	c.Colocations = cols
	og := graph{}
	for _, gr := range c.Groups {
		if gr.Ordered != nil && !*gr.Ordered {
			continue
		}
		for _, e := range chain(gr.Members) {
			og.add(e[0]+" start", e[1]+" start")
		}
	}
	var ords []policy.Order
	for _, o := range c.Orders {
		if len(o.Sets) == 0 && (o.Kind == "" || o.Kind == policy.OrderMandatory) && o.First != o.Then {
			fa := o.FirstAction
			if fa == "" {
				fa = "start"
			}
			ta := o.ThenAction
			if ta == "" {
				ta = fa
			}
			from, to := o.First+" "+fa, o.Then+" "+ta
			if og.reaches(to, from) {
				im.lossy(im.elementFor("rsc_order", o.ID), "this mandatory order closes a loop of orders, which ward rejects (nothing in it could start); dropped")
				continue
			}
			og.add(from, to)
		}
		ords = append(ords, o)
	}
	c.Orders = ords
}
