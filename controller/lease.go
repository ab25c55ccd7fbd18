package controller

import (
	"context"
	"time"
)

// This file is the DC lease (Raft's check-quorum). Gossip views lag: a
// DC cut off in a minority may still believe it is quorate. So the DC
// pings every member each tick over the reliable channel and dispatches
// (above all fences) only while members holding a majority of the votes
// answered a ping sent within the last lease interval (the witness vote
// counts while the witness grants it to this side, as in the quorum). The lease is half
// of heartbeat.Timing.MinDeadAfter: the others cannot even declare the DC
// dead, let alone elect a successor, before it has stopped. A member
// also refuses to vote for another node within a lease of answering a
// DC's ping, so a successor's majority never overlaps a live lease.

// sendPings asks every present member to renew the lease.
func (c *Controller) sendPings(ctx context.Context) {
	l := &c.loop
	now := c.clk.Now()
	for _, n := range l.presentNodes() {
		if n == c.node {
			continue
		}
		c.send(ctx, n, message{Kind: msgPing, Term: l.myTerm, Seq: uint64(now.UnixNano())})
	}
}

// onPing answers a DC's lease ping, or tells an old DC it is stale.
func (c *Controller) onPing(ctx context.Context, from string, m message) {
	l := &c.loop
	seen := c.observe(m.Term, from)
	if m.Term < seen {
		c.send(ctx, from, message{Kind: msgStale, Term: seen})
		return
	}
	c.follow(from, m.Term)
	l.marks.sawDCClock(m.Term, int64(m.Seq)) // replay.go: actions the DC gave up on are refused
	l.lastPong, l.pingDC = c.clk.Now(), from
	c.send(ctx, from, message{Kind: msgPong, Term: m.Term, Seq: m.Seq})
}

// follow records from as the DC of term (the highest seen).
func (c *Controller) follow(from string, term uint64) {
	l := &c.loop
	if term < l.dcTerm || (term == l.dcTerm && l.dcName == from) {
		return
	}
	if l.dcName != from {
		c.log.Info("following a new DC", "dc", from, "term", term)
		l.reportDirty = true
	}
	l.dcName, l.dcTerm = from, term
}

// onPong renews the lease with from's answer.
func (c *Controller) onPong(from string, m message) {
	l := &c.loop
	if !l.isDC || m.Term != l.myTerm {
		return
	}
	sent := time.Unix(0, int64(m.Seq))
	if sent.After(l.acks[from]) {
		l.acks[from] = sent
	}
}

// leaseValid reports whether this DC may dispatch now.
func (c *Controller) leaseValid() bool {
	l := &c.loop
	if !l.isDC {
		return false
	}
	if l.twoNode() {
		return true // a lone node's lease is itself; the fence race decides
	}
	now := c.clk.Now()
	votes := l.nodeVotes(c.node) + c.witnessVote()
	for n, at := range l.acks {
		if n != c.node && now.Sub(at) < c.lease && l.present(n) {
			votes += l.nodeVotes(n)
		}
	}
	return 2*votes > l.totalVotes()
}
