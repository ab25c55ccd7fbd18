package controller

import (
	"bytes"
	"testing"
)

func TestJoinStateRoundTrip(t *testing.T) {
	src := []byte("[cluster]\nname = \"x\"\n")
	epoch, got, err := DecodeJoinState(EncodeJoinState(42, src))
	if err != nil || epoch != 42 || !bytes.Equal(got, src) {
		t.Errorf("DecodeJoinState(EncodeJoinState(42, src)) = %d, %q, %v; want 42, %q, nil", epoch, got, err, src)
	}
	for _, bad := range []string{"", "ward-join-state 2\nepoch 1\nx", "ward-join-state 1\nepoch 0\nx", "ward-join-state 1\nepoch -1\nx",
		"ward-join-state 1\nepoch 1\n", "ward-join-state 1\nepoch 1", "ward-join-state 1\nepic 1\nx"} {
		if e, s, err := DecodeJoinState([]byte(bad)); err == nil {
			t.Errorf("DecodeJoinState(%q) = %d, %q, nil; want an error", bad, e, s)
		}
	}
}

func FuzzDecodeJoinState(f *testing.F) {
	f.Add(EncodeJoinState(3, []byte("[cluster]\n")))
	f.Add([]byte("ward-join-state 1\nepoch 99999999999999999999\nx"))
	f.Add([]byte("garbage"))
	f.Fuzz(func(t *testing.T, b []byte) {
		epoch, src, err := DecodeJoinState(b)
		if err != nil {
			return
		}
		e2, s2, err := DecodeJoinState(EncodeJoinState(epoch, src))
		if err != nil || e2 != epoch || !bytes.Equal(s2, src) {
			t.Fatalf("re-encoding %d/%q gives %d/%q/%v", epoch, src, e2, s2, err)
		}
	})
}
