package policy

import (
	"sort"
	"time"
)

// This file holds the public face of rule expressions: the boolean
// expressions over node attributes and date/time that location constraints
// carry (docs/rules.md is the operator's reference). The lexer, parser,
// printer, evaluator and NextChange live in the other rule*.go files.

// MaxExprLen is the longest rule expression ParseExpr accepts, in bytes.
const MaxExprLen = 4096

// MaxExprDepth is how deeply parentheses and "not" may nest in a rule
// expression.
const MaxExprDepth = 32

// Expr is a parsed rule expression. Build one with ParseExpr; the zero value
// and a nil *Expr never match. An Expr is immutable and safe for concurrent
// use.
type Expr struct {
	root *node
	// dates are the date terms of root in source order.
	dates []*node
}

// EvalEnv is what a rule expression is evaluated against.
type EvalEnv struct {
	// Node is the node's name (#uname and #id).
	Node string
	// Attrs are the node's attributes, transient ones included.
	Attrs map[string]string
	// Now is the evaluation instant. Rules see it at one-second resolution
	// (the fraction is dropped), as Pacemaker does.
	Now time.Time
	// Location is the time zone of date expressions without an explicit
	// UTC offset and of date-spec fields (nil: UTC).
	Location *time.Location
}

// Eval reports whether e matches in env. A nil e never matches.
func (e *Expr) Eval(env EvalEnv) bool {
	if e == nil || e.root == nil {
		return false
	}
	return evalNode(e.root, &env, truncSecond(env.Now), locOf(env))
}

// NextChange returns the earliest instant strictly after env.Now at which
// Eval's answer changes, and false if it never changes again (the
// expression has no date terms, or they can no longer change the result).
// Attribute terms are taken as constant. The answer is exact: Eval is
// constant from env.Now up to it and differs at it. Only pathological
// rules, whose operands change thousands of times without changing the
// result (such as "date-spec hours=9-16 and not date-spec hours=8-17"),
// get a conservative answer instead (a work budget runs out): earlier
// than the real change, with Eval not changed yet, but after env.Now and
// far enough away (hours to years, depending on how often the operands
// change) that callers do not poll.
func (e *Expr) NextChange(env EvalEnv) (time.Time, bool) {
	if e == nil || e.root == nil || len(e.dates) == 0 {
		return time.Time{}, false
	}
	next, ok, _ := e.nextChangeExact(env)
	return next, ok
}

// String returns the expression in canonical form: keywords in lower case,
// values quoted where needed, dates in ISO 8601, date-spec and duration
// fields in a fixed order. ParseExpr(e.String()) yields an equal Expr.
func (e *Expr) String() string {
	if e == nil || e.root == nil {
		return ""
	}
	return printExpr(e.root)
}

// Attributes returns the sorted, de-duplicated names of the node
// attributes e reads, built-in ones such as "#uname" included.
func (e *Expr) Attributes() []string {
	if e == nil || e.root == nil {
		return nil
	}
	seen := map[string]bool{}
	var walk func(n *node)
	walk = func(n *node) {
		if n.attr != "" {
			seen[n.attr] = true
		}
		for _, k := range n.kids {
			walk(k)
		}
	}
	walk(e.root)
	out := make([]string, 0, len(seen))
	for a := range seen {
		out = append(out, a)
	}
	sort.Strings(out)
	return out
}

// HasDateTerms reports whether e contains date terms (date gt/lt,
// in_range, date-spec), that is whether its value can change with time.
func (e *Expr) HasDateTerms() bool { return e != nil && len(e.dates) > 0 }

func locOf(env EvalEnv) *time.Location {
	if env.Location == nil {
		return time.UTC
	}
	return env.Location
}

// truncSecond drops the sub-second part of t (rules work in whole seconds).
func truncSecond(t time.Time) time.Time { return t.Truncate(time.Second) }
