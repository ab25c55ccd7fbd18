package policy

import (
	"slices"
	"time"
)

// This file computes Expr.NextChange: the next instant at which a rule's
// answer changes. Each node computes the instant up to which its own value
// is constant:
//
//   - attribute terms never change;
//   - date terms know their next change exactly (termNext);
//   - "not" changes when its operand does;
//   - an "and" that is true ends when its first operand ends; one that is
//     false cannot become true before every false operand has changed, so
//     it jumps to the latest of those changes and looks again ("or" is the
//     mirror image).
//
// This is exact. A work budget bounds pathological rules (an "and" whose
// operands take turns being false for ever, say): when it runs out the
// answer is the instant reached so far, which is early but still after
// env.Now. The operands of an unblocked "and"/"or" share the budget
// equally, so that one pathological operand cannot starve the others into
// an answer right after env.Now.

// maxNextSteps bounds the work of one NextChange call, counted in operands
// examined and time-zone transitions crossed.
const maxNextSteps = 20000

// nextCtx is the state of one NextChange computation.
type nextCtx struct {
	env    *EvalEnv
	loc    *time.Location
	budget int
	// exact is cleared when an answer is only a conservative bound.
	exact bool
}

// nextChangeExact is NextChange that also reports whether the answer is
// exact (Eval differs at it) or only conservative.
func (e *Expr) nextChangeExact(env EvalEnv) (next time.Time, ok, exact bool) {
	c := &nextCtx{env: &env, loc: locOf(env), budget: maxNextSteps, exact: true}
	next, ok = c.node(e.root, truncSecond(env.Now))
	return next, ok, c.exact
}

// node returns the first instant after t (whole seconds) up to which n's
// value is constant and at which, if c.exact stays set, it changes; false
// if it never changes.
func (c *nextCtx) node(n *node, t time.Time) (time.Time, bool) {
	switch n.kind {
	case kindNot:
		return c.node(n.kids[0], t)
	case kindAnd, kindOr:
		return c.boolean(n, t)
	case kindDateSpec:
		return c.spec(n.spec, t)
	}
	if !n.isDate() {
		return time.Time{}, false
	}
	return termNext(n, t, c.loc)
}

// spec is node for a date-spec; its time-zone steps count against the
// budget.
func (c *nextCtx) spec(s *dateSpec, t time.Time) (time.Time, bool) {
	next, ok, steps, done := s.nextChange(t, c.loc, max(c.budget, 1))
	c.budget -= steps - 1 // the first step is part of the caller's work
	c.exact = c.exact && done
	return next, ok
}

// boolean is node for "and" and "or". An "and" that is false (an "or"
// that is true) is blocked: it changes only once every operand that blocks
// it has changed. The date-specs directly under an "and" count as one
// operand, their intersection (n.merged), so that date-specs that are
// never true together are recognised at once.
func (c *nextCtx) boolean(n *node, t time.Time) (time.Time, bool) {
	isAnd := n.kind == kindAnd
	val := evalNode(n, c.env, t, c.loc)
	if val == isAnd {
		// Unblocked: the first operand to change changes the whole.
		var first time.Time
		left := max(c.budget, 0)
		for i, k := range n.kids {
			share := left / (len(n.kids) - i)
			c.budget = share
			kc, ok := c.node(k, t)
			left -= share - max(c.budget, 0)
			if ok && (first.IsZero() || kc.Before(first)) {
				first = kc
			}
		}
		c.budget = left
		return first, !first.IsZero()
	}
	if n.mergedNever {
		return time.Time{}, false
	}
	cur := t
	// Always one round, so that the answer is after t even when the
	// budget is spent.
	for round := 0; round == 0 || c.budget > 0; round++ {
		c.budget -= 1 + len(n.kids)
		var last time.Time
		for _, k := range n.kids {
			if n.merged != nil && k.kind == kindDateSpec {
				continue // handled as n.merged below
			}
			if evalNode(k, c.env, cur, c.loc) == isAnd {
				continue // not blocking
			}
			kc, ok := c.node(k, cur)
			if !ok {
				return time.Time{}, false // blocked for good
			}
			if kc.After(last) {
				last = kc
			}
		}
		if m := n.merged; m != nil && !m.match(naive(cur.In(c.loc))) {
			mc, ok := c.spec(m, cur)
			if !ok {
				return time.Time{}, false
			}
			if mc.After(last) {
				last = mc
			}
		}
		cur = last
		if evalNode(n, c.env, cur, c.loc) != val {
			return cur, true
		}
	}
	c.exact = false
	return cur, true
}

// termNext returns the first instant after t (whole seconds) at which date
// term n changes value, and false if it never changes again.
func termNext(n *node, t time.Time, loc *time.Location) (time.Time, bool) {
	var cands []time.Time
	switch n.kind {
	case kindDateGT:
		cands = append(cands, n.start.instant(loc).Add(time.Second))
	case kindDateLT:
		cands = append(cands, n.end.instant(loc))
	case kindInRange:
		if n.start != nil {
			cands = append(cands, n.start.instant(loc))
		}
		cands = append(cands, rangeEnd(n, loc).Add(time.Second))
	}
	// The value can only change at the candidates; a range whose end is
	// before its start in this time zone never changes.
	slices.SortFunc(cands, time.Time.Compare)
	now := evalDate(n, t, loc)
	for _, c := range cands {
		if c.After(t) && evalDate(n, c, loc) != now {
			return c, true
		}
	}
	return time.Time{}, false
}

// nextChange returns the first instant after t at which s's match
// changes, following the wall clock of loc across its transitions: within
// one zone period the wall clock advances with the instant, so the first
// wall-clock time that differs gives the instant; at a transition the wall
// clock jumps and the search restarts from there.
//
// It takes at most limit steps (one per time-zone transition crossed) and
// returns how many it took; when it runs out (done is false) the answer is
// the transition reached, which is conservative.
func (s *dateSpec) nextChange(t time.Time, loc *time.Location, limit int) (next time.Time, ok bool, steps int, done bool) {
	lt := t.In(loc)
	cur := s.match(naive(lt))
	// The last search: from searched on, wc is the first wall-clock time
	// that differs (none if !found). It stays valid while the clock moves
	// forward within [searched, wc].
	var searched, wc time.Time
	var found bool
	for steps = 1; steps <= limit; steps++ {
		w := naive(lt)
		from := w.Add(time.Second)
		if searched.IsZero() || from.Before(searched) || (found && from.After(wc)) {
			if cur {
				wc, found = s.firstNonMatchFrom(from)
			} else {
				wc, found = s.firstMatchFrom(from)
			}
			searched = from
		}
		zend := zoneEnd(lt)
		if found {
			cand := time.Unix(lt.Unix()+(wc.Unix()-w.Unix()), 0).In(loc)
			if zend.IsZero() || cand.Before(zend) {
				return cand, true, steps, true
			}
		} else if zend.IsZero() || naive(zend.In(loc)).After(w) {
			// No later wall-clock time changes the answer, and the clock
			// is not set back to one not yet examined.
			return time.Time{}, false, steps, true
		}
		lt = zend.In(loc)
		if s.match(naive(lt)) != cur {
			return lt, true, steps, true
		}
	}
	return lt, true, limit, false
}

// zoneEnd returns the end of the time-zone period containing t (the next
// instant at which the UTC offset may change), or the zero time if there
// is none. time.Time.ZoneBounds answers this, except that for rule-based
// zones in the last UTC day of a leap year (past the tzdata tables, e.g.
// New York on 2040-12-31) it reports an end that is not after t; then the
// offset is probed instead: unchanged 48 hours later means no transition
// in between (zones never change twice within two days), else a binary
// search finds the second it changes.
func zoneEnd(t time.Time) time.Time {
	_, end := t.ZoneBounds()
	if end.IsZero() || end.After(t) {
		return end
	}
	name, off := t.Zone()
	same := func(x time.Time) bool {
		n, o := x.Zone()
		return n == name && o == off
	}
	lo, hi := t.Unix(), t.Unix()+48*3600
	if same(time.Unix(hi, 0).In(t.Location())) {
		return time.Unix(hi, 0).In(t.Location())
	}
	for hi-lo > 1 { // same at lo, different at hi
		mid := lo + (hi-lo)/2
		if same(time.Unix(mid, 0).In(t.Location())) {
			lo = mid
		} else {
			hi = mid
		}
	}
	return time.Unix(hi, 0).In(t.Location())
}
