package quorum

import (
	"errors"
	"fmt"
	"sort"
)

// Config is the configured voting membership of a cluster. The zero value
// has no voters and is never quorate.
type Config struct {
	// Votes maps every configured node name to its votes (0 or more).
	Votes map[string]int
	// Witness adds one vote held by a witness outside the node list.
	Witness bool
	// TwoNode enables two-node quorum: with exactly two configured nodes
	// holding one vote each and no witness, a lone node keeps quorum.
	TwoNode bool
	// WaitForAll makes a node that has not yet seen every configured node
	// alive at once since it started non-quorate, whatever it sees now.
	WaitForAll bool
}

// Input is what one node observes when quorum is evaluated.
type Input struct {
	// Alive lists the nodes this node sees alive now, itself included.
	// Names that are not configured are ignored; duplicates count once.
	Alive []string
	// SeenAll reports whether this node has seen every configured node
	// alive at the same time since it started. Only WaitForAll reads it;
	// an Alive list holding every configured node counts as seeing all.
	SeenAll bool
	// WitnessGranted reports whether the witness currently grants its vote
	// to this side. Ignored when Config.Witness is false.
	WitnessGranted bool
}

// Reason says why a Result is or is not quorate.
type Reason string

// The reasons Evaluate gives.
const (
	ReasonMajority   Reason = "majority"     // more than half of the votes
	ReasonTwoNode    Reason = "two_node"     // lone node of a two_node pair
	ReasonNoMajority Reason = "no majority"  // half of the votes or fewer
	ReasonWaitForAll Reason = "wait_for_all" // not every node seen since start
	ReasonNoVoters   Reason = "no voters"    // total is zero
)

// Result is the outcome of Evaluate.
type Result struct {
	// Quorate reports whether this side may run resources.
	Quorate bool
	// Reason explains Quorate.
	Reason Reason
	// Votes is the number of votes this side holds (witness included).
	Votes int
	// Total is the expected votes: every configured vote plus the
	// witness, whoever is currently reachable.
	Total int
	// Needed is the smallest number of votes that is a majority of Total
	// (Total/2 + 1). With two_node, one vote suffices once SeenAll.
	Needed int
}

// Validate reports configuration errors: negative votes, an empty node
// name, and two_node without exactly two one-vote nodes or with a witness.
func (c Config) Validate() error {
	var errs []error
	for _, name := range sortedNames(c.Votes) {
		if name == "" {
			errs = append(errs, errors.New("quorum: a node has an empty name"))
		}
		if v := c.Votes[name]; v < 0 {
			errs = append(errs, fmt.Errorf("quorum: node %q: votes %d must be 0 or more", name, v))
		}
	}
	if c.TwoNode && !c.twoNodeShape() {
		errs = append(errs, fmt.Errorf("quorum: two_node needs exactly two nodes with one vote each and no witness; have %d nodes, witness %t (remove two_node or fix the node list)", len(c.Votes), c.Witness))
	}
	return errors.Join(errs...)
}

// twoNodeShape reports whether the configuration is one two_node can
// apply to. A Config that fails Validate falls back to plain majority.
func (c Config) twoNodeShape() bool {
	if len(c.Votes) != 2 || c.Witness {
		return false
	}
	for _, v := range c.Votes {
		if v != 1 {
			return false
		}
	}
	return true
}

// Total returns the expected votes: the sum of the configured votes plus
// one for a witness. Negative votes count as zero.
func (c Config) Total() int {
	t := 0
	for _, v := range c.Votes {
		if v > 0 {
			t += v
		}
	}
	if c.Witness {
		t++
	}
	return t
}

// Evaluate computes whether the side described by in is quorate.
func (c Config) Evaluate(in Input) Result {
	total := c.Total()
	votes := 0
	seen := make(map[string]bool, len(in.Alive))
	for _, n := range in.Alive {
		v, ok := c.Votes[n]
		if !ok || seen[n] {
			continue
		}
		seen[n] = true
		if v > 0 {
			votes += v
		}
	}
	if c.Witness && in.WitnessGranted {
		votes++
	}
	r := Result{Votes: votes, Total: total, Needed: total/2 + 1}
	twoNode := c.TwoNode && c.twoNodeShape()
	if twoNode {
		r.Needed = 1
	}
	switch {
	case total == 0:
		r.Reason = ReasonNoVoters
	case c.WaitForAll && !in.SeenAll && len(seen) < len(c.Votes):
		r.Reason = ReasonWaitForAll
	case 2*votes > total:
		r.Quorate, r.Reason = true, ReasonMajority
	case twoNode && votes >= 1:
		r.Quorate, r.Reason = true, ReasonTwoNode
	default:
		r.Reason = ReasonNoMajority
	}
	return r
}

func sortedNames(m map[string]int) []string {
	names := make([]string, 0, len(m))
	for n := range m {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}
