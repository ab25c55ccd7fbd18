package controller

import (
	"context"
	"errors"

	"github.com/ward-ha/ward/policy"
)

// This file guards the starts and promotions a member runs between the
// moment it accepted them and the moment their agent call begins (they
// may wait behind another operation of the same resource, for a node
// slot, or in an agent that hangs or is frozen). onAction checks the
// term and quorum at receipt; that is not enough: a promotion queued
// behind a hung monitor would run after this node lost quorum or after a
// new DC took over. So:
//
//   - every start and promotion runs under a context that is cancelled
//     as soon as this node has no quorum (unless no_quorum_policy =
//     ignore): a queued action then never reaches its agent, and one in
//     its agent is killed (no_quorum_policy would stop it anyway);
//   - the executor is told the highest term seen (ObserveTerm) and every
//     request carries its term, so the executor refuses an action of a
//     superseded DC at the moment its agent call would begin
//     (resources.ErrStaleTerm); one already in its agent finishes and
//     is reported to the new DC (the member's report counts it).
//
// The DC does not rely on this: an action it sent without a result may
// have run on a node it lost (maybe, mayRun), and that node is fenced
// before its resources move. This guard keeps a node that cannot be
// fenced (stonith disabled, or a failing device) from starting what a
// majority may start elsewhere.

// errStartAborted is the cancellation cause of a guarded start.
var errStartAborted = errors.New("controller: start or promotion aborted: this node lost quorum")

// guardedStart is a start or promotion accepted by this node.
type guardedStart struct {
	term     uint64
	resource string
	kind     policy.ActionKind
	cancel   context.CancelCauseFunc
	done     bool
}

// startGuard is the loop's record of guarded starts (loopState.guard).
type startGuard struct {
	runs []*guardedStart
	// termSent is the highest term handed to the executor.
	termSent uint64
}

// termObserver is the part of *resources.Executor the guard uses; an
// Executor without it (a test fake) gets no term checks.
type termObserver interface {
	ObserveTerm(term uint64) uint64
}

// guardStart returns the context to run a start or promotion of term
// under, and the function that releases it (call both on the loop).
func (c *Controller) guardStart(ctx context.Context, term uint64, a *actionMsg) (context.Context, func()) {
	l := &c.loop
	gctx, cancel := context.WithCancelCause(ctx)
	g := &guardedStart{term: term, resource: a.Resource, kind: a.Kind, cancel: cancel}
	l.guard.runs = append(l.guard.runs, g)
	release := func() {
		cancel(nil)
		for i, x := range l.guard.runs {
			if x == g {
				l.guard.runs = append(l.guard.runs[:i], l.guard.runs[i+1:]...)
				break
			}
		}
	}
	return gctx, release
}

// checkGuards runs after every event: it hands a higher term to the
// executor and aborts the guarded starts that must not run any more.
func (c *Controller) checkGuards() {
	l := &c.loop
	seen := c.store.Term().Seen
	if seen > l.guard.termSent {
		if ex, ok := c.ex.(termObserver); ok {
			ex.ObserveTerm(seen)
		}
		l.guard.termSent = seen
	}
	noQuorum := !l.mem.Quorum.Quorate && noQuorumPolicy(l.cfg) != policy.NoQuorumIgnore
	for _, g := range l.guard.runs {
		if g.done || !noQuorum {
			continue
		}
		g.done = true
		c.log.Warn("this node lost quorum: aborting a start or promotion accepted earlier (a queued one never runs, a running one is killed)",
			"resource", g.resource, "action", g.kind, "term", g.term)
		g.cancel(errStartAborted)
	}
}
