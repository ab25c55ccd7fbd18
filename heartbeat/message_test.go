package heartbeat

import (
	"bytes"
	"testing"
)

func TestEnvelopeRoundTrip(t *testing.T) {
	for _, e := range []envelope{
		{from: "n1", boot: [16]byte{1}, seq: 1, payload: []byte("x")},
		{reliable: true, from: "node-with-a-long-name", to: [16]byte{9, 8}, seq: 1 << 40, payload: nil},
	} {
		got, err := decodeEnvelope(e.encode())
		if err != nil || got.from != e.from || got.boot != e.boot || got.to != e.to || got.seq != e.seq || got.reliable != e.reliable || !bytes.Equal(got.payload, e.payload) {
			t.Errorf("decodeEnvelope(encode(%+v)) = %+v, %v", e, got, err)
		}
	}
	big := envelope{from: "n1", seq: 1, payload: make([]byte, MaxBroadcast+1)}
	if _, err := decodeEnvelope(big.encode()); err == nil {
		t.Errorf("decodeEnvelope(broadcast of %d bytes) = nil error, want one", MaxBroadcast+1)
	}
	v1 := envelope{from: "n1", seq: 1}.encode()
	v1[0] = 1 // version 1 had no replay protection
	reliableNoTo := append([]byte{envVersion, envReliable, 2, 'n', '1'}, make([]byte, 16+8)...)
	for _, bad := range [][]byte{nil, {2}, {3, 1, 2, 'n', '1'}, {2, 9, 2, 'n', '1'}, {2, 1, 0}, {2, 1, 5, 'n'}, v1, reliableNoTo} {
		if _, err := decodeEnvelope(bad); err == nil {
			t.Errorf("decodeEnvelope(%v) = nil error, want one", bad)
		}
	}
}

func FuzzDecodeMessage(f *testing.F) {
	f.Add(envelope{from: "n1", boot: [16]byte{3}, seq: 7, payload: []byte("hello")}.encode())
	f.Add(envelope{reliable: true, from: "n2", to: [16]byte{4}, seq: 1}.encode())
	f.Fuzz(func(t *testing.T, b []byte) {
		e, err := decodeEnvelope(b)
		if err != nil {
			return
		}
		again, err := decodeEnvelope(e.encode())
		if err != nil || again.from != e.from || again.boot != e.boot || again.to != e.to || again.seq != e.seq || !bytes.Equal(again.payload, e.payload) {
			t.Fatalf("decodeEnvelope(encode(%+v)) = %+v, %v", e, again, err)
		}
	})
}
