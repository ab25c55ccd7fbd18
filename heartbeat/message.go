package heartbeat

import (
	"encoding/binary"
	"errors"
	"fmt"
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

// envelope is the wire form of a Message (version 2):
//
//	version(1) kind(1) len(name)(1) name bootID(16) [to(16)] seq(uvarint) payload
//
// (bootID, seq) identifies a message from one daemon instance: seq grows
// with every message that instance sends, so copies that arrive over
// several links, and replays, are dropped (replay.go). to, in reliable
// messages only, is the boot id of the receiver as the sender knows it:
// a message is delivered only to that instance of the receiver.
// Version 1 (no to) is refused: it had no replay protection.
type envelope struct {
	reliable bool
	from     string
	boot     [16]byte
	to       [16]byte
	seq      uint64
	payload  []byte
}

const (
	envVersion   = 2
	envBroadcast = 1
	envReliable  = 2
)

func (e envelope) encode() []byte {
	b := make([]byte, 0, 3+len(e.from)+32+binary.MaxVarintLen64+len(e.payload))
	kind := byte(envBroadcast)
	if e.reliable {
		kind = envReliable
	}
	b = append(b, envVersion, kind, byte(len(e.from)))
	b = append(b, e.from...)
	b = append(b, e.boot[:]...)
	if e.reliable {
		b = append(b, e.to[:]...)
	}
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
		return e, fmt.Errorf("heartbeat: message version %d is not supported (this node speaks %d); run the same ward version on every node", b[0], envVersion)
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
	if e.reliable {
		if len(b) < 16 {
			return envelope{}, errors.New("heartbeat: message truncated")
		}
		copy(e.to[:], b[:16])
		b = b[16:]
	}
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
