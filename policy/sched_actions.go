package policy

import (
	"fmt"
	"strconv"
)

// This file derives the actions from the difference between what runs now
// and the placement: fencing, stops (real, or implied by fencing),
// starts, promotions, demotions, recurring monitors and fail-count
// clean-ups.

type actKey struct {
	kind ActionKind
	rsc  string
	node int
	iv   Duration
}

// builder accumulates actions and edges.
type builder struct {
	s     *sched
	acts  []Action
	index map[actKey]int
	edges []Edge
	seen  map[[2]int]bool
	// per primitive: action IDs by kind, for order constraints.
	byPrim map[int][]int
	nodeOf []int // action -> node index (-1)
	primOf []int // action -> primitive index (-1)
	// unpromote holds the actions that end a promoted instance (demote,
	// stop, or a stop implied by fencing): promotions wait for them.
	unpromote []int
}

func (b *builder) add(kind ActionKind, prim int, rsc string, node int, reason string) int {
	return b.addIv(kind, prim, rsc, node, reason, 0)
}

func (b *builder) addIv(kind ActionKind, prim int, rsc string, node int, reason string, iv Duration) int {
	k := actKey{kind, rsc, node, iv}
	if id, ok := b.index[k]; ok {
		return id
	}
	id := len(b.acts)
	name := ""
	if node >= 0 {
		name = b.s.nodes[node].name
	}
	b.acts = append(b.acts, Action{ID: id, Kind: kind, Resource: rsc, Node: name, Reason: reason, Interval: iv})
	b.nodeOf = append(b.nodeOf, node)
	b.primOf = append(b.primOf, prim)
	b.index[k] = id
	if prim >= 0 {
		b.byPrim[prim] = append(b.byPrim[prim], id)
	}
	return id
}

func (b *builder) edge(before, after int, why string) {
	if before < 0 || after < 0 || before == after {
		return
	}
	k := [2]int{before, after}
	if b.seen[k] {
		return
	}
	b.seen[k] = true
	b.edges = append(b.edges, Edge{Before: before, After: after, Constraint: why})
}

// instID is the name of a primitive instance in actions.
func (s *sched) instID(p *pinst) string {
	id := s.rs[p.prim].id
	if p.inst >= 0 {
		return id + ":" + strconv.Itoa(p.inst)
	}
	return id
}

func (s *sched) buildActions() *builder {
	b := &builder{s: s, index: map[actKey]int{}, seen: map[[2]int]bool{}, byPrim: map[int][]int{}}
	fence := make([]int, len(s.nodes))
	for i, n := range s.nodes {
		fence[i] = -1
		if n.fence {
			a := b.add(ActionFence, -1, "", i, n.fenceWhy)
			fence[i] = a
		}
	}
	s.markRestarts()
	for _, pi := range s.prims {
		for _, ii := range s.pinstOf[pi] {
			s.instanceActions(b, &s.pinsts[ii], fence)
		}
	}
	for _, o := range s.orphans {
		if s.nodes[o.node].maint {
			continue
		}
		if f := fence[o.node]; f >= 0 {
			a := b.add(ActionStop, -1, o.id, o.node, "no longer in the policy; stopped by fencing")
			b.acts[a].Implied = true
			b.edge(f, a, "fencing")
			continue
		}
		if s.nodes[o.node].state == NodeOnline && !s.noQuorumFreeze() {
			b.add(ActionStop, -1, o.id, o.node, "no longer in the policy")
		}
	}
	for _, c := range s.clears {
		if s.nodes[c.node].state == NodeOnline {
			b.add(ActionClearFailcount, c.prim, c.id, c.node, "failure_timeout expired")
		}
	}
	s.orderEdges(b)
	return b
}

func (s *sched) noQuorumFreeze() bool {
	return s.noQuorum && s.noQuorumPolicy() == NoQuorumFreeze
}

// markRestarts makes members after a disrupted member of a group restart
// on the same node: stop in reverse order, start in order.
func (s *sched) markRestarts() {
	for round := 0; round < 8; round++ {
		if !s.markGroupRestarts() && !s.markOrderRestarts() {
			return
		}
	}
}

// markGroupRestarts restarts the members after a disrupted member of a
// group; it reports whether it marked anything.
func (s *sched) markGroupRestarts() bool {
	changed := false
	for _, r := range s.rs {
		if r.kind != kindGroup || !r.collocated || !r.ordered || len(r.children) < 2 {
			continue
		}
		disrupted := map[[2]int]bool{} // (inst, node)
		for _, ci := range r.children {
			for _, ii := range s.pinstOf[ci] {
				p := &s.pinsts[ii]
				if p.frozen {
					continue
				}
				for _, k := range p.obs {
					o := &s.active[ci][k]
					if o.gone {
						continue
					}
					key := [2]int{p.inst, o.node}
					if disrupted[key] && p.node == o.node && !p.restart {
						p.restart = true
						changed = true
					}
					if o.node != p.node || o.failed || p.restart {
						disrupted[key] = true
					}
				}
				if p.node >= 0 && !s.runningOn(p, p.node) {
					disrupted[[2]int{p.inst, p.node}] = true
				}
			}
		}
	}
	return changed
}

// starts reports whether instance p starts (fresh, moved, recovered or
// restarted) in this transition.
func (s *sched) starts(p *pinst) bool {
	if p.frozen || p.node < 0 {
		return false
	}
	if p.restart || !s.runningOn(p, p.node) {
		return true
	}
	live := 0
	for _, k := range p.obs {
		if o := &s.active[p.prim][k]; !o.gone {
			live++
		}
	}
	return live > 1
}

// markOrderRestarts restarts what a mandatory start order makes depend on
// a resource that starts in this transition (fresh, moved, recovered or
// restarted; on the same node only, for interleaved clones), as Pacemaker
// does ("restart due to required start"); it reports whether it marked
// anything.
func (s *sched) markOrderRestarts() bool {
	changed := false
	for i := range s.ords {
		o := &s.ords[i]
		if o.kind != OrderMandatory || o.fa != "start" || o.ta != "start" {
			continue
		}
		inter := s.interleaved(o)
		nodes := s.scratchBool()
		any := false
		for _, m := range s.members(s.rs[o.first]) {
			for _, pi := range s.pinstOf[m.idx] {
				p := &s.pinsts[pi]
				if !s.starts(p) {
					continue
				}
				any = true
				nodes[p.node] = true
			}
		}
		if any {
			for _, m := range s.members(s.rs[o.then]) {
				for _, pi := range s.pinstOf[m.idx] {
					p := &s.pinsts[pi]
					if p.frozen || p.node < 0 || p.restart || !s.runningOn(p, p.node) {
						continue
					}
					if inter && !nodes[p.node] {
						continue
					}
					p.restart = true
					changed = true
				}
			}
		}
		s.releaseBool(nodes)
	}
	return changed
}

func (s *sched) instanceActions(b *builder, p *pinst, fence []int) {
	if p.frozen || s.rs[p.prim].device {
		// Fencing devices get a placement (the node that should monitor
		// them) but no actions: the fencer runs devices itself.
		return
	}
	prim := s.rs[p.prim]
	id := s.instID(p)
	live := 0
	for _, k := range p.obs {
		if !s.active[p.prim][k].gone {
			live++
		}
	}
	var stops []int
	keep := -1 // obs index that stays as is
	for _, k := range p.obs {
		o := &s.active[p.prim][k]
		if o.gone {
			if o.implied {
				a := b.add(ActionStop, p.prim, o.id, o.node, fmt.Sprintf("%s is fenced", s.nodes[o.node].name))
				b.acts[a].Implied = true
				b.edge(fence[o.node], a, "fencing")
				stops = append(stops, a)
				if o.role == RolePromoted {
					b.unpromote = append(b.unpromote, a)
				}
			}
			continue
		}
		if o.node == p.node && !o.failed && !p.restart && live == 1 {
			keep = k
			continue
		}
		why := "moving away"
		switch {
		case o.failed:
			why = "failed"
		case p.restart:
			why = "restart: something it depends on (group member or mandatory order) stops or starts"
		case live > 1 && p.node >= 0:
			why = "active on several nodes"
		case p.node < 0 && p.reason != ReasonNone:
			why = p.reason.Text()
		}
		var dem = -1
		// Stops and demotions name the instance as the status does.
		if o.role == RolePromoted {
			dem = b.add(ActionDemote, p.prim, o.id, o.node, why)
		}
		st := b.add(ActionStop, p.prim, o.id, o.node, why)
		b.edge(dem, st, "demote-before-stop")
		if o.role == RolePromoted {
			b.unpromote = append(b.unpromote, dem, st)
		}
		stops = append(stops, st)
	}
	if p.node < 0 {
		return
	}
	if keep >= 0 {
		cur := s.active[p.prim][keep].role
		id = s.active[p.prim][keep].id
		switch {
		case cur == RolePromoted && p.role != RolePromoted:
			a := b.add(ActionDemote, p.prim, id, p.node, "another instance is preferred for promotion")
			b.unpromote = append(b.unpromote, a)
			s.monitors(b, prim, id, p.node, RoleUnpromoted, a)
		case cur != RolePromoted && p.role == RolePromoted:
			a := b.add(ActionPromote, p.prim, id, p.node, "highest promotion score")
			s.monitors(b, prim, id, p.node, RolePromoted, a)
		}
		return
	}
	st := b.add(ActionStart, p.prim, id, p.node, "placed here")
	for _, x := range stops {
		b.edge(x, st, "recovery")
	}
	last := st
	if p.role == RolePromoted {
		pr := b.add(ActionPromote, p.prim, id, p.node, "highest promotion score")
		b.edge(st, pr, "start-before-promote")
		last = pr
	}
	s.monitors(b, prim, id, p.node, p.role, last)
}

// monitors adds the recurring monitors of role after action after.
func (s *sched) monitors(b *builder, prim *srsc, id string, node int, role Role, after int) {
	for _, op := range prim.prim.Ops {
		if op.Name != "monitor" || op.Interval <= 0 {
			continue
		}
		r := op.Role
		if r == RoleStarted {
			r = RoleUnknown
		}
		if r != RoleUnknown && r != role && !(r == RoleUnpromoted && role == RoleStarted) {
			continue
		}
		a := b.addIv(ActionMonitor, prim.idx, id, node, "recurring monitor", op.Interval)
		b.edge(after, a, "monitor-after-start")
	}
}
