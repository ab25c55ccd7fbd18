package policy

import (
	"fmt"
	"time"
)

// This file computes each resource's base score vector: location
// constraints (plain and rules), opt-in clusters, stickiness and failure
// bans, recording every term for the score table.

// contrib is one recorded term of a resource's score on a node.
type contrib struct {
	node int32
	// member is 1 + the index of the group member or clone child the
	// term belongs to, when shown in the group's or clone's table.
	member int32
	kind   string
	src    string
	score  Score
}

// vec returns r's score vector, allocating it on first use.
func (s *sched) vec(r int) []Score {
	if s.vecs[r] == nil {
		v := make([]Score, len(s.nodes))
		if !s.symmetric() {
			na := make([]bool, len(s.nodes))
			for i := range na {
				na[i] = true
			}
			s.notAllowed[r] = na
		}
		s.vecs[r] = v
	}
	return s.vecs[r]
}

func (s *sched) addScore(r, n int, sc Score, kind, src string) {
	v := s.vec(r)
	if na := s.notAllowed[r]; na != nil && kind == "location" {
		na[n] = false
	}
	v[n] = v[n].Add(sc)
	if sc != 0 {
		s.contribs[r] = append(s.contribs[r], contrib{node: int32(n), kind: kind, src: src, score: sc})
	}
}

// reasonList numbers the reasons a resource records per node, so a node's
// reason takes one byte (index 0 is "none").
var reasonList = [...]Reason{ReasonNone, ReasonLocation, ReasonColocation, ReasonMigrationThreshold,
	ReasonFailedHere, ReasonNotAllowed, ReasonNegativeScore}

func reasonCode(r Reason) uint8 {
	for i, x := range reasonList {
		if x == r {
			return uint8(i)
		}
	}
	return uint8(len(reasonList) - 1) // ReasonNegativeScore
}

// reasonAt is the reason recorded for resource r on node n.
func (s *sched) reasonAt(r, n int) Reason {
	if s.reasons[r] == nil {
		return ReasonNone
	}
	return reasonList[s.reasons[r][n]]
}

func (s *sched) setReason(r, n int, why Reason) {
	if s.reasons[r] == nil {
		s.reasons[r] = make([]uint8, len(s.nodes))
	}
	if s.reasons[r][n] == 0 {
		s.reasons[r][n] = reasonCode(why)
	}
}

// applyToResource adds sc on node n to resource r: to each member of a
// group, to the clone itself for a clone.
func (s *sched) applyLocation(r *srsc, n int, sc Score, src string) {
	if r.kind == kindGroup {
		for _, m := range r.children {
			s.applyLocation(s.rs[m], n, sc, src)
		}
		return
	}
	s.addScore(r.idx, n, sc, "location", src)
	if sc <= -Infinity {
		s.setReason(r.idx, n, ReasonLocation)
	}
}

func (s *sched) applyLocations() {
	// Size the term lists once: one term per plain location and target.
	count := make([]int32, len(s.rs))
	for i := range s.cfg.Locations {
		if ri, ok := s.rsIdx[s.cfg.Locations[i].Resource]; ok {
			for _, m := range s.members(s.rs[ri]) {
				count[m.idx]++
			}
			count[ri]++
		}
	}
	for r, c := range count {
		if c > 0 && s.contribs[r] == nil {
			s.contribs[r] = make([]contrib, 0, c+2)
		}
	}
	for i := range s.cfg.Locations {
		l := &s.cfg.Locations[i]
		ri, ok := s.rsIdx[l.Resource]
		if !ok {
			s.warnf("location %q: resource %q does not exist; ignored", l.ID, l.Resource)
			continue
		}
		r := s.rs[ri]
		if l.Expires != "" {
			t, err := time.Parse(time.RFC3339, l.Expires)
			if err == nil {
				if !s.now.Before(t) {
					continue
				}
				s.recheck(t)
			}
		}
		if l.Node != "" {
			ni, ok := s.nodeIdx[l.Node]
			if !ok {
				continue
			}
			sc := Score(0)
			if l.Score != nil {
				sc = *l.Score
			}
			if l.Role == RolePromoted {
				s.promoLocs = append(s.promoLocs, promoLoc{rsc: ri, node: ni, score: sc, src: l.ID})
				continue
			}
			s.applyLocation(r, ni, sc, l.ID)
			continue
		}
		for _, pr := range s.locationRules(l) {
			role := pr.Role
			if role == RoleUnknown {
				role = l.Role
			}
			for ni, n := range s.nodes {
				env := EvalEnv{Node: n.name, Attrs: n.attrs, Now: s.now, Location: pr.Location}
				if t, ok := pr.Expr.NextChange(env); ok {
					s.recheck(t)
				}
				if !pr.Expr.Eval(env) {
					continue
				}
				sc := pr.Score
				if pr.ScoreAttribute != "" {
					v, ok := n.attrs[pr.ScoreAttribute]
					if !ok {
						continue
					}
					p, err := ParseScore(v)
					if err != nil {
						continue
					}
					sc = p
				}
				if role == RolePromoted {
					s.promoLocs = append(s.promoLocs, promoLoc{rsc: ri, node: ni, score: sc, src: l.ID})
					continue
				}
				s.applyLocation(r, ni, sc, l.ID)
			}
		}
	}
}

type promoLoc struct {
	rsc, node int
	score     Score
	src       string
}

// locationRules returns the parsed rules of l, parsing them here when Load
// did not.
func (s *sched) locationRules(l *Location) []ParsedLocationRule {
	if len(l.ParsedRules) > 0 {
		return l.ParsedRules
	}
	var loc *time.Location
	if l.TimeZone != "" {
		if z, err := time.LoadLocation(l.TimeZone); err == nil {
			loc = z
		}
	}
	var out []ParsedLocationRule
	addRule := func(expr string, sc *Score, attr string, role Role) {
		e, err := ParseExpr(expr)
		if err != nil || e == nil {
			s.warnf("location %q: rule %q cannot be evaluated: %v", l.ID, expr, err)
			return
		}
		p := ParsedLocationRule{Expr: e, ScoreAttribute: attr, Role: role, Location: loc}
		if sc != nil {
			p.Score = *sc
		}
		out = append(out, p)
	}
	if l.Rule != "" {
		addRule(l.Rule, l.Score, l.ScoreAttribute, l.Role)
	}
	for _, r := range l.Rules {
		addRule(r.Expr, r.Score, r.ScoreAttribute, r.Role)
	}
	return out
}

// applyStickiness adds each managed primitive's stickiness on the one
// node where it is active (clone instances get theirs at assignment).
func (s *sched) applyStickiness() {
	for _, pi := range s.prims {
		p := s.rs[pi]
		if s.inClone(p) != nil || !p.managed || p.stick <= 0 || len(s.active[pi]) != 1 {
			continue
		}
		n := s.active[pi][0].node
		if na := s.notAllowed[pi]; na != nil && na[n] {
			continue
		}
		s.addScore(pi, n, p.stick, "stickiness", fmt.Sprintf("it runs on %s now", s.nodes[n].name))
	}
}

// applyBans turns failure bans into -INFINITY scores.
func (s *sched) applyBans() {
	for ri, bs := range s.bans {
		for _, b := range bs {
			s.addScore(ri, b.node, -Infinity, "ban", b.detail)
			s.setReason(ri, b.node, b.reason)
		}
	}
}
