package policy_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"testing"

	"github.com/ward-ha/ward/policy"
	"github.com/ward-ha/ward/policy/policytest"
	"pgregory.net/rapid"
)

func mustJSON(t *rapid.T, v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatalf("json.Marshal: %v", err)
	}
	return b
}

// TestSchedulePropDeterministic: the same input gives byte-identical
// output.
func TestSchedulePropDeterministic(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		c := policytest.GenCluster(t)
		t1, t2 := policy.Schedule(c.Config, c.Status, c.Now), policy.Schedule(c.Config, c.Status, c.Now)
		a, b := mustJSON(t, t1), mustJSON(t, t2)
		if !bytes.Equal(a, b) {
			t.Fatalf("Schedule is not deterministic:\n%s\n%s", a, b)
		}
		if a, b := mustJSON(t, t1.Scores()), mustJSON(t, t2.Scores()); !bytes.Equal(a, b) {
			t.Fatalf("score tables are not deterministic:\n%s\n%s", a, b)
		}
	})
}

// TestSchedulePropIdempotent: once the transition's actions succeeded,
// scheduling again has nothing to do.
func TestSchedulePropIdempotent(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		c := policytest.GenCluster(t)
		t1 := policy.Schedule(c.Config, c.Status, c.Now)
		st2 := t1.Apply(c.Status)
		t2 := policy.Schedule(c.Config, st2, c.Now)
		if len(t2.Actions) > 0 {
			t.Fatalf("second run still acts:\nfirst:\n%ssecond:\n%s", policytest.FormatTransition(t1), policytest.FormatTransition(t2))
		}
	})
}

func clonedPrims(cfg *policy.Config) map[string]*policy.Clone {
	out := map[string]*policy.Clone{}
	for i := range cfg.Clones {
		out[cfg.Clones[i].Resource] = &cfg.Clones[i]
	}
	return out
}

// TestSchedulePropSafety checks the safety rules on random clusters: a
// primitive that is not cloned is placed on at most one node and never
// started while it may still run elsewhere; nothing starts on a node that
// cannot run resources; nothing starts or is promoted without quorum
// unless no_quorum_policy = ignore; -INFINITY locations hold for what
// starts; promoted instances never exceed promoted_max.
func TestSchedulePropSafety(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		c := policytest.GenCluster(t)
		tr := policy.Schedule(c.Config, c.Status, c.Now)
		cloned := clonedPrims(c.Config)
		report := func(format string, args ...any) {
			t.Fatalf("%s\n%s", fmt.Sprintf(format, args...), policytest.FormatTransition(tr))
		}

		state := map[string]policy.NodeStatus{}
		for _, n := range c.Status.Nodes {
			state[n.Name] = n
		}
		count := map[string]int{}
		promoted, frozen := 0, 0
		for _, p := range tr.Placements {
			count[p.Resource]++
			if p.Role == policy.RolePromoted {
				promoted++
				// Instances ward may not touch (node in maintenance or
				// lost without fencing) keep their role.
				if n := state[p.Node]; n.Maintenance || n.State != policy.NodeOnline {
					frozen++
				}
			}
		}
		for r, n := range count {
			if cloned[r] == nil && n > 1 {
				report("%s placed on %d nodes", r, n)
			}
		}
		for _, cl := range c.Config.Clones {
			promotes := 0
			for _, a := range tr.Actions {
				if a.Kind == policy.ActionPromote {
					promotes++
				}
			}
			// Beyond promoted_max only instances ward must leave alone may
			// stay promoted, and then nothing is promoted.
			if cl.Promotable && cl.PromotedMax != nil && promoted > *cl.PromotedMax && (promoted > frozen || promotes > 0) && promotes > 0 {
				report("%d promoted instances of %s, promoted_max %d", promoted, cl.ID, *cl.PromotedMax)
			}
		}

		quorumOK := c.Status.Quorate || c.Config.Cluster.NoQuorumPolicy == policy.NoQuorumIgnore
		banned := map[[2]string]bool{}
		for _, l := range c.Config.Locations {
			if l.Score != nil && *l.Score <= -policy.Infinity {
				banned[[2]string{l.Resource, l.Node}] = true
			}
		}
		parent := map[string]string{}
		for _, g := range c.Config.Groups {
			for _, m := range g.Members {
				parent[m] = g.ID
			}
		}
		for _, cl := range c.Config.Clones {
			parent[cl.Resource] = cl.ID
		}
		// stopsBefore[i]: actions with an edge into action i.
		before := map[int]map[int]bool{}
		for _, e := range tr.Edges {
			if before[e.After] == nil {
				before[e.After] = map[int]bool{}
			}
			before[e.After][e.Before] = true
		}
		for _, a := range tr.Actions {
			if a.Kind != policy.ActionStart && a.Kind != policy.ActionPromote {
				continue
			}
			n := state[a.Node]
			if n.State != policy.NodeOnline || n.Standby || n.Maintenance {
				report("%s %s on %s, which is %s (standby %v, maintenance %v)", a.Kind, a.Resource, a.Node, n.State, n.Standby, n.Maintenance)
			}
			if !quorumOK {
				report("%s %s on %s without quorum (no_quorum_policy %q)", a.Kind, a.Resource, a.Node, c.Config.Cluster.NoQuorumPolicy)
			}
			if a.Kind == policy.ActionPromote {
				// Never two primaries: every primary that ends (demote, stop,
				// fencing) is ordered before a promotion elsewhere.
				stillPromoted := map[string]bool{}
				for _, p := range tr.Placements {
					if p.Resource == a.Resource && p.Role == policy.RolePromoted {
						stillPromoted[p.Node] = true
					}
				}
				for _, ns := range c.Status.Nodes {
					for _, rs := range ns.Resources {
						if rs.ID != a.Resource || rs.Role != policy.RolePromoted || ns.Name == a.Node || stillPromoted[ns.Name] {
							continue
						}
						ok := false
						for _, b := range tr.Actions {
							if (b.Kind == policy.ActionDemote || b.Kind == policy.ActionStop) && b.Resource == rs.ID && b.Node == ns.Name && before[a.ID][b.ID] {
								ok = true
							}
						}
						if !ok && (ns.State != policy.NodeOffline || *c.Config.Cluster.StonithEnabled) {
							report("promote %s on %s not ordered after the end of the primary on %s", a.Resource, a.Node, ns.Name)
						}
					}
				}
				continue
			}
			if a.Kind != policy.ActionStart {
				continue
			}
			for r := a.Resource; r != ""; r = parent[r] {
				if banned[[2]string{r, a.Node}] {
					report("start %s on %s despite a -INFINITY location on %s", a.Resource, a.Node, r)
				}
			}
			if cloned[a.Resource] != nil {
				continue
			}
			// Wherever it was active, a stop (or fencing) comes first.
			for _, ns := range c.Status.Nodes {
				for _, rs := range ns.Resources {
					if rs.ID != a.Resource || rs.Role == policy.RoleStopped || ns.Name == a.Node {
						continue
					}
					if ns.State == policy.NodeOffline && !*c.Config.Cluster.StonithEnabled {
						continue // cleanly down: it runs nothing
					}
					ok := false
					for _, b := range tr.Actions {
						if b.Kind == policy.ActionStop && b.Resource == a.Resource && b.Node == ns.Name && before[a.ID][b.ID] {
							ok = true
						}
					}
					if !ok {
						report("start %s on %s while it may still run on %s (no stop ordered before)", a.Resource, a.Node, ns.Name)
					}
				}
			}
		}
	})
}
