package policytest

import (
	"fmt"
	"time"

	"github.com/ward-ha/ward/policy"
	"pgregory.net/rapid"
)

// Cluster is a generated policy and status.
type Cluster struct {
	Config *policy.Config
	Status policy.Status
	Now    time.Time
}

func scoreGen() *rapid.Generator[policy.Score] {
	return rapid.SampledFrom([]policy.Score{-policy.Infinity, -100, -10, 0, 10, 50, 100, 1000, policy.Infinity})
}

// GenCluster draws a random cluster: 1 to 5 nodes in random states, a
// few primitives, groups, an anonymous clone and a promotable clone,
// location, colocation and order constraints, and a status with
// resources running (sometimes on several nodes), failures and promotion
// scores. Every resource is managed, so the scheduler is free to act.
func GenCluster(t *rapid.T) Cluster {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	cfg := &policy.Config{Cluster: policy.Cluster{Name: "gen"}}
	stonith := rapid.Bool().Draw(t, "stonith")
	cfg.Cluster.StonithEnabled = &stonith
	sym := rapid.Float64Range(0, 1).Draw(t, "symmetric") < 0.8
	cfg.Cluster.Symmetric = &sym
	cfg.Cluster.NoQuorumPolicy = rapid.SampledFrom([]policy.NoQuorumPolicy{"", policy.NoQuorumStop,
		policy.NoQuorumFreeze, policy.NoQuorumIgnore, policy.NoQuorumDemote}).Draw(t, "nqp")
	if rapid.Bool().Draw(t, "defstick") {
		s := rapid.SampledFrom([]policy.Score{0, 1, 100}).Draw(t, "stickiness")
		cfg.Cluster.ResourceDefaults.Stickiness = &s
	}
	nn := rapid.IntRange(1, 5).Draw(t, "nodes")
	var nodes []string
	for i := 0; i < nn; i++ {
		name := fmt.Sprintf("n%d", i+1)
		nodes = append(nodes, name)
		cfg.Nodes = append(cfg.Nodes, policy.Node{Name: name, Addresses: []string{name}})
	}
	if stonith {
		cfg.Fencing.Devices = append(cfg.Fencing.Devices, policy.FenceDevice{ID: "fence", Plugin: "lab", Nodes: nodes})
	}
	np := rapid.IntRange(1, 8).Draw(t, "prims")
	var free []string // primitives not in a group or clone
	for i := 0; i < np; i++ {
		p := policy.Primitive{ID: fmt.Sprintf("p%d", i+1), Agent: "dummy"}
		if rapid.Float64Range(0, 1).Draw(t, "hasThr") < 0.3 {
			thr := rapid.IntRange(1, 3).Draw(t, "thr")
			p.MigrationThreshold = &thr
		}
		if rapid.Float64Range(0, 1).Draw(t, "stopped") < 0.1 {
			p.TargetRole = policy.RoleStopped
		}
		cfg.Primitives = append(cfg.Primitives, p)
		free = append(free, p.ID)
	}
	// One group from the first primitives, sometimes.
	if len(free) >= 3 && rapid.Bool().Draw(t, "group") {
		cfg.Groups = append(cfg.Groups, policy.Group{ID: "g1", Members: []string{free[0], free[1]}})
		free = free[2:]
	}
	// An anonymous clone and a promotable clone.
	cloned := map[string]bool{}
	if rapid.Bool().Draw(t, "clone") {
		cfg.Primitives = append(cfg.Primitives, policy.Primitive{ID: "c", Agent: "dummy"})
		cm := rapid.IntRange(1, nn+1).Draw(t, "cloneMax")
		cl := policy.Clone{ID: "c-clone", Resource: "c", CloneMax: &cm}
		if rapid.Bool().Draw(t, "twoPerNode") {
			two := 2
			cl.CloneNodeMax = &two
		}
		cfg.Clones = append(cfg.Clones, cl)
		cloned["c"] = true
	}
	if rapid.Bool().Draw(t, "promotable") {
		cfg.Primitives = append(cfg.Primitives, policy.Primitive{ID: "m", Agent: "stateful"})
		pm := rapid.IntRange(1, 2).Draw(t, "promotedMax")
		cfg.Clones = append(cfg.Clones, policy.Clone{ID: "m-clone", Resource: "m", Promotable: true, PromotedMax: &pm})
		cloned["m"] = true
	}
	targets := append([]string(nil), free...)
	for _, g := range cfg.Groups {
		targets = append(targets, g.ID)
	}
	for _, c := range cfg.Clones {
		targets = append(targets, c.ID)
	}
	nl := rapid.IntRange(0, 6).Draw(t, "locations")
	for i := 0; i < nl; i++ {
		sc := scoreGen().Draw(t, "lscore")
		cfg.Locations = append(cfg.Locations, policy.Location{ID: fmt.Sprintf("l%d", i),
			Resource: rapid.SampledFrom(targets).Draw(t, "lrsc"), Node: rapid.SampledFrom(nodes).Draw(t, "lnode"), Score: &sc})
	}
	if len(targets) >= 2 {
		nc := rapid.IntRange(0, 3).Draw(t, "colocations")
		for i := 0; i < nc; i++ {
			a := rapid.SampledFrom(targets).Draw(t, "cdep")
			b := rapid.SampledFrom(targets).Draw(t, "cprim")
			if a == b {
				continue
			}
			c := policy.Colocation{ID: fmt.Sprintf("c%d", i), Resource: a, With: b, Score: scoreGen().Draw(t, "cscore")}
			if b == "m-clone" && rapid.Bool().Draw(t, "withPromoted") {
				c.WithRole = policy.RolePromoted
			}
			cfg.Colocations = append(cfg.Colocations, c)
		}
		no := rapid.IntRange(0, 3).Draw(t, "orders")
		for i := 0; i < no; i++ {
			a := rapid.SampledFrom(targets).Draw(t, "ofirst")
			b := rapid.SampledFrom(targets).Draw(t, "othen")
			if a == b {
				continue
			}
			o := policy.Order{ID: fmt.Sprintf("o%d", i), First: a, Then: b,
				Kind: rapid.SampledFrom([]policy.OrderKind{"", policy.OrderOptional}).Draw(t, "okind")}
			cfg.Orders = append(cfg.Orders, o)
		}
	}

	st := policy.Status{Quorate: rapid.Float64Range(0, 1).Draw(t, "quorate") < 0.8}
	for _, n := range nodes {
		ns := policy.NodeStatus{Name: n, State: rapid.SampledFrom([]policy.NodeState{policy.NodeOnline, policy.NodeOnline,
			policy.NodeOnline, policy.NodeOffline, policy.NodeUnclean, policy.NodePending}).Draw(t, "state")}
		ns.Standby = rapid.Float64Range(0, 1).Draw(t, "standby") < 0.15
		ns.Maintenance = rapid.Float64Range(0, 1).Draw(t, "maint") < 0.05
		if rapid.Bool().Draw(t, "master") {
			ns.Attributes = map[string]string{"master-m": fmt.Sprint(rapid.IntRange(-5, 20).Draw(t, "mscore"))}
		}
		st.Nodes = append(st.Nodes, ns)
	}
	for _, p := range cfg.Primitives {
		// Non-cloned primitives run on at most two nodes; clones anywhere.
		maxOn := 2
		if cloned[p.ID] {
			maxOn = nn
		}
		on := rapid.IntRange(0, maxOn).Draw(t, "active")
		used := map[int]bool{}
		for k := 0; k < on; k++ {
			ni := rapid.IntRange(0, nn-1).Draw(t, "where")
			if used[ni] {
				continue
			}
			used[ni] = true
			rs := policy.ResourceStatus{ID: p.ID, Role: policy.RoleStarted}
			if p.ID == "m" && rapid.Bool().Draw(t, "promoted") {
				rs.Role = policy.RolePromoted
			}
			if rapid.Float64Range(0, 1).Draw(t, "failed") < 0.15 {
				at := now.Add(-time.Minute)
				rs.Failed = true
				rs.FailCount = rapid.IntRange(1, 3).Draw(t, "fc")
				rs.LastFailure = &at
				rs.Failures = []policy.OpRecord{{Op: "monitor", Interval: policy.Duration(10 * time.Second), RC: 1, At: &at}}
			}
			st.Nodes[ni].Resources = append(st.Nodes[ni].Resources, rs)
		}
	}
	return Cluster{Config: cfg, Status: st, Now: now}
}
