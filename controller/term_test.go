package controller

import (
	"errors"
	"testing"

	"pgregory.net/rapid"
)

func TestGrant(t *testing.T) {
	s := openTest(t, t.TempDir())
	steps := []struct {
		term      uint64
		candidate string
		want      bool
	}{
		{1, "a", true},
		{1, "a", true},  // same candidate again: the same answer
		{1, "b", false}, // at most one candidate per term
		{3, "b", true},
		{2, "a", false}, // lower than granted
		{3, "a", false},
		{4, "a", true},
	}
	for _, st := range steps {
		got, err := s.Grant(st.term, st.candidate)
		if err != nil || got != st.want {
			t.Errorf("Grant(%d, %s) = %t, %v, want %t, nil", st.term, st.candidate, got, err, st.want)
		}
	}
	if got, want := s.Term(), (TermState{Seen: 4, Granted: 4, GrantedTo: "a"}); got != want {
		t.Errorf("Term() = %+v, want %+v", got, want)
	}
	if _, err := s.Grant(0, "a"); err == nil {
		t.Errorf("Grant(0, a) = nil error, want one")
	}
	if _, err := s.Grant(9, ""); err == nil {
		t.Errorf("Grant(9, \"\") = nil error, want one")
	}
}

func TestGrantBelowSeen(t *testing.T) {
	s := openTest(t, t.TempDir())
	if higher, err := s.ObserveTerm(5); !higher || err != nil {
		t.Fatalf("ObserveTerm(5) = %t, %v, want true, nil", higher, err)
	}
	if ok, _ := s.Grant(4, "a"); ok {
		t.Errorf("Grant(4, a) after seeing 5 = true, want false")
	}
	if ok, _ := s.Grant(5, "a"); !ok {
		t.Errorf("Grant(5, a) after seeing 5 = false, want true (first vote in term 5)")
	}
}

func TestObserveTerm(t *testing.T) {
	s := openTest(t, t.TempDir())
	for _, st := range []struct {
		term   uint64
		higher bool
		seen   uint64
	}{{2, true, 2}, {2, false, 2}, {1, false, 2}, {7, true, 7}, {0, false, 7}} {
		higher, err := s.ObserveTerm(st.term)
		if err != nil || higher != st.higher || s.Term().Seen != st.seen {
			t.Errorf("ObserveTerm(%d) = %t, %v (seen %d), want %t, nil (seen %d)", st.term, higher, err, s.Term().Seen, st.higher, st.seen)
		}
	}
}

func TestWin(t *testing.T) {
	s := openTest(t, t.TempDir())
	if err := s.Win(1); err != nil {
		t.Fatalf("Win(1) = %v", err)
	}
	if err := s.Win(1); !errors.Is(err, ErrStaleTerm) {
		t.Errorf("Win(1) twice = %v, want ErrStaleTerm", err)
	}
	s.ObserveTerm(5)
	if err := s.Win(4); !errors.Is(err, ErrStaleTerm) {
		t.Errorf("Win(4) after seeing 5 = %v, want ErrStaleTerm", err)
	}
	if err := s.Win(5); err != nil {
		t.Errorf("Win(5) after seeing 5 = %v, want nil", err)
	}
}

// TestPropTermRules drives a store with random operations and checks the
// rules against a model: terms never decrease, one candidate per term,
// and everything survives a reopen.
func TestPropTermRules(t *testing.T) {
	rapid.Check(t, func(rt *rapid.T) {
		dir := t.TempDir()
		s, err := OpenStore(dir, nil)
		if err != nil {
			rt.Fatal(err)
		}
		defer func() { s.Close() }()
		votes := map[uint64]string{} // term -> candidate granted
		var maxGranted uint64
		for i, n := 0, rapid.IntRange(1, 30).Draw(rt, "ops"); i < n; i++ {
			before := s.Term()
			term := rapid.Uint64Range(1, 8).Draw(rt, "term")
			switch rapid.IntRange(0, 3).Draw(rt, "op") {
			case 0:
				cand := rapid.SampledFrom([]string{"a", "b", "c"}).Draw(rt, "cand")
				ok, err := s.Grant(term, cand)
				if err != nil {
					rt.Fatal(err)
				}
				if ok {
					if prev, had := votes[term]; had && prev != cand {
						rt.Fatalf("Grant(%d, %s) = true after granting %s in that term", term, cand, prev)
					}
					if term < maxGranted || term < before.Seen {
						rt.Fatalf("Grant(%d, %s) = true below granted %d / seen %d", term, cand, maxGranted, before.Seen)
					}
					votes[term], maxGranted = cand, term
				}
			case 1:
				s.ObserveTerm(term)
			case 2:
				s.Win(term)
			case 3:
				s.Close()
				if s, err = OpenStore(dir, nil); err != nil {
					rt.Fatal(err)
				}
				if got := s.Term(); got != before {
					rt.Fatalf("Term() after reopen = %+v, want %+v", got, before)
				}
			}
			after := s.Term()
			if after.Seen < before.Seen || after.Granted < before.Granted || after.Won < before.Won {
				rt.Fatalf("term state went down: %+v -> %+v", before, after)
			}
			if err := after.check(); err != nil {
				rt.Fatalf("term state %+v inconsistent: %v", after, err)
			}
		}
	})
}
