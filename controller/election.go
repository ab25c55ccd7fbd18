package controller

import (
	"context"
	"fmt"
	"sort"
	"time"
)

// This file is the DC election. Among the members of a quorate partition
// the DC is the node that sorts first (priority, then name). It claims
// term = highest seen + 1; a node grants at most one claim per term (the
// store persists the grant first), only to the node it would itself
// choose, only while quorate, and not within a lease of having answered
// another DC's ping (so a DC holding a lease and a successor never
// overlap). A claim wins with grants holding more than half of the
// configured votes; two_node: the peer's grant, or the peer fenced.

// claimState is this node's claim in progress.
type claimState struct {
	term     uint64
	grants   map[string]time.Time // voter -> when the claim was sent
	sent     time.Time
	deadline time.Time
	fencing  bool // two_node: fencing the absent peer
}

// preferred returns the node this node would choose as DC: the present
// node with the highest priority, then the lowest name. "" without
// quorum.
func (c *Controller) preferred() string {
	l := &c.loop
	if !l.mem.Quorum.Quorate {
		return ""
	}
	prio := map[string]int{}
	for _, n := range l.cfg.Nodes {
		prio[n.Name] = n.Priority
	}
	nodes := l.presentNodes()
	var cands []string
	for _, n := range nodes {
		if _, ok := prio[n]; ok {
			cands = append(cands, n)
		}
	}
	if len(cands) == 0 {
		return ""
	}
	sort.SliceStable(cands, func(i, j int) bool {
		if prio[cands[i]] != prio[cands[j]] {
			return prio[cands[i]] > prio[cands[j]]
		}
		return cands[i] < cands[j]
	})
	return cands[0]
}

// mayVote reports whether this node may grant (or claim) now, and why
// not.
func (c *Controller) mayVote(candidate string) (bool, string) {
	l := &c.loop
	now := c.clk.Now()
	switch {
	case !l.mem.Quorum.Quorate:
		return false, "this node has no quorum"
	case c.preferred() != candidate:
		return false, fmt.Sprintf("this node prefers %q", c.preferred())
	case l.pingDC != "" && l.pingDC != candidate && now.Sub(l.lastPong) < c.lease:
		return false, fmt.Sprintf("this node answered DC %s's lease %v ago", l.pingDC, now.Sub(l.lastPong).Round(time.Millisecond))
	case c.store.TermsLost() && !l.observedTerm:
		return false, "term.state was lost and no current term was seen yet"
	}
	return true, ""
}

// election claims the DC role when this node is the one to hold it.
func (c *Controller) election(ctx context.Context) {
	l := &c.loop
	if l.isDC {
		return
	}
	if c.preferred() != c.node {
		l.claim = nil
		return
	}
	now := c.clk.Now()
	if l.claim != nil && (now.Before(l.claim.deadline) || l.claim.fencing) {
		return
	}
	if ok, _ := c.mayVote(c.node); !ok {
		return
	}
	term := c.store.Term().Seen + 1
	ok, err := c.store.Grant(term, c.node)
	if err != nil || !ok {
		c.log.Error("cannot record this node's own vote; not claiming", "term", term, "err", err)
		return
	}
	c.cl.SetTerm(term)
	l.claim = &claimState{term: term, grants: map[string]time.Time{c.node: now}, sent: now, deadline: now.Add(c.claimWait)}
	c.log.Info("claiming the DC role", "term", term, "present", l.presentNodes())
	for _, n := range l.presentNodes() {
		if n != c.node {
			c.send(ctx, n, message{Kind: msgClaim, Term: term, Candidate: c.node})
		}
	}
	c.checkClaim(ctx)
}

// onClaim answers a claim.
func (c *Controller) onClaim(ctx context.Context, from string, m message) {
	l := &c.loop
	seen := c.store.Term().Seen
	granted := false
	why := ""
	if m.Term < seen || m.Candidate != from {
		why = "stale term"
	} else if ok, reason := c.mayVote(from); !ok {
		why = reason
	} else {
		g, err := c.store.Grant(m.Term, from)
		if err != nil {
			c.log.Error("cannot persist a vote; refusing it", "term", m.Term, "candidate", from, "err", err)
		}
		granted = g && err == nil
		if !g {
			why = fmt.Sprintf("already voted for %s in term %d", c.store.Term().GrantedTo, c.store.Term().Granted)
		}
	}
	seen = c.observe(m.Term, from)
	if granted {
		l.claim = nil
		c.log.Info("granted the DC role", "term", m.Term, "to", from)
	} else {
		c.log.Debug("refused a DC claim", "term", m.Term, "from", from, "reason", why)
	}
	c.send(ctx, from, message{Kind: msgVote, Term: seen, Candidate: from, Granted: granted, Error: why})
}

// onVote counts a vote for this node's claim.
func (c *Controller) onVote(ctx context.Context, from string, m message) {
	l := &c.loop
	cl := l.claim
	if cl == nil || m.Candidate != c.node {
		return
	}
	if m.Term > cl.term {
		c.observe(m.Term, from)
		l.claim = nil
		return
	}
	if m.Granted && m.Term == cl.term {
		cl.grants[from] = cl.sent
		c.checkClaim(ctx)
		return
	}
	// A refusal (the voter does not see what this node sees yet, or
	// still follows a DC's lease) is retried soon with a new term rather
	// than after the whole claim wait.
	if retry := c.clk.Now().Add(2 * c.tick); retry.Before(cl.deadline) && !cl.fencing {
		cl.deadline = retry
	}
}

// checkClaim wins the claim once the grants suffice.
func (c *Controller) checkClaim(ctx context.Context) {
	l := &c.loop
	cl := l.claim
	if cl == nil || l.isDC {
		return
	}
	votes := c.witnessVote()
	for n := range cl.grants {
		votes += l.nodeVotes(n)
	}
	if l.twoNode() {
		peer := l.peer(c.node)
		if _, ok := cl.grants[peer]; ok {
			c.win(ctx)
			return
		}
		if _, clean := c.cleanLeave(peer); clean && !l.present(peer) {
			// leave.go: this boot of the peer left cleanly; it
			// starts nothing more, and what it still runs is in its
			// record (the scheduler fences for it if it is managed).
			c.win(ctx)
			return
		}
		if !l.present(peer) && !cl.fencing {
			c.fencePeerForClaim(ctx, peer)
		}
		return
	}
	if 2*votes > l.totalVotes() {
		c.win(ctx)
	}
}

// fencePeerForClaim fences the absent peer of a two_node cluster; the
// claim wins when fencing succeeds (the device delay decides a race).
func (c *Controller) fencePeerForClaim(ctx context.Context, peer string) {
	l := &c.loop
	if c.fencer == nil || !stonith(l.cfg) {
		c.log.Error("two_node: the peer is absent and fencing is disabled; this node will not act as DC alone", "peer", peer)
		return
	}
	cl := l.claim
	cl.fencing = true
	term, cfg, boot := cl.term, l.cfg, l.boots[peer].ID
	c.log.Warn("two_node: peer lost; fencing it before acting alone", "peer", peer, "term", term)
	fctx, run, release := c.fenceContext(ctx, peer, boot)
	// The priority delay (priority_fencing_delay) is computed here, on
	// the controller goroutine, from the latest view of who runs what.
	fopts := c.fenceOptions(cfg, peer)
	c.goWorker(ctx, func(ctx context.Context) {
		res := c.runFence(fctx, cfg, peer, fopts)
		rec := fenceRecord(res, term, boot)
		if run.cancelled && !rec.OK {
			rec.Error = "cancelled: the node came back after a reboot"
		}
		rec.RequestedBy = c.node
		if err := c.store.AppendFencing(rec); err != nil {
			c.log.Error("cannot persist a fencing result", "err", err)
			rec.OK = false
		}
		c.post(ctx, func(ctx context.Context) {
			release()
			c.recordFence(rec)
			if l.claim != cl {
				return
			}
			cl.fencing = false
			if rec.OK && !l.present(peer) {
				c.win(ctx)
				return
			}
			cl.deadline = c.clk.Now().Add(c.claimWait)
			c.log.Error("two_node: fencing the peer failed; not acting alone", "peer", peer, "err", rec.Error)
		})
	})
}

// win makes this node the DC of its claim's term.
func (c *Controller) win(ctx context.Context) {
	l := &c.loop
	cl := l.claim
	l.claim = nil
	if err := c.store.Win(cl.term); err != nil {
		c.log.Warn("could not take the DC role", "term", cl.term, "err", err)
		return
	}
	l.isDC, l.myTerm = true, cl.term
	l.dcName, l.dcTerm = c.node, cl.term
	c.cl.SetTerm(cl.term)
	clear(l.acks)
	for n, at := range cl.grants {
		l.acks[n] = at
	}
	clear(l.joined)
	clear(l.joinAsked)
	// Reports from an earlier term may be stale (another DC acted in
	// between): what lost nodes may run now comes from this term's
	// reports and the latest view the members hand over at join.
	clear(l.known)
	l.inherited = nil
	l.trans = nil
	l.conflict = ""
	l.dirty = true
	votes := make([]string, 0, len(cl.grants))
	for n := range cl.grants {
		votes = append(votes, n)
	}
	sort.Strings(votes)
	c.log.Info("this node is now the DC; collecting every node's state before scheduling", "term", cl.term, "votes", votes)
	if c.hooks.Elected != nil {
		c.hooks.Elected(cl.term)
	}
	c.sendPings(ctx)
}

// stepDown stops acting as DC at once: nothing new is dispatched.
func (c *Controller) stepDown(why string) {
	l := &c.loop
	if !l.isDC {
		return
	}
	l.isDC = false
	if l.trans != nil {
		c.log.Warn("abandoning the running transition", "transition", l.trans.id, "in_flight", l.trans.inflight)
	}
	l.trans = nil
	for _, a := range l.applies {
		a.fail(errNotDC("this node stopped being the DC: " + why))
	}
	l.applies = nil
	c.log.Warn("this node is no longer the DC", "term", l.myTerm, "reason", why)
}
