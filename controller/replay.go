package controller

import (
	"fmt"
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
//     unique within a transition).
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
}

// admit decides whether an action of (term, transition) with id may run
// and records it when it may; it returns why not otherwise.
func (k *actionMark) admit(term, transition uint64, id int) string {
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
	return c.loop.marks.admit(m.Term, m.Transition, a.ID)
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
