package policy

import (
	"strconv"
	"strings"
	"time"
)

// This file evaluates rule expressions (Expr.Eval), following Pacemaker's
// rule semantics; docs/rules.md states each decision.

func evalNode(n *node, env *EvalEnv, t time.Time, loc *time.Location) bool {
	switch n.kind {
	case kindAnd:
		for _, k := range n.kids {
			if !evalNode(k, env, t, loc) {
				return false
			}
		}
		return true
	case kindOr:
		for _, k := range n.kids {
			if evalNode(k, env, t, loc) {
				return true
			}
		}
		return false
	case kindNot:
		return !evalNode(n.kids[0], env, t, loc)
	case kindDefined:
		_, ok := lookupAttr(env, n.attr)
		return ok
	case kindNotDefined:
		_, ok := lookupAttr(env, n.attr)
		return !ok
	case kindCmp:
		v, ok := lookupAttr(env, n.attr)
		if !ok {
			// Pacemaker: an undefined attribute is unequal to every value
			// and neither less nor greater than any.
			return n.op == opNE
		}
		c := compareValues(v, n.value, n.typ, n.op)
		switch n.op {
		case opEQ:
			return c == 0
		case opNE:
			return c != 0
		case opLT:
			return c < 0
		case opLTE:
			return c <= 0
		case opGT:
			return c > 0
		case opGTE:
			return c >= 0
		}
		return false
	}
	return evalDate(n, t, loc)
}

// evalDate evaluates a date term at t (whole seconds).
func evalDate(n *node, t time.Time, loc *time.Location) bool {
	switch n.kind {
	case kindDateGT:
		return t.After(n.start.instant(loc))
	case kindDateLT:
		return t.Before(n.end.instant(loc))
	case kindInRange:
		if n.start != nil && t.Before(n.start.instant(loc)) {
			return false
		}
		return !t.After(rangeEnd(n, loc))
	case kindDateSpec:
		return n.spec.match(naive(t.In(loc)))
	}
	return false
}

// rangeEnd returns the last instant (inclusive) of an in_range term.
func rangeEnd(n *node, loc *time.Location) time.Time {
	if n.dur != nil {
		return n.dur.addTo(*n.start, loc)
	}
	return n.end.instant(loc)
}

// lookupAttr returns a node attribute. #uname and #id are the node name,
// #kind is "cluster"; everything else comes from env.Attrs.
func lookupAttr(env *EvalEnv, name string) (string, bool) {
	switch name {
	case "#uname", "#id":
		return env.Node, env.Node != ""
	case "#kind":
		return "cluster", true
	}
	v, ok := env.Attrs[name]
	return v, ok
}

// compareValues compares an attribute value a with a rule's value b as
// Pacemaker does: with no type, eq and ne compare strings, the others
// compare numbers (floating point when either value contains a ".",
// integers otherwise). Strings compare case-insensitively; values that do
// not parse as the type's numbers compare as strings.
func compareValues(a, b string, typ valueType, op cmpOp) int {
	if typ == typeDefault {
		switch {
		case op == opEQ || op == opNE:
			typ = typeString
		case strings.Contains(a, ".") || strings.Contains(b, "."):
			typ = typeNumber
		default:
			typ = typeInteger
		}
	}
	switch typ {
	case typeInteger:
		x, err1 := strconv.ParseInt(a, 10, 64)
		y, err2 := strconv.ParseInt(b, 10, 64)
		if err1 == nil && err2 == nil {
			return cmp3(x < y, x > y)
		}
	case typeNumber:
		x, ok1 := parseNumber(a)
		y, ok2 := parseNumber(b)
		if ok1 && ok2 {
			return cmp3(x < y, x > y)
		}
	case typeVersion:
		return compareVersions(a, b)
	}
	return strings.Compare(strings.ToLower(a), strings.ToLower(b))
}

func cmp3(less, greater bool) int {
	switch {
	case less:
		return -1
	case greater:
		return 1
	}
	return 0
}

// parseNumber parses a finite decimal floating-point number ("1.5",
// "-2", "1e3"); hexadecimal, "inf" and "nan" are not numbers here.
func parseNumber(s string) (float64, bool) {
	if s == "" {
		return 0, false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if (c < '0' || c > '9') && c != '.' && c != '-' && c != '+' && c != 'e' && c != 'E' {
			return 0, false
		}
	}
	f, err := strconv.ParseFloat(s, 64)
	return f, err == nil
}

// compareVersions compares dotted versions component by component as
// numbers; a missing component counts as 0 ("1.2" equals "1.2.0") and
// anything after a component's leading digits is ignored ("15.4-1" is
// 15.4), as Pacemaker's compare_version does.
func compareVersions(a, b string) int {
	pa, pb := strings.Split(a, "."), strings.Split(b, ".")
	for i := 0; i < max(len(pa), len(pb)); i++ {
		var x, y string
		if i < len(pa) {
			x = leadingDigits(pa[i])
		}
		if i < len(pb) {
			y = leadingDigits(pb[i])
		}
		if len(x) != len(y) {
			return cmp3(len(x) < len(y), len(x) > len(y))
		}
		if c := strings.Compare(x, y); c != 0 {
			return c
		}
	}
	return 0
}

// leadingDigits returns the digits at the start of s without leading
// zeros ("" for zero).
func leadingDigits(s string) string {
	i := 0
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	return strings.TrimLeft(s[:i], "0")
}
