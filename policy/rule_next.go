package policy

import "time"

// This file computes Expr.NextChange: the next instant at which a rule's
// answer changes. Each date term knows its own next change; the
// expression's next change is the first of those at which the whole
// expression's value differs.

// maxNextSteps bounds the work of one NextChange call; when it runs out
// the answer is the instant reached so far, which is conservative (early)
// but still after env.Now.
const maxNextSteps = 10000

func (e *Expr) nextChange(env EvalEnv) (time.Time, bool) {
	loc := locOf(env)
	t := truncSecond(env.Now)
	want := evalNode(e.root, &env, t, loc)
	next := make([]time.Time, len(e.dates))
	live := make([]bool, len(e.dates))
	for i, d := range e.dates {
		next[i], live[i] = termNext(d, t, loc)
	}
	for range maxNextSteps {
		if _, known := foldNode(e.root, &env, t, loc, live); known {
			return time.Time{}, false
		}
		var c time.Time
		for i := range e.dates {
			if live[i] && (c.IsZero() || next[i].Before(c)) {
				c = next[i]
			}
		}
		if evalNode(e.root, &env, c, loc) != want {
			return c, true
		}
		t = c
		for i, d := range e.dates {
			if live[i] && !next[i].After(t) {
				next[i], live[i] = termNext(d, t, loc)
			}
		}
	}
	return t, true
}

// foldNode evaluates n at t with every live date term unknown; it reports
// the value and whether it is known regardless of the live terms.
func foldNode(n *node, env *EvalEnv, t time.Time, loc *time.Location, live []bool) (val, known bool) {
	switch n.kind {
	case kindAnd, kindOr:
		isAnd := n.kind == kindAnd
		all := true
		for _, k := range n.kids {
			v, ok := foldNode(k, env, t, loc, live)
			if ok && v != isAnd {
				return !isAnd, true // false in an and, true in an or
			}
			all = all && ok
		}
		return isAnd, all
	case kindNot:
		v, ok := foldNode(n.kids[0], env, t, loc, live)
		return !v, ok
	}
	if n.isDate() && live[n.idx] {
		return false, false
	}
	return evalNode(n, env, t, loc), true
}

// termNext returns the first instant after t (whole seconds) at which date
// term n may change value, and false if it never changes again.
func termNext(n *node, t time.Time, loc *time.Location) (time.Time, bool) {
	var c time.Time
	consider := func(x time.Time) {
		if x.After(t) && (c.IsZero() || x.Before(c)) {
			c = x
		}
	}
	switch n.kind {
	case kindDateGT:
		consider(n.start.instant(loc).Add(time.Second))
	case kindDateLT:
		consider(n.end.instant(loc))
	case kindInRange:
		if n.start != nil {
			consider(n.start.instant(loc))
		}
		consider(rangeEnd(n, loc).Add(time.Second))
	case kindDateSpec:
		return n.spec.nextChange(t, loc)
	}
	return c, !c.IsZero()
}

// nextChange returns the first instant after t at which s's match
// changes, following the wall clock of loc across its transitions: within
// one zone period the wall clock advances with the instant, so the first
// wall-clock time that differs gives the instant; at a transition the wall
// clock jumps and the search restarts from there.
func (s *dateSpec) nextChange(t time.Time, loc *time.Location) (time.Time, bool) {
	lt := t.In(loc)
	cur := s.match(naive(lt))
	for range maxNextSteps {
		w := naive(lt)
		var wc time.Time
		var ok bool
		if cur {
			wc, ok = s.firstNonMatchFrom(w.Add(time.Second))
		} else {
			wc, ok = s.firstMatchFrom(w.Add(time.Second))
		}
		_, zend := lt.ZoneBounds()
		if ok {
			cand := time.Unix(lt.Unix()+(wc.Unix()-w.Unix()), 0).In(loc)
			if zend.IsZero() || cand.Before(zend) {
				return cand, true
			}
		} else if zend.IsZero() || naive(zend.In(loc)).After(w) {
			// No later wall-clock time changes the answer, and the clock
			// is not set back to one not yet examined.
			return time.Time{}, false
		}
		lt = zend.In(loc)
		if s.match(naive(lt)) != cur {
			return lt, true
		}
	}
	return lt, true
}
