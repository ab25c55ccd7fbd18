package policy

import (
	"errors"
	"time"
)

// Expr is a parsed rule expression. Build one with ParseExpr.
//
// TEMPORARY: the real grammar, evaluation and NextChange are being written
// in rule*.go; this file only fixes the API other code builds on.
type Expr struct {
	src string
}

// EvalEnv is what a rule expression is evaluated against.
type EvalEnv struct {
	// Node is the node's name (#uname).
	Node string
	// Attrs are the node's attributes, transient ones included.
	Attrs map[string]string
	// Now is the evaluation instant.
	Now time.Time
	// Location is the time zone of date expressions (nil: UTC).
	Location *time.Location
}

// ParseExpr parses a rule expression.
func ParseExpr(s string) (*Expr, error) {
	return nil, errors.New("policy: rule expressions not implemented yet")
}

// Eval reports whether e matches in env.
func (e *Expr) Eval(env EvalEnv) bool { return false }

// NextChange returns the earliest instant after env.Now at which Eval's
// answer may change, and false if it never changes (no date terms).
func (e *Expr) NextChange(env EvalEnv) (time.Time, bool) { return time.Time{}, false }

// String returns the expression's source form.
func (e *Expr) String() string { return e.src }
