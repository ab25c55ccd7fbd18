package controller

import (
	"testing"
	"time"
)

func TestEncodeDecodeState(t *testing.T) {
	in := TermState{Seen: 9, Granted: 8, GrantedTo: "n1", Won: 7}
	data, err := encodeState(kindTerm, in)
	if err != nil {
		t.Fatal(err)
	}
	var out TermState
	if err := decodeState(kindTerm, data, &out); err != nil || out != in {
		t.Errorf("decodeState(encodeState(%+v)) = %+v, %v, want %+v, nil", in, out, err, in)
	}
	if err := decodeState(kindPolicy, data, &PolicyState{}); err == nil {
		t.Errorf("decodeState(policy, term file) = nil, want a kind error")
	}
}

// FuzzDecodeState: decoding arbitrary bytes never panics, and whatever
// decodes re-encodes to something that decodes to the same value.
func FuzzDecodeState(f *testing.F) {
	for _, v := range []struct {
		kind string
		v    any
	}{
		{kindTerm, TermState{Seen: 3, Granted: 2, GrantedTo: "n2", Won: 1}},
		{kindPolicy, PolicyState{Epoch: 4, Source: []byte("[cluster]\n"), SHA256: policyHash([]byte("[cluster]\n"))}},
		{kindFencing, fencingHistory{Records: []FenceRecord{{Target: "n1", Action: "off", OK: true, Started: time.Unix(1, 0).UTC()}}}},
	} {
		data, err := encodeState(v.kind, v.v)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add([]byte("ward-state 1 term\nsha256 00 0\n"))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, data []byte) {
		var ts TermState
		if decodeState(kindTerm, data, &ts) == nil {
			again, err := encodeState(kindTerm, ts)
			if err != nil {
				t.Fatalf("encodeState(%+v) = %v", ts, err)
			}
			var ts2 TermState
			if err := decodeState(kindTerm, again, &ts2); err != nil || ts2 != ts {
				t.Fatalf("round trip of %+v = %+v, %v", ts, ts2, err)
			}
			_ = ts.check()
		}
		var ps PolicyState
		if decodeState(kindPolicy, data, &ps) == nil {
			_ = ps.check()
		}
		var fh fencingHistory
		_ = decodeState(kindFencing, data, &fh)
	})
}
