package eventlog

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/ward-ha/ward/api"
)

func seqs(evs []api.Event) []uint64 {
	var out []uint64
	for _, e := range evs {
		out = append(out, e.Seq)
	}
	return out
}

func appendN(t *testing.T, l *Log, n int) {
	t.Helper()
	for range n {
		if _, err := l.Append(api.Event{Kind: api.EventNode, Node: "n1", Message: "x", At: time.Unix(0, 0)}); err != nil {
			t.Fatalf("Append() = %v", err)
		}
	}
}

func TestLogPersistsBoundedAcrossRestarts(t *testing.T) {
	dir := t.TempDir()
	l, err := Open(dir, 3, nil)
	if err != nil {
		t.Fatalf("Open() = %v", err)
	}
	appendN(t, l, 5)
	if got := seqs(l.Events(api.EventQuery{}).Events); len(got) != 5 || got[0] != 1 || got[4] != 5 {
		t.Fatalf("Events() seqs = %v, want 1..5", got)
	}
	appendN(t, l, 2) // 6 fills the second file: 1..3 are dropped
	if got := seqs(l.Events(api.EventQuery{}).Events); len(got) != 4 || got[0] != 4 || got[3] != 7 {
		t.Fatalf("Events() seqs after rotation = %v, want 4..7", got)
	}
	l.Close()
	// A torn last line (crash mid-write) is skipped.
	f, _ := os.OpenFile(filepath.Join(dir, currentFile), os.O_WRONLY|os.O_APPEND, 0)
	f.WriteString(`{"seq":8,"kind":"no`)
	f.Close()
	l, err = Open(dir, 3, nil)
	if err != nil {
		t.Fatalf("Open() again = %v", err)
	}
	defer l.Close()
	evs := l.Events(api.EventQuery{})
	if got := seqs(evs.Events); len(got) != 4 || got[0] != 4 || evs.Last != 7 {
		t.Fatalf("Events() after restart = %v last %d, want 4..7 last 7", got, evs.Last)
	}
	out, err := l.Append(api.Event{Kind: api.EventDC, Message: "n2 is the DC"})
	if err != nil || out[0].Seq != 8 {
		t.Fatalf("Append() after restart = %+v, %v; want seq 8", out, err)
	}
}

func TestLogQuery(t *testing.T) {
	l, err := Open(t.TempDir(), 0, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	t0 := time.Date(2026, 11, 26, 7, 0, 0, 0, time.UTC)
	l.Append(
		api.Event{At: t0, Kind: api.EventResource, Resource: "web:1", Node: "n1", Message: "a"},
		api.Event{At: t0.Add(time.Minute), Kind: api.EventNode, Node: "n2", Message: "b"},
		api.Event{At: t0.Add(2 * time.Minute), Kind: api.EventFailure, Resource: "db", Node: "n2", Message: "c"},
	)
	for _, tc := range []struct {
		q    api.EventQuery
		want []uint64
	}{
		{api.EventQuery{Resource: "web"}, []uint64{1}},
		{api.EventQuery{Node: "n2"}, []uint64{2, 3}},
		{api.EventQuery{Since: t0.Add(time.Minute)}, []uint64{2, 3}},
		{api.EventQuery{After: 2}, []uint64{3}},
		{api.EventQuery{Kind: api.EventNode}, []uint64{2}},
		{api.EventQuery{Limit: 1}, []uint64{3}},
	} {
		if got := seqs(l.Events(tc.q).Events); !equal(got, tc.want) {
			t.Errorf("Events(%+v) = %v, want %v", tc.q, got, tc.want)
		}
	}
}

func equal(a, b []uint64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func FuzzDecodeLine(f *testing.F) {
	f.Add([]byte(`{"seq":1,"at":"2026-11-26T07:00:00Z","kind":"node","node":"n1","message":"x","severity":"info"}`))
	f.Add([]byte(`{"seq":0}`))
	f.Add([]byte(`{"seq":3,"kind":"bogus"}`))
	f.Add([]byte(`not json`))
	f.Fuzz(func(t *testing.T, b []byte) {
		e, err := DecodeLine(b)
		if err == nil && e.Seq == 0 {
			t.Fatalf("DecodeLine(%q) accepted seq 0", b)
		}
	})
}
