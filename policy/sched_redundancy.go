package policy

import (
	"fmt"
	"sort"
	"time"
)

// This file answers "what if K nodes fail?": for every set of K nodes that
// run now, it schedules the cluster with those nodes lost and lists the
// resources that could no longer run.

// MaxRedundancyCases bounds the node combinations Redundancy examines.
const MaxRedundancyCases = 5000

// RedundancyCase is the outcome of losing one set of nodes.
type RedundancyCase struct {
	// Lost are the nodes taken as failed.
	Lost []string `json:"lost"`
	// Down lists the primitives that run before and cannot run after;
	// Demoted those promoted before and no longer promoted anywhere.
	Down    []string `json:"down,omitempty"`
	Demoted []string `json:"demoted,omitempty"`
}

// RedundancyReport is the result of Redundancy.
type RedundancyReport struct {
	// Failures is K, the number of nodes lost at once.
	Failures int `json:"failures"`
	// Cases holds one entry per set of K nodes whose loss stops
	// something; sets that stop nothing are only counted.
	Cases []RedundancyCase `json:"cases"`
	// Examined is the number of node sets tried; Safe how many of them
	// lose nothing.
	Examined int `json:"examined"`
	Safe     int `json:"safe"`
	// AtRisk lists every primitive that some case stops, sorted.
	AtRisk []string `json:"at_risk"`
}

// Redundancy schedules the cluster from the converged state (st after the
// transition Schedule gives) with every combination of k of its online
// nodes lost (unclean, then fenced), and reports which resources could not
// run any more. It fails when k is out of range or there are more than
// MaxRedundancyCases combinations.
func Redundancy(cfg *Config, st Status, now time.Time, k int) (RedundancyReport, error) {
	rep := RedundancyReport{Failures: k, Cases: []RedundancyCase{}, AtRisk: []string{}}
	base := Schedule(cfg, st, now)
	conv := base.Apply(st)
	var online []int
	for i, n := range conv.Nodes {
		if n.State == NodeOnline {
			online = append(online, i)
		}
	}
	if k < 1 || k > len(online) {
		return rep, fmt.Errorf("redundancy: %d failures asked, but %d nodes are online", k, len(online))
	}
	if c := binomial(len(online), k); c > MaxRedundancyCases {
		return rep, fmt.Errorf("redundancy: %d failures among %d nodes is %d cases, more than %d; ask for fewer failures", k, len(online), c, MaxRedundancyCases)
	}
	before := placementSet(base.Placements)
	// A clean status for each case: the converged one with fresh flags.
	pick := make([]int, k)
	for i := range pick {
		pick[i] = i
	}
	risk := map[string]bool{}
	// A lost node is unclean (fenced before its resources move) when
	// fencing is enabled; without fencing it is simply offline, as the
	// controller reports it.
	lostState := NodeUnclean
	if cfg.Cluster.StonithEnabled != nil && !*cfg.Cluster.StonithEnabled {
		lostState = NodeOffline
	}
	for {
		trial := conv
		trial.Nodes = append([]NodeStatus(nil), conv.Nodes...)
		var lost []string
		for _, p := range pick {
			ni := online[p]
			trial.Nodes[ni].State = lostState
			lost = append(lost, trial.Nodes[ni].Name)
		}
		after := placementSet(Schedule(cfg, trial, now).Placements)
		c := RedundancyCase{Lost: lost}
		for r, roles := range before {
			if after[r] == nil {
				c.Down = append(c.Down, r)
				risk[r] = true
				continue
			}
			if roles[RolePromoted] > 0 && after[r][RolePromoted] == 0 {
				c.Demoted = append(c.Demoted, r)
				risk[r] = true
			}
		}
		rep.Examined++
		if len(c.Down) == 0 && len(c.Demoted) == 0 {
			rep.Safe++
		} else {
			sort.Strings(c.Down)
			sort.Strings(c.Demoted)
			rep.Cases = append(rep.Cases, c)
		}
		if !NextCombination(pick, len(online)) {
			break
		}
	}
	for r := range risk {
		rep.AtRisk = append(rep.AtRisk, r)
	}
	sort.Strings(rep.AtRisk)
	return rep, nil
}

// placementSet counts placements by resource and role.
func placementSet(ps []Placement) map[string]map[Role]int {
	out := map[string]map[Role]int{}
	for _, p := range ps {
		if out[p.Resource] == nil {
			out[p.Resource] = map[Role]int{}
		}
		out[p.Resource][p.Role]++
	}
	return out
}

// NextCombination advances pick (sorted indexes below n) to the next
// combination of len(pick) of n in lexicographic order; it returns false
// after the last. Start from pick = [0, 1, ..., k-1].
func NextCombination(pick []int, n int) bool {
	k := len(pick)
	for i := k - 1; i >= 0; i-- {
		if pick[i] < n-k+i {
			pick[i]++
			for j := i + 1; j < k; j++ {
				pick[j] = pick[j-1] + 1
			}
			return true
		}
	}
	return false
}

func binomial(n, k int) int {
	r := 1
	for i := 1; i <= k; i++ {
		r = r * (n - k + i) / i
		if r > 1<<40 {
			return r
		}
	}
	return r
}
