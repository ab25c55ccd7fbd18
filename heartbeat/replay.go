package heartbeat

import (
	"encoding/hex"
	"sync"
)

// memberlist encrypts and authenticates every packet and stream, but it
// has no replay protection: a captured packet or stream decrypts again.
// This file is ward's replay filter for its own messages (membership
// messages are ordered by memberlist's incarnation numbers). A message is
// delivered only if:
//
//   - its sender boot is one the sender advertises in the gossip metadata
//     memberlist holds for it now (a message from an older boot, or from a
//     boot gossip does not show, is dropped: the window of the current
//     boot is never reset by it);
//   - it is addressed to this daemon's boot (reliable messages carry the
//     boot id the sender knows for the receiver: a message captured before
//     the receiver restarted names a boot that no longer exists);
//   - its sequence number, a counter per sender boot, was not delivered
//     before and is within replayWindow of the highest one delivered from
//     that boot.
//
// A boot that a sender no longer advertises is retired: its messages are
// refused from then on, even if a replayed alive message made memberlist
// show it again.

// replayWindow is how far behind the highest sequence number of a sender
// boot a message may arrive and still be delivered.
const replayWindow = 4096

// maxRetired bounds the retired boots remembered per sender.
const maxRetired = 16

// replayVerdict is the outcome of replayFilter.check.
type replayVerdict int

const (
	replayAccept      replayVerdict = iota
	replayDuplicate                 // seen, or too far behind the window to tell
	replayOldBoot                   // a boot the sender no longer advertises
	replayUnknownBoot               // a boot the sender's gossip does not show (yet)
	replayOtherTarget               // addressed to another boot of this node
)

func (v replayVerdict) String() string {
	switch v {
	case replayAccept:
		return "accepted"
	case replayDuplicate:
		return "already delivered (a duplicate or a replay)"
	case replayOldBoot:
		return "from an earlier boot of the sender (a replay of captured traffic)"
	case replayUnknownBoot:
		return "from a boot the sender's gossip does not show (a replay, or a restart gossip has not carried yet)"
	case replayOtherTarget:
		return "addressed to another boot of this node (sent before this daemon started, or replayed)"
	}
	return "unknown"
}

// replayFilter remembers, per sender, a sequence window per advertised
// boot and the boots it retired. Safe for concurrent use.
type replayFilter struct {
	// mu guards senders.
	mu      sync.Mutex
	senders map[string]*replaySender
}

type replaySender struct {
	windows map[[16]byte]*seqWindow
	retired [][16]byte // oldest first, at most maxRetired
}

type seqWindow struct {
	high uint64
	seen map[uint64]struct{}
}

// check decides whether e may be delivered to the daemon whose boot id is
// self, given the boots the sender advertises now (advertised, from the
// gossip metadata of each link), and records it when it may.
func (f *replayFilter) check(e envelope, self [16]byte, advertised [][16]byte) replayVerdict {
	if e.reliable && e.to != self {
		return replayOtherTarget
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.senders == nil {
		f.senders = map[string]*replaySender{}
	}
	s := f.senders[e.from]
	if s == nil {
		s = &replaySender{windows: map[[16]byte]*seqWindow{}}
		f.senders[e.from] = s
	}
	for b := range s.windows {
		if !hasBoot(advertised, b) {
			delete(s.windows, b)
			s.retire(b)
		}
	}
	if !hasBoot(advertised, e.boot) {
		if s.isRetired(e.boot) {
			return replayOldBoot
		}
		return replayUnknownBoot
	}
	if s.isRetired(e.boot) {
		return replayOldBoot
	}
	w := s.windows[e.boot]
	if w == nil {
		w = &seqWindow{seen: map[uint64]struct{}{}}
		s.windows[e.boot] = w
	}
	if !w.first(e.seq) {
		return replayDuplicate
	}
	return replayAccept
}

func hasBoot(boots [][16]byte, b [16]byte) bool {
	for _, x := range boots {
		if x == b {
			return true
		}
	}
	return false
}

func (s *replaySender) retire(b [16]byte) {
	if s.isRetired(b) {
		return
	}
	if len(s.retired) == maxRetired {
		s.retired = s.retired[1:]
	}
	s.retired = append(s.retired, b)
}

func (s *replaySender) isRetired(b [16]byte) bool { return hasBoot(s.retired, b) }

// first reports whether seq is delivered for the first time, and records
// it. A number too far behind the highest is refused: it cannot be told
// from a replay.
func (w *seqWindow) first(seq uint64) bool {
	if w.high > replayWindow && seq <= w.high-replayWindow {
		return false
	}
	if _, ok := w.seen[seq]; ok {
		return false
	}
	w.seen[seq] = struct{}{}
	if seq > w.high {
		w.high = seq
		if len(w.seen) > 2*replayWindow {
			for s := range w.seen {
				if w.high > replayWindow && s <= w.high-replayWindow {
					delete(w.seen, s)
				}
			}
		}
	}
	return true
}

// advertisedBoots returns the boot ids the gossip metadata of name shows
// on each link (usually one; two while a restart spreads).
func (c *Cluster) advertisedBoots(name string) [][16]byte {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out [][16]byte
	for _, l := range c.links {
		if p := l.peers[name]; p != nil && p.hasMeta && !hasBoot(out, p.meta.BootID) {
			out = append(out, p.meta.BootID)
		}
	}
	return out
}

// acceptMessage runs the replay filter on e, received on link idx, and
// logs a refusal at most once a minute per sender and reason. Duplicates
// are dropped quietly: several links and gossip retransmissions deliver
// copies. A message across a restart (the sender's new boot before its
// gossip, or a message to this node's previous boot) is expected for a
// moment and logged as information; one from a boot the sender no longer
// advertises is a warning.
func (c *Cluster) acceptMessage(idx int, e envelope) bool {
	v := c.replay.check(e, c.boot, c.advertisedBoots(e.from))
	switch v {
	case replayAccept:
		return true
	case replayDuplicate:
		return false
	}
	if !c.firstInMinute("replay/" + e.from + "/" + v.String()) {
		return false
	}
	args := []any{"from", e.from, "link", idx, "reason", v.String(), "sender_boot", hex.EncodeToString(e.boot[:]), "seq", e.seq}
	if v == replayOldBoot {
		c.log.Warn("dropping a message from an earlier boot of its sender: a late copy, or captured traffic replayed by a host on the gossip network (memberlist's encryption does not stop replays); if this repeats, check who can reach the gossip ports", args...)
		return false
	}
	c.log.Info("dropping a message sent across a restart; expected for a moment after a node restarts; if it repeats, captured traffic may be being replayed on the gossip network", args...)
	return false
}
