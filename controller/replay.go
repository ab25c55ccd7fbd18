package controller

import (
	"fmt"
	"time"
)

// This file is the member's defence against actions delivered twice: a
// message replayed by a host on the gossip network (memberlist's
// encryption has no replay protection; the heartbeat filters most
// replays, see heartbeat/replay.go), or a late copy of an action the DC
// already gave up on. An action runs only if:
//
//   - it is addressed to this daemon's boot: the DC names the boot of the
//     node it scheduled from (its join report, else gossip), so an action
//     sent before this node restarted, or replayed after, is refused;
//   - its transition is the newest this node has received an action of in
//     that term: the DC starts a transition only once the previous one has
//     no action in flight (each done, failed or timed out), so an action
//     of an older transition of the same term is late or replayed, and
//     running it (a start or promote) could undo the stop that followed;
//   - it was not received before in that transition (action ids are
//     unique within a transition);
//   - the DC has not given up on it yet: an action carries the DC's
//     deadline for its result, in the DC's clock, and the DC's lease
//     pings carry the DC's clock too; an action whose deadline the last
//     ping of its DC already passed was counted failed by the DC, which
//     may have scheduled something else since (a message held back and
//     delivered late is refused, even if no later action reached this
//     node). Both times come from the DC's clock: no clock
//     synchronization is assumed.
//
// Actions of an older term are refused before (member.go). The marks are
// kept in memory only: after a restart, the boot check refuses anything
// sent before.

// actionMark is the newest transition a member received actions of.
type actionMark struct {
	term       uint64
	transition uint64
	// ids are the action ids of that transition received so far.
	ids map[int]bool
	// dcClock is the latest clock (Unix ns) of the DC of term dcTerm,
	// from its pings.
	dcTerm  uint64
	dcClock int64
}

// sawDCClock records the clock of the DC of term (a lease ping's Seq).
func (k *actionMark) sawDCClock(term uint64, ns int64) {
	if term > k.dcTerm || (term == k.dcTerm && ns > k.dcClock) {
		k.dcTerm, k.dcClock = term, ns
	}
}

// admit decides whether an action of (term, transition) with id and the
// DC's deadline (Unix ns in the DC's clock, 0: none) may run, and records
// it when it may; it returns why not otherwise.
func (k *actionMark) admit(term, transition uint64, id int, deadline int64) string {
	if deadline != 0 && term == k.dcTerm && k.dcClock > deadline {
		return fmt.Sprintf("action %d of transition %d of term %d arrived %v after the DC's deadline for it (by the DC's clock, from its lease pings): the DC counted it failed; a late or replayed message",
			id, transition, term, time.Duration(k.dcClock-deadline).Round(time.Millisecond))
	}
	switch {
	case term < k.term || (term == k.term && transition < k.transition):
		return fmt.Sprintf("the action belongs to transition %d of term %d, and this node already received actions of transition %d of term %d: a late or replayed message",
			transition, term, k.transition, k.term)
	case term > k.term || transition > k.transition:
		k.term, k.transition, k.ids = term, transition, map[int]bool{}
	case k.ids[id]:
		return fmt.Sprintf("action %d of transition %d of term %d was already received: a duplicate or replayed message", id, transition, term)
	}
	if k.ids == nil {
		k.ids = map[int]bool{}
	}
	k.ids[id] = true
	return ""
}

// admitAction checks that action m, which passed the term check, is
// addressed to this boot and is not late or replayed; it returns why not.
func (c *Controller) admitAction(m message) string {
	a := m.Action
	if own := c.currentBoot(c.node, ""); a.NodeBoot != own {
		if a.NodeBoot == "" {
			return "the action names no boot of this node (sent by an older ward?): run the same ward version on every node"
		}
		return fmt.Sprintf("the action is for boot %.12s of this node, and this daemon is boot %.12s: it was sent before this node restarted, or replayed", a.NodeBoot, own)
	}
	return c.loop.marks.admit(m.Term, m.Transition, a.ID, a.DeadlineNS)
}

// actionBoot is the boot of node an action is addressed to: the boot its
// join report came from (what the transition was scheduled from), else
// the boot gossip shows.
func (c *Controller) actionBoot(node string) string {
	if r := c.loop.joined[node]; r != nil && r.Boot != "" {
		return r.Boot
	}
	return c.currentBoot(node, "")
}
