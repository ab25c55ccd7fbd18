package heartbeat

import (
	"encoding/binary"
	"errors"
	"fmt"
	"sync"
)

// Message is a small message from another node, received through
// Broadcast or SendReliable. The same message sent over several links is
// delivered once.
type Message struct {
	// From is the sender's node name.
	From string
	// Reliable reports a SendReliable message (else a broadcast).
	Reliable bool
	// Payload is the message; it belongs to the receiver.
	Payload []byte
}

// Size limits of messages.
const (
	// MaxBroadcast bounds a Broadcast payload: broadcasts ride in UDP
	// gossip packets.
	MaxBroadcast = 1024
	// MaxReliable bounds a SendReliable payload.
	MaxReliable = 256 << 10
	// maxNameLen bounds a node name on the wire.
	maxNameLen = 255
)

// envelope is the wire form of a Message:
//
//	version(1) kind(1) len(name)(1) name bootID(16) seq(uvarint) payload
//
// (bootID, seq) identifies a message from one daemon instance, so copies
// that arrive over several links are dropped.
type envelope struct {
	reliable bool
	from     string
	boot     [16]byte
	seq      uint64
	payload  []byte
}

const (
	envVersion   = 1
	envBroadcast = 1
	envReliable  = 2
)

func (e envelope) encode() []byte {
	b := make([]byte, 0, 3+len(e.from)+16+binary.MaxVarintLen64+len(e.payload))
	kind := byte(envBroadcast)
	if e.reliable {
		kind = envReliable
	}
	b = append(b, envVersion, kind, byte(len(e.from)))
	b = append(b, e.from...)
	b = append(b, e.boot[:]...)
	b = binary.AppendUvarint(b, e.seq)
	return append(b, e.payload...)
}

// decodeEnvelope parses an envelope. The payload aliases b.
func decodeEnvelope(b []byte) (envelope, error) {
	var e envelope
	if len(b) < 3 {
		return e, errors.New("heartbeat: message truncated")
	}
	if b[0] != envVersion {
		return e, fmt.Errorf("heartbeat: message version %d is not supported", b[0])
	}
	switch b[1] {
	case envBroadcast:
	case envReliable:
		e.reliable = true
	default:
		return e, fmt.Errorf("heartbeat: message kind %d is unknown", b[1])
	}
	n := int(b[2])
	b = b[3:]
	if n == 0 || len(b) < n+16 {
		return envelope{}, errors.New("heartbeat: message truncated")
	}
	e.from = string(b[:n])
	copy(e.boot[:], b[n:n+16])
	b = b[n+16:]
	seq, k := binary.Uvarint(b)
	if k <= 0 {
		return envelope{}, errors.New("heartbeat: message has a bad sequence number")
	}
	e.seq = seq
	e.payload = b[k:]
	limit := MaxBroadcast
	if e.reliable {
		limit = MaxReliable
	}
	if len(e.payload) > limit {
		return envelope{}, fmt.Errorf("heartbeat: message payload is %d bytes, more than %d", len(e.payload), limit)
	}
	return e, nil
}

// dedupWindow is how far behind the highest sequence number a message
// may arrive and still be delivered.
const dedupWindow = 4096

// dedup remembers recently delivered messages per sender instance.
type dedup struct {
	// mu guards the following.
	mu      sync.Mutex
	senders map[string]*senderWindow
}

type senderWindow struct {
	boot [16]byte
	high uint64
	seen map[uint64]struct{}
}

// first reports whether e is seen for the first time, and records it.
func (d *dedup) first(e envelope) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.senders == nil {
		d.senders = map[string]*senderWindow{}
	}
	w := d.senders[e.from]
	if w == nil || w.boot != e.boot {
		// A new sender instance (restart): start afresh.
		w = &senderWindow{boot: e.boot, seen: map[uint64]struct{}{}}
		d.senders[e.from] = w
	}
	if w.high > dedupWindow && e.seq <= w.high-dedupWindow {
		return false // too old to tell: drop rather than risk a duplicate
	}
	if _, ok := w.seen[e.seq]; ok {
		return false
	}
	w.seen[e.seq] = struct{}{}
	if e.seq > w.high {
		w.high = e.seq
		if len(w.seen) > 2*dedupWindow {
			for s := range w.seen {
				if w.high > dedupWindow && s <= w.high-dedupWindow {
					delete(w.seen, s)
				}
			}
		}
	}
	return true
}
