package quorum

import (
	"fmt"
	"testing"

	"pgregory.net/rapid"
)

// TestPropDisjointPartitions: whatever the configuration, two disjoint
// partitions (the witness granting its vote to at most one of them) are
// never both quorate, except in two_node, where exactly this happens: both
// lone nodes are quorate iff each has seen the other since it started (or
// wait_for_all is off), and fencing decides the survivor.
func TestPropDisjointPartitions(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		n := rapid.IntRange(1, 7).Draw(t, "nodes")
		cfg := Config{
			Votes:      map[string]int{},
			Witness:    rapid.Bool().Draw(t, "witness"),
			TwoNode:    rapid.Bool().Draw(t, "two_node"),
			WaitForAll: rapid.Bool().Draw(t, "wait_for_all"),
		}
		names := make([]string, n)
		for i := range names {
			names[i] = fmt.Sprintf("n%d", i)
			cfg.Votes[names[i]] = rapid.IntRange(-1, 3).Draw(t, "votes_"+names[i])
		}
		// side[i]: 0 = partition A, 1 = partition B, 2 = down.
		var a, b Input
		for _, name := range names {
			switch rapid.IntRange(0, 2).Draw(t, "side_"+name) {
			case 0:
				a.Alive = append(a.Alive, name)
			case 1:
				b.Alive = append(b.Alive, name)
			}
		}
		// Unknown gossipers never help.
		a.Alive = append(a.Alive, rapid.SliceOf(rapid.StringMatching(`x[0-9]`)).Draw(t, "strangersA")...)
		a.SeenAll = rapid.Bool().Draw(t, "seenA")
		b.SeenAll = rapid.Bool().Draw(t, "seenB")
		switch rapid.IntRange(0, 2).Draw(t, "witness_grant") {
		case 0:
			a.WitnessGranted = true
		case 1:
			b.WitnessGranted = true
		}
		ra, rb := cfg.Evaluate(a), cfg.Evaluate(b)
		twoNode := cfg.TwoNode && cfg.Validate() == nil
		if !twoNode {
			if ra.Quorate && rb.Quorate {
				t.Fatalf("Evaluate(%+v) both quorate: A=%+v (%v) B=%+v (%v)", cfg, a, ra, b, rb)
			}
			return
		}
		// two_node: both sides quorate exactly when each is a lone node
		// that passes wait_for_all.
		lone := configured(cfg, a.Alive) == 1 && configured(cfg, b.Alive) == 1
		want := lone && (!cfg.WaitForAll || (a.SeenAll && b.SeenAll))
		if both := ra.Quorate && rb.Quorate; both != want {
			t.Fatalf("two_node Evaluate(%+v): A=%+v -> %v, B=%+v -> %v; both quorate = %t, want %t", cfg, a, ra, b, rb, both, want)
		}
	})
}

// TestPropMonotonic: seeing more configured nodes never loses quorum.
func TestPropMonotonic(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		n := rapid.IntRange(1, 7).Draw(t, "nodes")
		cfg := Config{Votes: map[string]int{}, Witness: rapid.Bool().Draw(t, "witness")}
		var alive []string
		for i := 0; i < n; i++ {
			name := fmt.Sprintf("n%d", i)
			cfg.Votes[name] = rapid.IntRange(0, 3).Draw(t, "votes")
			if rapid.Bool().Draw(t, "alive") {
				alive = append(alive, name)
			}
		}
		in := Input{Alive: alive, WitnessGranted: rapid.Bool().Draw(t, "granted")}
		more := Input{Alive: append(append([]string(nil), alive...), fmt.Sprintf("n%d", rapid.IntRange(0, n-1).Draw(t, "extra"))), WitnessGranted: in.WitnessGranted}
		if cfg.Evaluate(in).Quorate && !cfg.Evaluate(more).Quorate {
			t.Fatalf("Evaluate(%+v) quorate with %v but not with %v", cfg, in.Alive, more.Alive)
		}
	})
}

// configured counts the distinct configured names in alive.
func configured(cfg Config, alive []string) int {
	seen := map[string]bool{}
	for _, n := range alive {
		if _, ok := cfg.Votes[n]; ok {
			seen[n] = true
		}
	}
	return len(seen)
}
