package witness

import (
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ward-ha/ward/internal/clock/clocktest"
)

func newTestWitness(t *testing.T) (*Witness, *clocktest.Fake) {
	t.Helper()
	clk := clocktest.NewFake(time.Unix(1000, 0))
	w, err := New(Config{Cluster: "c", Lease: 3 * time.Second, Decide: time.Second, Clock: clk})
	if err != nil {
		t.Fatal(err)
	}
	return w, clk
}

func ask(w *Witness, node string, dc bool, view ...string) Response {
	return w.Vote(Request{Cluster: "c", Node: node, View: view, DC: dc, Nonce: "n"})
}

// settle asks as node until the decision window closes.
func settle(t *testing.T, w *Witness, clk *clocktest.Fake, reqs func() []Response) []Response {
	t.Helper()
	for i := 0; i < 20; i++ {
		rs := reqs()
		for _, r := range rs {
			if r.Reason != "deciding" {
				return rs
			}
		}
		clk.Advance(500 * time.Millisecond)
	}
	t.Fatal("the witness never decided")
	return nil
}

func TestWitnessSplitGoesToOneSide(t *testing.T) {
	for _, tc := range []struct {
		name   string
		dcB    bool
		winner string
	}{{"lowest name", false, "a"}, {"side with the DC", true, "b"}} {
		t.Run(tc.name, func(t *testing.T) {
			w, clk := newTestWitness(t)
			rs := settle(t, w, clk, func() []Response { return []Response{ask(w, "a", false, "a", "b"), ask(w, "b", tc.dcB, "a", "b")} })
			if !rs[1].Granted {
				t.Fatalf("joined view: b = %+v, want granted", rs[1])
			}
			if r := ask(w, "a", false, "b", "a"); !r.Granted {
				t.Fatalf("joined view: a = %+v, want granted", r)
			}
			// The cut: each side sees itself only. Neither gets the vote
			// while the joined view's lease runs.
			if r := ask(w, "a", false, "a"); r.Granted {
				t.Fatalf("right after the cut: a = %+v, want refused", r)
			}
			if r := ask(w, "b", tc.dcB, "b"); r.Granted {
				t.Fatalf("right after the cut: b = %+v, want refused", r)
			}
			clk.Advance(3 * time.Second)
			rs = settle(t, w, clk, func() []Response { return []Response{ask(w, "a", false, "a"), ask(w, "b", tc.dcB, "b")} })
			rs = append(rs, ask(w, "a", false, "a"), ask(w, "b", tc.dcB, "b"))
			var got []string
			for i, r := range rs[2:] {
				if r.Granted {
					got = append(got, []string{"a", "b"}[i])
				}
			}
			if len(got) != 1 || got[0] != tc.winner {
				t.Fatalf("after the cut: granted to %v, want [%s]", got, tc.winner)
			}
			// The loser keeps being refused while the winner renews.
			loser := map[string]string{"a": "b", "b": "a"}[tc.winner]
			for i := 0; i < 5; i++ {
				clk.Advance(time.Second)
				if r := ask(w, tc.winner, tc.winner == "b" && tc.dcB, tc.winner); !r.Granted {
					t.Fatalf("winner renewal %d = %+v, want granted", i, r)
				}
				if r := ask(w, loser, loser == "b" && tc.dcB, loser); r.Granted {
					t.Fatalf("loser %s = %+v, want refused", loser, r)
				}
			}
			// Heal: the winner sees both; the vote moves to the joined view.
			if r := ask(w, tc.winner, false, "a", "b"); !r.Granted || r.Reason != "view grew" {
				t.Fatalf("heal: winner = %+v, want granted (view grew)", r)
			}
			if r := ask(w, loser, false, "a", "b"); !r.Granted {
				t.Fatalf("heal: loser = %+v, want granted", r)
			}
		})
	}
}

func TestWitnessRefusesOtherClusterAndBadView(t *testing.T) {
	w, _ := newTestWitness(t)
	if r := w.Vote(Request{Cluster: "x", Node: "a", View: []string{"a"}}); r.Granted || !strings.Contains(r.Reason, "cluster") {
		t.Fatalf("Vote(other cluster) = %+v, want refused", r)
	}
	if r := w.Vote(Request{Cluster: "c", Node: "a", View: []string{"b"}}); r.Granted {
		t.Fatalf("Vote(requester not in view) = %+v, want refused", r)
	}
}

// TestWitnessNeverTwoDisjointHolders drives random requests and clock
// moves and checks the safety property from the nodes' side: two views
// that do not overlap never both hold a counting grant at once.
func TestWitnessNeverTwoDisjointHolders(t *testing.T) {
	views := [][]string{{"a", "b"}, {"a"}, {"b"}}
	for seed := uint64(0); seed < 50; seed++ {
		rng := rand.New(rand.NewPCG(seed, 1))
		w, clk := newTestWitness(t)
		type grant struct {
			view  []string
			until time.Time
		}
		held := map[string]grant{}
		for step := 0; step < 400; step++ {
			if rng.IntN(3) == 0 {
				clk.Advance(time.Duration(rng.IntN(1500)) * time.Millisecond)
			}
			v := views[rng.IntN(len(views))]
			node := v[rng.IntN(len(v))]
			sent := clk.Now()
			r := w.Vote(Request{Cluster: "c", Node: node, View: v, DC: rng.IntN(2) == 0, Nonce: "n"})
			if r.Granted {
				held[node] = grant{view: v, until: sent.Add(time.Duration(r.LeaseMS) * time.Millisecond)}
			}
			now := clk.Now()
			var live [][]string
			for _, g := range held {
				if now.Before(g.until) {
					live = append(live, g.view)
				}
			}
			for i := range live {
				for j := range live {
					if !overlaps(live[i], live[j]) {
						t.Fatalf("seed %d step %d: disjoint views %v and %v both hold the vote", seed, step, live[i], live[j])
					}
				}
			}
		}
	}
}

func overlaps(a, b []string) bool {
	for _, x := range a {
		if slices.Contains(b, x) {
			return true
		}
	}
	return false
}

// TestWitnessRestartGrantsNothingForALease: the witness granted side a,
// then restarted (it persists nothing). a counts that grant for up to a
// lease after its last request; the new witness must not grant side b
// before then, or both sides of the split would be quorate at once.
func TestWitnessRestartGrantsNothingForALease(t *testing.T) {
	w, clk := newTestWitness(t)
	clk.Advance(3 * time.Second)
	rs := settle(t, w, clk, func() []Response { return []Response{ask(w, "a", true, "a")} })
	if !rs[0].Granted {
		t.Fatalf("a alone = %+v, want granted", rs[0])
	}
	lastA := clk.Now() // a's lease runs until lastA + 3 s
	restarted, err := New(Config{Cluster: "c", Lease: 3 * time.Second, Decide: time.Second, Clock: clk})
	if err != nil {
		t.Fatal(err)
	}
	for clk.Now().Before(lastA.Add(3 * time.Second)) {
		if r := ask(restarted, "b", false, "b"); r.Granted {
			t.Fatalf("b asked the restarted witness %v after a's last grant = %+v, want refused until a's lease ended", clk.Now().Sub(lastA), r)
		}
		clk.Advance(250 * time.Millisecond)
	}
	rs = settle(t, restarted, clk, func() []Response { return []Response{ask(restarted, "b", false, "b")} })
	if !rs[0].Granted {
		t.Errorf("b after a's lease ended = %+v, want granted", rs[0])
	}
}
