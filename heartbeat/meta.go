package heartbeat

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// Meta is the metadata every node gossips about itself. It is small and
// bounded (MaxMetaSize); memberlist carries it in alive messages.
type Meta struct {
	// BootID is random per daemon start: a changed boot id means the node
	// restarted and whatever it ran before is gone.
	BootID [16]byte
	// Started is the daemon start time (Unix milliseconds, the node's own
	// clock); with Seq it orders two metas of the same node.
	Started int64
	// Seq grows with every change of this node's meta since it started.
	Seq uint64
	// Term is the highest DC term the node has seen.
	Term uint64
	// Epoch is the node's policy epoch.
	Epoch uint64
	// Quorate reports whether the node considers its partition quorate.
	Quorate bool
}

// MaxMetaSize bounds an encoded Meta (memberlist allows 512 bytes).
const MaxMetaSize = 128

// metaVersion is the encoding written. A newer version may only append
// fields: a decoder reads the fields it knows and ignores the rest when
// the version is above its own, and refuses trailing bytes otherwise.
const metaVersion = 1

const metaFlagQuorate = 1 << 0

// newer reports whether m is a more recent meta of the same node than o.
func (m Meta) newer(o Meta) bool {
	if m.Started != o.Started {
		return m.Started > o.Started
	}
	return m.Seq > o.Seq
}

// Encode returns the wire form of m.
func (m Meta) Encode() []byte {
	b := make([]byte, 0, 2+16+4*binary.MaxVarintLen64)
	b = append(b, metaVersion)
	var flags byte
	if m.Quorate {
		flags |= metaFlagQuorate
	}
	b = append(b, flags)
	b = append(b, m.BootID[:]...)
	b = binary.AppendVarint(b, m.Started)
	b = binary.AppendUvarint(b, m.Seq)
	b = binary.AppendUvarint(b, m.Term)
	b = binary.AppendUvarint(b, m.Epoch)
	return b
}

// DecodeMeta parses the wire form of a Meta. It never panics; bad input
// gets an error saying what is wrong.
func DecodeMeta(b []byte) (Meta, error) {
	var m Meta
	if len(b) == 0 {
		return m, errors.New("heartbeat: node meta is empty")
	}
	if len(b) > MaxMetaSize {
		return m, fmt.Errorf("heartbeat: node meta is %d bytes, more than %d", len(b), MaxMetaSize)
	}
	v := b[0]
	if v == 0 {
		return m, errors.New("heartbeat: node meta version 0 is invalid")
	}
	if len(b) < 2+16 {
		return m, fmt.Errorf("heartbeat: node meta is %d bytes, truncated", len(b))
	}
	flags := b[1]
	if v == metaVersion && flags&^metaFlagQuorate != 0 {
		return m, fmt.Errorf("heartbeat: node meta has unknown flags %#x", flags)
	}
	m.Quorate = flags&metaFlagQuorate != 0
	copy(m.BootID[:], b[2:18])
	rest := b[18:]
	var n int
	if m.Started, n = binary.Varint(rest); n <= 0 {
		return Meta{}, errors.New("heartbeat: node meta: bad start time")
	}
	rest = rest[n:]
	for _, f := range []struct {
		name string
		dst  *uint64
	}{{"seq", &m.Seq}, {"term", &m.Term}, {"epoch", &m.Epoch}} {
		if *f.dst, n = binary.Uvarint(rest); n <= 0 {
			return Meta{}, fmt.Errorf("heartbeat: node meta: bad %s", f.name)
		}
		rest = rest[n:]
	}
	if len(rest) > 0 && v == metaVersion {
		return Meta{}, fmt.Errorf("heartbeat: node meta has %d trailing bytes", len(rest))
	}
	return m, nil
}
