package controller

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func openTest(t *testing.T, dir string) *Store {
	t.Helper()
	s, err := OpenStore(dir, nil)
	if err != nil {
		t.Fatalf("OpenStore(%s) = %v, want nil", dir, err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestStoreFresh(t *testing.T) {
	s := openTest(t, t.TempDir())
	if got := s.Term(); got != (TermState{}) {
		t.Errorf("Term() = %+v, want zero", got)
	}
	if got := s.Policy(); got.Epoch != 0 || got.Source != nil {
		t.Errorf("Policy() = %+v, want zero", got)
	}
	if got := s.Fencing(); len(got) != 0 {
		t.Errorf("Fencing() = %v, want empty", got)
	}
}

func TestStoreLocked(t *testing.T) {
	dir := t.TempDir()
	openTest(t, dir)
	if s2, err := OpenStore(dir, nil); !errors.Is(err, ErrLocked) {
		if s2 != nil {
			s2.Close()
		}
		t.Fatalf("second OpenStore(%s) = %v, want ErrLocked", dir, err)
	}
}

func TestStoreSurvivesReopen(t *testing.T) {
	dir := t.TempDir()
	s := openTest(t, dir)
	if ok, err := s.Grant(3, "n2"); !ok || err != nil {
		t.Fatalf("Grant(3, n2) = %t, %v, want true, nil", ok, err)
	}
	if err := s.Win(4); err != nil {
		t.Fatalf("Win(4) = %v", err)
	}
	src := []byte("[cluster]\nname = \"c\"\n")
	if err := s.SavePolicy(7, src); err != nil {
		t.Fatalf("SavePolicy(7) = %v", err)
	}
	rec := FenceRecord{Target: "n3", Action: "reboot", Device: "ipmi-n3", Executor: "n1", Term: 4, OK: true,
		Started: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC), Completed: time.Date(2026, 1, 2, 3, 4, 9, 0, time.UTC)}
	if err := s.AppendFencing(rec); err != nil {
		t.Fatalf("AppendFencing = %v", err)
	}
	s.Close()

	s = openTest(t, dir)
	if got, want := s.Term(), (TermState{Seen: 4, Granted: 3, GrantedTo: "n2", Won: 4}); got != want {
		t.Errorf("Term() after reopen = %+v, want %+v", got, want)
	}
	if p := s.Policy(); p.Epoch != 7 || !bytes.Equal(p.Source, src) {
		t.Errorf("Policy() after reopen = %d %q, want 7 %q", p.Epoch, p.Source, src)
	}
	if got := s.Fencing(); len(got) != 1 || !got[0].Started.Equal(rec.Started) || got[0].Target != "n3" || !got[0].OK {
		t.Errorf("Fencing() after reopen = %+v, want [%+v]", got, rec)
	}
	if r, ok := s.LastFencing("n3"); !ok || r.Device != "ipmi-n3" {
		t.Errorf("LastFencing(n3) = %+v, %t, want the record", r, ok)
	}
	if _, ok := s.LastFencing("n1"); ok {
		t.Errorf("LastFencing(n1) found a record, want none")
	}
}

// corruptions maps a name to a function damaging a valid file's bytes.
var corruptions = map[string]func([]byte) []byte{
	"empty":          func([]byte) []byte { return nil },
	"truncated":      func(b []byte) []byte { return b[:len(b)-3] },
	"header only":    func(b []byte) []byte { return b[:bytes.IndexByte(b, '\n')+1] },
	"bit flip":       func(b []byte) []byte { c := bytes.Clone(b); c[len(c)-2] ^= 0x01; return c },
	"appended":       func(b []byte) []byte { return append(bytes.Clone(b), " "...) },
	"future version": func(b []byte) []byte { return bytes.Replace(b, []byte("ward-state 1"), []byte("ward-state 2"), 1) },
	"garbage":        func([]byte) []byte { return []byte("\x00\x01\x02 not a state file") },
}

func TestStoreCorruptFileStops(t *testing.T) {
	for _, file := range []string{termFile, policyFile, fencingFile} {
		for name, damage := range corruptions {
			t.Run(file+"/"+name, func(t *testing.T) {
				dir := t.TempDir()
				s := openTest(t, dir)
				if _, err := s.Grant(1, "n1"); err != nil {
					t.Fatal(err)
				}
				if err := s.SavePolicy(1, []byte("x = 1\n")); err != nil {
					t.Fatal(err)
				}
				if err := s.AppendFencing(FenceRecord{Target: "n2", Action: "off"}); err != nil {
					t.Fatal(err)
				}
				s.Close()
				p := filepath.Join(dir, file)
				good, err := os.ReadFile(p)
				if err != nil {
					t.Fatal(err)
				}
				bad := damage(good)
				if err := os.WriteFile(p, bad, 0o600); err != nil {
					t.Fatal(err)
				}
				s2, err := OpenStore(dir, nil)
				if err == nil {
					s2.Close()
					t.Fatalf("OpenStore with %s %s = nil, want a CorruptError", name, file)
				}
				var ce *CorruptError
				if !errors.As(err, &ce) || ce.Path != p {
					t.Fatalf("OpenStore with %s %s = %v, want a CorruptError for %s", name, file, err, p)
				}
				if msg := err.Error(); !strings.Contains(msg, p) || !strings.Contains(msg, "mv ") {
					t.Errorf("CorruptError message %q does not name the file and the fix", msg)
				}
				after, _ := os.ReadFile(p)
				if !bytes.Equal(after, bad) {
					t.Errorf("OpenStore changed the corrupt file %s; it must leave it for the operator", p)
				}
			})
		}
	}
}

func TestStoreWrongKindRefused(t *testing.T) {
	dir := t.TempDir()
	s := openTest(t, dir)
	if err := s.SavePolicy(1, []byte("x")); err != nil {
		t.Fatal(err)
	}
	s.Close()
	data, _ := os.ReadFile(filepath.Join(dir, policyFile))
	if err := os.WriteFile(filepath.Join(dir, termFile), data, 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := OpenStore(dir, nil)
	if err == nil || !strings.Contains(err.Error(), "wrong name") {
		t.Fatalf("OpenStore with a policy file named term.state = %v, want a wrong-kind error", err)
	}
}

func TestStoreInconsistentTermRefused(t *testing.T) {
	dir := t.TempDir()
	data, err := encodeState(kindTerm, TermState{Seen: 2, Granted: 5, GrantedTo: "n1"})
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, termFile), data, 0o600); err != nil {
		t.Fatal(err)
	}
	var ce *CorruptError
	if _, err := OpenStore(dir, nil); !errors.As(err, &ce) {
		t.Fatalf("OpenStore(granted > seen) = %v, want CorruptError", err)
	}
}

// TestStoreCrashPoints interrupts a Grant at every stage of the atomic
// write, as if the process died there, then reopens the directory: before
// the rename the old state must be intact, after it the new one.
func TestStoreCrashPoints(t *testing.T) {
	for _, tc := range []struct {
		stage string
		want  TermState
	}{
		{"create", TermState{Seen: 1, Granted: 1, GrantedTo: "a"}},
		{"write", TermState{Seen: 1, Granted: 1, GrantedTo: "a"}},
		{"sync", TermState{Seen: 1, Granted: 1, GrantedTo: "a"}},
		{"close", TermState{Seen: 1, Granted: 1, GrantedTo: "a"}},
		{"rename", TermState{Seen: 2, Granted: 2, GrantedTo: "b"}},
	} {
		t.Run(tc.stage, func(t *testing.T) {
			dir := t.TempDir()
			s := openTest(t, dir)
			if ok, err := s.Grant(1, "a"); !ok || err != nil {
				t.Fatalf("Grant(1, a) = %t, %v", ok, err)
			}
			s.crash = func(stage string) bool { return stage == tc.stage }
			ok, err := s.Grant(2, "b")
			if ok || !errors.Is(err, errCrash) {
				t.Fatalf("Grant(2, b) crashing at %s = %t, %v, want false, errCrash", tc.stage, ok, err)
			}
			if got := s.Term(); got != (TermState{Seen: 1, Granted: 1, GrantedTo: "a"}) {
				t.Errorf("Term() in memory after failed Grant = %+v, want the old state", got)
			}
			s.Close()
			s = openTest(t, dir)
			if got := s.Term(); got != tc.want {
				t.Errorf("Term() after crash at %s = %+v, want %+v", tc.stage, got, tc.want)
			}
			left, _ := filepath.Glob(filepath.Join(dir, tmpPrefix+"*"))
			if len(left) != 0 {
				t.Errorf("temporary files after reopen = %v, want none", left)
			}
		})
	}
}

func TestStoreWriteErrorGrantsNothing(t *testing.T) {
	dir := t.TempDir()
	s := openTest(t, dir)
	if err := os.RemoveAll(dir); err != nil {
		t.Fatal(err)
	}
	ok, err := s.Grant(5, "n1")
	if ok || err == nil {
		t.Fatalf("Grant(5, n1) with the directory gone = %t, %v, want false and an error", ok, err)
	}
	if got := s.Term(); got != (TermState{}) {
		t.Errorf("Term() after failed Grant = %+v, want zero", got)
	}
	if err := s.SavePolicy(1, []byte("x")); err == nil {
		t.Errorf("SavePolicy with the directory gone = nil, want an error")
	}
	if p := s.Policy(); p.Epoch != 0 {
		t.Errorf("Policy().Epoch after failed save = %d, want 0", p.Epoch)
	}
}

func TestSavePolicyEpochs(t *testing.T) {
	s := openTest(t, t.TempDir())
	a, b := []byte("a = 1\n"), []byte("b = 2\n")
	steps := []struct {
		epoch uint64
		src   []byte
		want  error // nil, ErrStaleEpoch or ErrEpochConflict
	}{
		{3, a, nil},
		{3, a, nil},              // retried acknowledgement
		{3, b, ErrEpochConflict}, // same epoch, other content
		{2, b, ErrStaleEpoch},
		{4, b, nil},
	}
	for _, st := range steps {
		err := s.SavePolicy(st.epoch, st.src)
		if (st.want == nil) != (err == nil) || (st.want != nil && !errors.Is(err, st.want)) {
			t.Errorf("SavePolicy(%d, %q) = %v, want %v", st.epoch, st.src, err, st.want)
		}
	}
	if p := s.Policy(); p.Epoch != 4 || string(p.Source) != string(b) {
		t.Errorf("Policy() = %d %q, want 4 %q", p.Epoch, p.Source, b)
	}
	if err := s.SavePolicy(0, a); err == nil {
		t.Errorf("SavePolicy(0) = nil, want an error")
	}
}

func TestFencingHistoryBounded(t *testing.T) {
	dir := t.TempDir()
	s := openTest(t, dir)
	const limit = 10
	s.fenceLimit = limit
	for i := 0; i < limit+5; i++ {
		if err := s.AppendFencing(FenceRecord{Target: "n2", Term: uint64(i)}); err != nil {
			t.Fatal(err)
		}
	}
	h := s.Fencing()
	if len(h) != limit || h[0].Term != 5 || h[len(h)-1].Term != limit+4 {
		t.Errorf("Fencing() = %d records from term %d to %d, want %d from 5 to %d", len(h), h[0].Term, h[len(h)-1].Term, limit, limit+4)
	}
	s.Close()
	if h := openTest(t, dir).Fencing(); len(h) != limit || h[0].Term != 5 {
		t.Errorf("Fencing() after reopen = %d records from term %d, want %d from 5", len(h), h[0].Term, limit)
	}
	if err := s.AppendFencing(FenceRecord{}); err == nil {
		t.Errorf("AppendFencing(no target) = nil, want an error")
	}
}

func TestStoreTermsLost(t *testing.T) {
	dir := t.TempDir()
	s := openTest(t, dir)
	if s.TermsLost() {
		t.Fatalf("TermsLost() on a fresh directory = true, want false")
	}
	if _, err := s.Grant(2, "n1"); err != nil {
		t.Fatal(err)
	}
	if err := s.SavePolicy(1, []byte("x")); err != nil {
		t.Fatal(err)
	}
	s.Close()
	if s = openTest(t, dir); s.TermsLost() {
		t.Fatalf("TermsLost() with term.state present = true, want false")
	}
	s.Close()
	if err := os.Rename(filepath.Join(dir, termFile), filepath.Join(dir, termFile+".corrupt")); err != nil {
		t.Fatal(err)
	}
	if s = openTest(t, dir); !s.TermsLost() {
		t.Errorf("TermsLost() after term.state was moved aside = false, want true")
	}
}
