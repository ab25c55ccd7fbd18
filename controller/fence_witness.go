package controller

import (
	"context"

	"github.com/ward-ha/ward/heartbeat/witness"
)

// This file counts the witness vote of a two-node cluster with a
// witness (`ward witness`). The heartbeat counts it in the quorum while
// the witness client reports it granted; the controller counts it in
// the DC claim, the DC lease and the announcement of a transition, and
// only for the view the witness granted it to and until that grant's
// lease ends (the client's request send time plus the lease), checked
// against its own clock at the moment it counts. A cut therefore ends
// the vote on both sides at once (each side's view shrinks), and only
// one side can obtain the next grant: see docs/fencing.md.

// witnessState is the witness vote as the client last reported it.
type witnessState struct {
	vote witness.Vote
	// term is the highest DC term the witness has heard of.
	term uint64
}

// SetWitnessVote records the vote the witness client holds and the
// highest term the witness has heard of (witness.ClientConfig.OnVote).
// It returns once the controller's loop has applied it, so the loop
// knows the vote (and has observed the witness's term) before the
// heartbeat reports the vote granted.
func (c *Controller) SetWitnessVote(ctx context.Context, v witness.Vote, witnessTerm uint64) error {
	done := make(chan struct{})
	if err := c.call(ctx, func(context.Context) {
		defer close(done)
		l := &c.loop
		l.witness = witnessState{vote: v, term: witnessTerm}
		if witnessTerm > c.store.Term().Seen {
			// A DC elected with the witness on the other side of a
			// split won that term: claim above it.
			c.observe(witnessTerm, "")
		}
		l.dirty = true
	}); err != nil {
		return err
	}
	_, err := wait(ctx, done)
	return err
}

// WitnessInfo returns what the witness client sends: whether this node
// is the DC, and the highest term it has seen.
func (c *Controller) WitnessInfo(ctx context.Context) (dc bool, term uint64, err error) {
	type info struct {
		dc   bool
		term uint64
	}
	ch := make(chan info, 1)
	if err := c.call(ctx, func(context.Context) { ch <- info{c.loop.isDC, c.store.Term().Seen} }); err != nil {
		return false, 0, err
	}
	i, err := wait(ctx, ch)
	return i.dc, i.term, err
}

// witnessVote returns 1 while a configured witness grants its vote to
// this node's side for the view membership holds now, else 0. The
// claim, the DC lease and the announcement of a transition count it as
// the quorum does, so a lone node of two with the witness (2 of 3
// votes) can be elected and act. Two disjoint views never both hold a
// counting grant (heartbeat/witness), so two sides never count it at
// once.
func (c *Controller) witnessVote() int {
	l := &c.loop
	if !l.mem.WitnessGranted || !l.witness.vote.Counts(l.presentNodes(), c.clk.Now()) {
		return 0
	}
	for _, m := range l.mem.Members {
		if m.Witness {
			return 1
		}
	}
	return 0
}
