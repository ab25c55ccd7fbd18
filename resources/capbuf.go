package resources

import (
	"fmt"
	"sync"
)

// DefaultOutputLimit is the number of bytes of an agent's output kept
// per stream when the caller sets no limit. Output beyond it is read and
// dropped, so a chatty agent never blocks on a full pipe and never makes
// ward's memory grow.
const DefaultOutputLimit = 64 << 10

// capBuffer is an io.Writer that keeps the first and the last limit/2
// bytes written to it and counts the rest. Errors usually come last, so
// the tail is worth keeping as much as the head.
type capBuffer struct {
	limit int
	// mu guards the following.
	mu      sync.Mutex
	head    []byte
	tail    []byte // ring of at most limit-len(head) bytes
	tailPos int    // next write position in tail once it is full
	total   int64
}

func newCapBuffer(limit int) *capBuffer {
	if limit <= 0 {
		limit = DefaultOutputLimit
	}
	return &capBuffer{limit: limit}
}

// Write keeps what fits and drops the middle; it never fails.
func (b *capBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	n := len(p)
	b.total += int64(n)
	headMax := b.limit / 2
	if len(b.head) < headMax {
		k := min(headMax-len(b.head), len(p))
		b.head = append(b.head, p[:k]...)
		p = p[k:]
	}
	tailMax := b.limit - headMax
	if tailMax <= 0 || len(p) == 0 {
		return n, nil
	}
	if len(p) >= tailMax {
		b.tail = append(b.tail[:0], p[len(p)-tailMax:]...)
		b.tailPos = 0
		return n, nil
	}
	if len(b.tail) < tailMax {
		k := min(tailMax-len(b.tail), len(p))
		b.tail = append(b.tail, p[:k]...)
		p = p[k:]
	}
	for len(p) > 0 {
		k := copy(b.tail[b.tailPos:], p)
		p = p[k:]
		b.tailPos = (b.tailPos + k) % tailMax
	}
	return n, nil
}

// Bytes returns what was kept, with a marker where bytes were dropped,
// and whether anything was dropped.
func (b *capBuffer) Bytes() ([]byte, bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	out := make([]byte, 0, len(b.head)+len(b.tail)+64)
	out = append(out, b.head...)
	kept := int64(len(b.head) + len(b.tail))
	if b.total > kept {
		out = append(out, fmt.Sprintf("\n[... %d bytes dropped ...]\n", b.total-kept)...)
	}
	out = append(out, b.tail[b.tailPos:]...)
	out = append(out, b.tail[:b.tailPos]...)
	return out, b.total > kept
}
