package heartbeat

import (
	"bytes"
	"testing"
)

func TestEnvelopeRoundTrip(t *testing.T) {
	for _, e := range []envelope{
		{from: "n1", boot: [16]byte{1}, seq: 1, payload: []byte("x")},
		{reliable: true, from: "node-with-a-long-name", seq: 1 << 40, payload: nil},
	} {
		got, err := decodeEnvelope(e.encode())
		if err != nil || got.from != e.from || got.boot != e.boot || got.seq != e.seq || got.reliable != e.reliable || !bytes.Equal(got.payload, e.payload) {
			t.Errorf("decodeEnvelope(encode(%+v)) = %+v, %v", e, got, err)
		}
	}
	big := envelope{from: "n1", seq: 1, payload: make([]byte, MaxBroadcast+1)}
	if _, err := decodeEnvelope(big.encode()); err == nil {
		t.Errorf("decodeEnvelope(broadcast of %d bytes) = nil error, want one", MaxBroadcast+1)
	}
	for _, bad := range [][]byte{nil, {1}, {2, 1, 2, 'n', '1'}, {1, 9, 2, 'n', '1'}, {1, 1, 0}, {1, 1, 5, 'n'}} {
		if _, err := decodeEnvelope(bad); err == nil {
			t.Errorf("decodeEnvelope(%v) = nil error, want one", bad)
		}
	}
}

func TestDedup(t *testing.T) {
	var d dedup
	e := envelope{from: "n1", boot: [16]byte{1}, seq: 5}
	if !d.first(e) || d.first(e) {
		t.Fatalf("dedup.first twice = want true then false")
	}
	e2 := e
	e2.seq = 4 // late but within the window
	if !d.first(e2) {
		t.Errorf("dedup.first(seq 4 after 5) = false, want true")
	}
	restarted := e
	restarted.boot = [16]byte{2}
	if !d.first(restarted) {
		t.Errorf("dedup.first(same seq, new boot id) = false, want true")
	}
	for s := uint64(6); s < 3*dedupWindow; s++ {
		d.first(envelope{from: "n1", boot: [16]byte{2}, seq: s})
	}
	if d.first(envelope{from: "n1", boot: [16]byte{2}, seq: 10}) {
		t.Errorf("dedup.first(seq far behind the window) = true, want false")
	}
	if n := len(d.senders["n1"].seen); n > 2*dedupWindow+1 {
		t.Errorf("dedup window holds %d entries, want at most %d", n, 2*dedupWindow+1)
	}
}

func FuzzDecodeMessage(f *testing.F) {
	f.Add(envelope{from: "n1", boot: [16]byte{3}, seq: 7, payload: []byte("hello")}.encode())
	f.Add(envelope{reliable: true, from: "n2", seq: 1}.encode())
	f.Fuzz(func(t *testing.T, b []byte) {
		e, err := decodeEnvelope(b)
		if err != nil {
			return
		}
		again, err := decodeEnvelope(e.encode())
		if err != nil || again.from != e.from || again.seq != e.seq || !bytes.Equal(again.payload, e.payload) {
			t.Fatalf("decodeEnvelope(encode(%+v)) = %+v, %v", e, again, err)
		}
	})
}
