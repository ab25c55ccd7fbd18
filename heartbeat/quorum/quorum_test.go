package quorum

import (
	"fmt"
	"strings"
	"testing"
)

func votes(kv ...any) map[string]int {
	m := map[string]int{}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i].(string)] = kv[i+1].(int)
	}
	return m
}

func ones(names ...string) map[string]int {
	m := map[string]int{}
	for _, n := range names {
		m[n] = 1
	}
	return m
}

func TestEvaluate(t *testing.T) {
	three := ones("a", "b", "c")
	two := ones("a", "b")
	tests := []struct {
		name string
		cfg  Config
		in   Input
		want Result
	}{
		{"3 nodes all", Config{Votes: three}, Input{Alive: []string{"a", "b", "c"}}, Result{true, ReasonMajority, 3, 3, 2}},
		{"3 nodes two", Config{Votes: three}, Input{Alive: []string{"a", "c"}}, Result{true, ReasonMajority, 2, 3, 2}},
		{"3 nodes one", Config{Votes: three}, Input{Alive: []string{"a"}}, Result{false, ReasonNoMajority, 1, 3, 2}},
		{"3 nodes none", Config{Votes: three}, Input{}, Result{false, ReasonNoMajority, 0, 3, 2}},
		{"duplicates count once", Config{Votes: three}, Input{Alive: []string{"a", "a", "a"}}, Result{false, ReasonNoMajority, 1, 3, 2}},
		{"unknown names ignored", Config{Votes: three}, Input{Alive: []string{"a", "x", "y", "z"}}, Result{false, ReasonNoMajority, 1, 3, 2}},
		{"4 nodes half is not enough", Config{Votes: ones("a", "b", "c", "d")}, Input{Alive: []string{"a", "b"}}, Result{false, ReasonNoMajority, 2, 4, 3}},
		{"4 nodes three", Config{Votes: ones("a", "b", "c", "d")}, Input{Alive: []string{"a", "b", "d"}}, Result{true, ReasonMajority, 3, 4, 3}},
		{"weighted votes", Config{Votes: votes("a", 3, "b", 1, "c", 1)}, Input{Alive: []string{"a"}}, Result{true, ReasonMajority, 3, 5, 3}},
		{"weighted minority", Config{Votes: votes("a", 3, "b", 1, "c", 1)}, Input{Alive: []string{"b", "c"}}, Result{false, ReasonNoMajority, 2, 5, 3}},
		{"zero-vote node", Config{Votes: votes("a", 1, "b", 1, "c", 0)}, Input{Alive: []string{"a", "c"}}, Result{false, ReasonNoMajority, 1, 2, 2}},
		{"negative votes count zero", Config{Votes: votes("a", 1, "b", 1, "c", -5)}, Input{Alive: []string{"a", "b"}}, Result{true, ReasonMajority, 2, 2, 2}},
		{"no voters", Config{}, Input{Alive: []string{"a"}}, Result{false, ReasonNoVoters, 0, 0, 1}},
		{"2 nodes plain lone", Config{Votes: two}, Input{Alive: []string{"a"}}, Result{false, ReasonNoMajority, 1, 2, 2}},
		{"2 nodes plain both", Config{Votes: two}, Input{Alive: []string{"a", "b"}}, Result{true, ReasonMajority, 2, 2, 2}},
		{"two_node lone, wait_for_all, not seen", Config{Votes: two, TwoNode: true, WaitForAll: true}, Input{Alive: []string{"a"}}, Result{false, ReasonWaitForAll, 1, 2, 1}},
		{"two_node lone, wait_for_all, seen", Config{Votes: two, TwoNode: true, WaitForAll: true}, Input{Alive: []string{"a"}, SeenAll: true}, Result{true, ReasonTwoNode, 1, 2, 1}},
		{"two_node both now counts as seen", Config{Votes: two, TwoNode: true, WaitForAll: true}, Input{Alive: []string{"a", "b"}}, Result{true, ReasonMajority, 2, 2, 1}},
		{"two_node lone without wait_for_all", Config{Votes: two, TwoNode: true}, Input{Alive: []string{"b"}}, Result{true, ReasonTwoNode, 1, 2, 1}},
		{"two_node nobody", Config{Votes: two, TwoNode: true}, Input{}, Result{false, ReasonNoMajority, 0, 2, 1}},
		{"two_node ignored with three nodes", Config{Votes: three, TwoNode: true}, Input{Alive: []string{"a"}}, Result{false, ReasonNoMajority, 1, 3, 2}},
		{"two_node ignored with witness", Config{Votes: two, TwoNode: true, Witness: true}, Input{Alive: []string{"a"}}, Result{false, ReasonNoMajority, 1, 3, 2}},
		{"two_node ignored with two votes", Config{Votes: votes("a", 2, "b", 1), TwoNode: true}, Input{Alive: []string{"b"}}, Result{false, ReasonNoMajority, 1, 3, 2}},
		{"witness granted to lone node", Config{Votes: two, Witness: true}, Input{Alive: []string{"a"}, WitnessGranted: true}, Result{true, ReasonMajority, 2, 3, 2}},
		{"witness refused to lone node", Config{Votes: two, Witness: true}, Input{Alive: []string{"a"}}, Result{false, ReasonNoMajority, 1, 3, 2}},
		{"witness grant ignored without witness", Config{Votes: two}, Input{Alive: []string{"a"}, WitnessGranted: true}, Result{false, ReasonNoMajority, 1, 2, 2}},
		{"witness alone is not quorate", Config{Votes: two, Witness: true}, Input{WitnessGranted: true}, Result{false, ReasonNoMajority, 1, 3, 2}},
		{"wait_for_all 3 nodes not seen", Config{Votes: three, WaitForAll: true}, Input{Alive: []string{"a", "b"}}, Result{false, ReasonWaitForAll, 2, 3, 2}},
		{"wait_for_all 3 nodes seen", Config{Votes: three, WaitForAll: true}, Input{Alive: []string{"a", "b"}, SeenAll: true}, Result{true, ReasonMajority, 2, 3, 2}},
		{"wait_for_all seen does not make a minority quorate", Config{Votes: three, WaitForAll: true}, Input{Alive: []string{"a"}, SeenAll: true}, Result{false, ReasonNoMajority, 1, 3, 2}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.cfg.Evaluate(tt.in); got != tt.want {
				t.Errorf("Evaluate(%+v, %+v) = %+v, want %+v", tt.cfg, tt.in, got, tt.want)
			}
		})
	}
}

func TestValidate(t *testing.T) {
	tests := []struct {
		cfg  Config
		want string // substring of the error; empty: valid
	}{
		{Config{Votes: ones("a", "b", "c")}, ""},
		{Config{Votes: ones("a", "b"), TwoNode: true, WaitForAll: true}, ""},
		{Config{Votes: ones("a", "b", "c"), TwoNode: true}, "two_node needs exactly two nodes"},
		{Config{Votes: ones("a", "b"), TwoNode: true, Witness: true}, "no witness"},
		{Config{Votes: votes("a", 1, "b", 2), TwoNode: true}, "one vote each"},
		{Config{Votes: votes("a", -1)}, `node "a": votes -1 must be 0 or more`},
		{Config{Votes: votes("", 1)}, "empty name"},
	}
	for _, tt := range tests {
		err := tt.cfg.Validate()
		switch {
		case tt.want == "" && err != nil:
			t.Errorf("Validate(%+v) = %v, want nil", tt.cfg, err)
		case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
			t.Errorf("Validate(%+v) = %v, want error containing %q", tt.cfg, err, tt.want)
		}
	}
}

func TestTotal(t *testing.T) {
	for _, tt := range []struct {
		cfg  Config
		want int
	}{
		{Config{}, 0},
		{Config{Votes: ones("a", "b", "c")}, 3},
		{Config{Votes: ones("a", "b"), Witness: true}, 3},
		{Config{Votes: votes("a", 2, "b", 0, "c", -1)}, 2},
	} {
		if got := tt.cfg.Total(); got != tt.want {
			t.Errorf("Total(%+v) = %d, want %d", tt.cfg, got, tt.want)
		}
	}
}

// Exhaustive check on small clusters: for every subset of alive nodes of a
// 1..5 node cluster, quorate iff the subset holds a strict majority.
func TestEvaluateExhaustive(t *testing.T) {
	for n := 1; n <= 5; n++ {
		names := make([]string, n)
		for i := range names {
			names[i] = fmt.Sprintf("n%d", i)
		}
		cfg := Config{Votes: ones(names...)}
		for mask := 0; mask < 1<<n; mask++ {
			var alive []string
			for i := range names {
				if mask&(1<<i) != 0 {
					alive = append(alive, names[i])
				}
			}
			got := cfg.Evaluate(Input{Alive: alive}).Quorate
			want := 2*len(alive) > n
			if got != want {
				t.Errorf("Evaluate(n=%d, alive=%v).Quorate = %t, want %t", n, alive, got, want)
			}
		}
	}
}
