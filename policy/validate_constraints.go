package policy

import (
	"errors"
	"time"
)

// constraintResource checks that id names a resource a constraint may
// refer to: a primitive, group or clone, but not something inside a clone
// (constraints name the clone).
func (v *validator) constraintResource(p keyPath, id string) bool {
	if id == "" {
		v.errs.add(p, "resource is missing; write one of %s", listSome(v.resIDs))
		return false
	}
	info, ok := v.res[id]
	if !ok {
		v.errs.add(p, "unknown resource %q%s", id, didYouMean(id, v.resIDs))
		return false
	}
	if info.kind != "clone" && info.clone != "" {
		v.errs.add(p, "%q is inside clone %q; constraints name the clone: write %q", id, info.clone, info.clone)
		return false
	}
	return true
}

// checkRole checks that a constraint role fits the resource.
func (v *validator) checkRole(p keyPath, role Role, id string) {
	if (role == RolePromoted || role == RoleUnpromoted) && id != "" && !v.promotable(id) {
		if _, known := v.res[id]; known {
			v.errs.add(p, "role %q needs a promotable clone, and %q is not one", role, id)
		}
	}
}

func (v *validator) checkLocations() {
	for i := range v.c.Locations {
		v.checkLocation(i)
	}
}

func (v *validator) checkLocation(i int) {
	l := &v.c.Locations[i]
	p := kp("location", i)
	v.constraintResource(p.with("resource"), l.Resource)
	v.checkRole(p.with("role"), l.Role, l.Resource)
	forms := 0
	for _, set := range []bool{l.Node != "", l.Rule != "", len(l.Rules) > 0} {
		if set {
			forms++
		}
	}
	switch {
	case forms == 0:
		v.errs.add(p, "location needs node (with score), rule (with score or score_attribute) or [[location.rules]]")
		return
	case forms > 1:
		v.errs.add(p, "location has more than one of node, rule and [[location.rules]]; write one per location (split it in two)")
		return
	}
	loc := v.timezone(p.with("timezone"), l.TimeZone)
	if l.Expires != "" {
		if _, err := time.Parse(time.RFC3339, l.Expires); err != nil {
			v.errs.add(p.with("expires"), "expires %q is not an RFC 3339 time; write for example \"2026-01-02T15:04:05Z\"", l.Expires)
		}
	}
	switch {
	case l.Node != "":
		v.node(p.with("node"), l.Node)
		if l.Score == nil {
			v.errs.add(p.with("score"), "score is missing; write score = 100 (a preference), \"INFINITY\" (must) or \"-INFINITY\" (never)")
		}
		if l.ScoreAttribute != "" {
			v.errs.add(p.with("score_attribute"), "score_attribute applies to rules; with node write score")
		}
	case l.Rule != "":
		v.scoreOrAttribute(p, l.Score, l.ScoreAttribute)
		if e := v.parseRule(p.with("rule"), l.Rule); e != nil {
			l.ParsedRules = []ParsedLocationRule{{Expr: e, Score: scoreOf(l.Score), ScoreAttribute: l.ScoreAttribute, Role: l.Role, Location: loc}}
		}
	default:
		if l.Score != nil || l.ScoreAttribute != "" {
			v.errs.add(p.with("score"), "with [[location.rules]] give each rule its own score or score_attribute")
		}
		parsed := make([]ParsedLocationRule, 0, len(l.Rules))
		for j := range l.Rules {
			r := &l.Rules[j]
			rp := p.with("rules", j)
			v.scoreOrAttribute(rp, r.Score, r.ScoreAttribute)
			v.checkRole(rp.with("role"), r.Role, l.Resource)
			if r.Expr == "" {
				v.errs.add(rp.with("expr"), "expr is missing; write for example expr = \"#uname eq node1\"")
				continue
			}
			if e := v.parseRule(rp.with("expr"), r.Expr); e != nil {
				role := r.Role
				if role == RoleUnknown {
					role = l.Role
				}
				parsed = append(parsed, ParsedLocationRule{Expr: e, Score: scoreOf(r.Score), ScoreAttribute: r.ScoreAttribute, Role: role, Location: loc})
			}
		}
		if len(parsed) == len(l.Rules) {
			l.ParsedRules = parsed
		}
	}
}

func scoreOf(s *Score) Score {
	if s == nil {
		return 0
	}
	return *s
}

// scoreOrAttribute checks that exactly one of score and score_attribute
// is given for a rule.
func (v *validator) scoreOrAttribute(p keyPath, s *Score, attr string) {
	switch {
	case s == nil && attr == "":
		v.errs.add(p.with("score"), "a rule needs score (as in score = 100 or \"-INFINITY\") or score_attribute (a node attribute holding the score)")
	case s != nil && attr != "":
		v.errs.add(p.with("score_attribute"), "write score or score_attribute, not both")
	}
}

// parseRule parses a rule expression; its errors are reported at p.
func (v *validator) parseRule(p keyPath, src string) *Expr {
	e, err := ParseExpr(src)
	if err != nil {
		var pe *ParseError
		if errors.As(err, &pe) {
			v.errs.addAt(p, pe.Offset, "%s", err.Error())
		} else {
			v.errs.add(p, "rule %q: %v", src, err)
		}
		return nil
	}
	return e
}

// timezone loads an IANA time zone; "" is UTC. The tzdata embedded in the
// binary makes the answer the same on every node.
func (v *validator) timezone(p keyPath, name string) *time.Location {
	switch name {
	case "", "UTC":
		return time.UTC
	case "Local":
		v.errs.add(p, "timezone \"Local\" depends on each node's settings; write an IANA name such as \"Europe/Berlin\" or \"UTC\"")
		return time.UTC
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		v.errs.add(p, "unknown time zone %q; write an IANA name such as \"Europe/Berlin\", \"America/New_York\" or \"UTC\"", name)
		return time.UTC
	}
	return loc
}

func (v *validator) checkColocations() {
	for i := range v.c.Colocations {
		co := &v.c.Colocations[i]
		p := kp("colocation", i)
		pair := co.Resource != "" || co.With != ""
		switch {
		case pair && len(co.Sets) > 0:
			v.errs.add(p, "colocation has both resource/with and [[colocation.set]]; write one form per colocation")
			continue
		case !pair && len(co.Sets) == 0:
			v.errs.add(p, "colocation needs resource and with, or [[colocation.set]] entries")
			continue
		}
		if !rawHas(v.raw, "colocation", i, "score") {
			v.errs.add(p.with("score"), "score is missing; write score = \"INFINITY\" (together), \"-INFINITY\" (apart) or a preference such as 100")
		}
		if len(co.Sets) > 0 {
			v.checkSets(p, co.Sets, true)
			continue
		}
		okR := v.constraintResource(p.with("resource"), co.Resource)
		okW := v.constraintResource(p.with("with"), co.With)
		if okR && okW && co.Resource == co.With {
			v.errs.add(p.with("with"), "colocation of %q with itself; name two different resources", co.Resource)
		}
		v.checkRole(p.with("resource_role"), co.ResourceRole, co.Resource)
		v.checkRole(p.with("with_role"), co.WithRole, co.With)
	}
	v.checkColocationLoops()
}

func (v *validator) checkOrders() {
	for i := range v.c.Orders {
		o := &v.c.Orders[i]
		p := kp("order", i)
		pair := o.First != "" || o.Then != ""
		switch {
		case pair && len(o.Sets) > 0:
			v.errs.add(p, "order has both first/then and [[order.set]]; write one form per order")
			continue
		case !pair && len(o.Sets) == 0:
			v.errs.add(p, "order needs first and then, or [[order.set]] entries")
			continue
		}
		if v.enum(p.with("kind"), string(o.Kind), orderKinds) && o.Kind == OrderSerialize && *o.Symmetric {
			v.errs.add(p.with("symmetric"), "a serialize order has no direction to reverse; remove symmetric = true")
		}
		if len(o.Sets) > 0 {
			if o.FirstAction != "" || o.ThenAction != "" {
				v.errs.add(p.with("first_action"), "first_action and then_action apply to first/then; give each set its action")
			}
			v.checkSets(p, o.Sets, false)
			continue
		}
		okF := v.constraintResource(p.with("first"), o.First)
		okT := v.constraintResource(p.with("then"), o.Then)
		if okF && okT && o.First == o.Then {
			v.errs.add(p.with("then"), "order of %q with itself; name two different resources", o.First)
		}
		v.checkAction(p.with("first_action"), o.FirstAction, o.First)
		if o.ThenAction != o.FirstAction || rawHas(v.raw, "order", i, "then_action") {
			v.checkAction(p.with("then_action"), o.ThenAction, o.Then)
		}
	}
	v.checkOrderLoops()
}

// checkAction checks an order action; promote and demote need a
// promotable clone.
func (v *validator) checkAction(p keyPath, action, id string) {
	if !v.enum(p, action, orderActions) {
		return
	}
	if (action == "promote" || action == "demote") && id != "" && !v.promotable(id) {
		if _, known := v.res[id]; known {
			v.errs.add(p, "action %q needs a promotable clone, and %q is not one", action, id)
		}
	}
}

// checkSets checks the resource sets of a colocation (coloc) or order.
func (v *validator) checkSets(p keyPath, sets []ResourceSet, coloc bool) {
	seen := map[string]bool{}
	total := 0
	for j := range sets {
		s := &sets[j]
		sp := p.with("set", j)
		if len(s.Resources) == 0 {
			v.errs.add(sp.with("resources"), "set has no resources; write resources = [\"a\", \"b\"]")
		}
		for k, r := range s.Resources {
			rp := sp.with("resources", k)
			if seen[r] {
				v.errs.add(rp, "resource %q appears twice in this constraint's sets", r)
				continue
			}
			seen[r] = true
			total++
			if !v.constraintResource(rp, r) {
				continue
			}
			if coloc {
				v.checkRole(sp.with("role"), s.Role, r)
			} else if (s.Action == "promote" || s.Action == "demote") && !v.promotable(r) {
				v.errs.add(rp, "action %q needs a promotable clone, and %q is not one", s.Action, r)
			}
		}
		if coloc {
			if s.Action != "" {
				v.errs.add(sp.with("action"), "action applies to order sets; a colocation set takes role")
			}
		} else {
			if s.Role != RoleUnknown {
				v.errs.add(sp.with("role"), "role applies to colocation sets; an order set takes action")
			}
			if s.Score != nil {
				v.errs.add(sp.with("score"), "score applies to colocation sets")
			}
			v.enum(sp.with("action"), s.Action, orderActions)
		}
	}
	if total < 2 && len(sets) > 0 {
		v.errs.add(p.with("set"), "the sets name %d resource(s); a constraint needs at least 2", total)
	}
}

// rawHas reports whether the decoded TOML has top[i].key.
func rawHas(raw map[string]any, top string, i int, key string) bool {
	var elem any
	switch arr := raw[top].(type) {
	case []map[string]any:
		if i < len(arr) {
			elem = arr[i]
		}
	case []any:
		if i < len(arr) {
			elem = arr[i]
		}
	}
	m, ok := elem.(map[string]any)
	if !ok {
		return false
	}
	_, ok = m[key]
	return ok
}
