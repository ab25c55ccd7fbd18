package main

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/ward-ha/ward/heartbeat/quorum"
	"github.com/ward-ha/ward/policy"
)

// redundancyVerdict is what `ward policy check --redundancy` finds for one
// policy: the largest K such that any K nodes may fail at once and every
// resource still runs (N+K), and the node sets of K+1 that break it.
type redundancyVerdict struct {
	Survives int                     // the K of N+K
	Breaking []policy.RedundancyCase // the sets of Survives+1 nodes that break it
	Quorum   []string                // sets whose loss also loses quorum
	Limited  string                  // why the search stopped early, if it did
}

// checkRedundancy starts from a cluster where every configured node is
// online and nothing runs, lets the scheduler place everything, then tries
// every set of K failed nodes for K = 1, 2, ... until one set stops a
// resource (capacity, constraints, bans) or takes quorum away. Losing
// quorum counts as breaking unless no_quorum_policy is ignore: a partition
// without quorum stops its resources.
func checkRedundancy(cfg *policy.Config, now time.Time) redundancyVerdict {
	// Every instance of a promotable clone is taken as promotable: in a
	// running cluster its agent publishes a promotion score (master-<id>)
	// wherever it is healthy, and the question here is whether the design
	// lets another node take over, not whether a standby is in sync.
	attrs := map[string]string{}
	for _, c := range cfg.Clones {
		if c.Promotable {
			attrs["master-"+c.Resource] = "1"
		}
	}
	st := policy.Status{Quorate: true}
	for _, n := range cfg.Nodes {
		st.Nodes = append(st.Nodes, policy.NodeStatus{Name: n.Name, State: policy.NodeOnline, Attributes: attrs})
	}
	qc := quorumConfig(cfg)
	var v redundancyVerdict
	for k := 1; k < len(cfg.Nodes); k++ {
		rep, err := policy.Redundancy(cfg, st, now, k)
		if err != nil {
			v.Limited = err.Error()
			return v
		}
		var quorumLost []string
		if cfg.Cluster.NoQuorumPolicy != policy.NoQuorumIgnore {
			quorumLost = quorumLosses(cfg, qc, k)
		}
		if rep.Safe == rep.Examined && len(quorumLost) == 0 {
			v.Survives = k
			continue
		}
		v.Breaking = rep.Cases
		v.Quorum = quorumLost
		return v
	}
	return v
}

func quorumConfig(cfg *policy.Config) quorum.Config {
	qc := quorum.Config{Votes: map[string]int{}, TwoNode: cfg.Cluster.TwoNode}
	for _, n := range cfg.Nodes {
		votes := 1
		if n.Votes != nil {
			votes = *n.Votes
		}
		qc.Votes[n.Name] = votes
	}
	return qc
}

// quorumLosses lists, as "a, b" strings, the sets of k nodes whose loss
// leaves the others without quorum. The survivors are taken to have seen
// every node since they started (wait_for_all is satisfied): a failure, not
// a cold start.
func quorumLosses(cfg *policy.Config, qc quorum.Config, k int) []string {
	names := make([]string, len(cfg.Nodes))
	for i, n := range cfg.Nodes {
		names[i] = n.Name
	}
	var out []string
	pick := make([]int, k)
	for i := range pick {
		pick[i] = i
	}
	for {
		lost := map[string]bool{}
		var lostNames []string
		for _, p := range pick {
			lost[names[p]] = true
			lostNames = append(lostNames, names[p])
		}
		var alive []string
		for _, n := range names {
			if !lost[n] {
				alive = append(alive, n)
			}
		}
		if !qc.Evaluate(quorum.Input{Alive: alive, SeenAll: true}).Quorate {
			out = append(out, strings.Join(lostNames, ", "))
		}
		if !policy.NextCombination(pick, len(names)) {
			return out
		}
	}
}

func writeRedundancyVerdict(w io.Writer, file string, cfg *policy.Config, v redundancyVerdict) {
	n := len(cfg.Nodes)
	switch {
	case v.Survives == 0:
		fmt.Fprintf(w, "%s: redundancy: N+0: a single node failure can stop a resource\n", file)
	default:
		fmt.Fprintf(w, "%s: redundancy: N+%d: any %d of %d nodes may fail at once and every resource keeps running\n", file, v.Survives, v.Survives, n)
	}
	if v.Limited != "" {
		fmt.Fprintf(w, "  search stopped: %s\n", v.Limited)
		return
	}
	k := v.Survives + 1
	if k >= n && len(v.Breaking) == 0 && len(v.Quorum) == 0 {
		return
	}
	for _, c := range v.Breaking {
		var parts []string
		if len(c.Down) > 0 {
			parts = append(parts, "cannot run: "+strings.Join(c.Down, ", "))
		}
		if len(c.Demoted) > 0 {
			parts = append(parts, "no longer promoted anywhere: "+strings.Join(c.Demoted, ", "))
		}
		fmt.Fprintf(w, "  losing %s: %s\n", strings.Join(c.Lost, ", "), strings.Join(parts, "; "))
	}
	for _, q := range v.Quorum {
		fmt.Fprintf(w, "  losing %s: the remaining nodes have no quorum, so no_quorum_policy=%s applies to everything\n", q, cfg.Cluster.NoQuorumPolicy)
	}
}
