package policytest

import (
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/ward-ha/ward/policy"
)

// Large builds a big, realistic cluster for benchmarks, the same for the
// same arguments: nodes nodes (with rack and disk attributes and
// utilization), prims primitives (about 70% standalone, 25% in groups of
// five, 5% in anonymous and promotable clones), and twice as many
// constraints as primitives: half locations (some with rules), a quarter
// colocations (mandatory, advisory, negative; always towards an earlier
// resource so there are no loops) and a quarter orders. The status is the
// converged placement hit by an incident: one node unclean, one offline,
// some in standby and 2% of the resources failed.
func Large(nodes, prims int) (*policy.Config, policy.Status, time.Time) {
	rng := rand.New(rand.NewPCG(uint64(nodes), uint64(prims)))
	now := time.Date(2026, 7, 1, 12, 0, 0, 0, time.UTC)
	yes := true
	cfg := &policy.Config{Cluster: policy.Cluster{Name: "large", StonithEnabled: &yes}}
	stick := policy.Score(100)
	cfg.Cluster.ResourceDefaults.Stickiness = &stick
	var names []string
	for i := 0; i < nodes; i++ {
		n := fmt.Sprintf("node%04d", i)
		names = append(names, n)
		disk := "hdd"
		if i%3 == 0 {
			disk = "ssd"
		}
		cfg.Nodes = append(cfg.Nodes, policy.Node{Name: n, Addresses: []string{n},
			Attributes:  map[string]string{"rack": fmt.Sprintf("r%d", i%10), "disk": disk},
			Utilization: map[string]int64{"cpu": 64, "mem": 256}})
	}
	cfg.Fencing.Devices = []policy.FenceDevice{{ID: "fence", Plugin: "lab", Nodes: names}}

	// Resources.
	var units []string // placement targets in creation order
	var primIDs []string
	p := 0
	newPrim := func() string {
		id := fmt.Sprintf("p%05d", p)
		p++
		pr := policy.Primitive{ID: id, Agent: "dummy", Ops: []policy.Op{{Name: "monitor", Interval: policy.Duration(10 * time.Second)}}}
		pr.Utilization = map[string]int64{"cpu": 1, "mem": int64(1 + rng.IntN(2))}
		if rng.IntN(10) == 0 {
			thr := 3
			pr.MigrationThreshold = &thr
		}
		cfg.Primitives = append(cfg.Primitives, pr)
		primIDs = append(primIDs, id)
		return id
	}
	for p < prims {
		switch r := rng.IntN(100); {
		case r < 70:
			id := newPrim()
			units = append(units, id)
		case r < 95:
			g := policy.Group{ID: fmt.Sprintf("g%05d", p)}
			for k := 0; k < 5 && p < prims; k++ {
				g.Members = append(g.Members, newPrim())
			}
			cfg.Groups = append(cfg.Groups, g)
			units = append(units, g.ID)
		default:
			id := newPrim()
			c := policy.Clone{ID: id + "-clone", Resource: id}
			cm := 2 + rng.IntN(8)
			c.CloneMax = &cm
			if rng.IntN(5) == 0 {
				c.Promotable = true
			}
			cfg.Clones = append(cfg.Clones, c)
			units = append(units, c.ID)
		}
	}

	// Constraints: 2 per primitive.
	total := 2 * prims
	scores := []policy.Score{-policy.Infinity, -500, -50, 10, 50, 100, 500, policy.Infinity}
	for i := 0; i < total; i++ {
		switch r := i % 4; {
		case r < 2:
			l := policy.Location{ID: fmt.Sprintf("loc%05d", i), Resource: units[rng.IntN(len(units))]}
			if rng.IntN(20) == 0 {
				l.Rule = "disk eq ssd"
				sc := policy.Score(200)
				l.Score = &sc
				if e, err := policy.ParseExpr(l.Rule); err == nil {
					l.ParsedRules = []policy.ParsedLocationRule{{Expr: e, Score: sc}}
				}
			} else {
				sc := scores[rng.IntN(len(scores))]
				l.Node = names[rng.IntN(nodes)]
				l.Score = &sc
			}
			cfg.Locations = append(cfg.Locations, l)
		case r == 2:
			a, b := rng.IntN(len(units)), rng.IntN(len(units))
			if a == b {
				continue
			}
			if a < b {
				a, b = b, a
			}
			c := policy.Colocation{ID: fmt.Sprintf("col%05d", i), Resource: units[a], With: units[b],
				Score: []policy.Score{policy.Infinity, policy.Infinity, 200, -200, -policy.Infinity}[rng.IntN(5)]}
			cfg.Colocations = append(cfg.Colocations, c)
		default:
			a, b := rng.IntN(len(units)), rng.IntN(len(units))
			if a == b {
				continue
			}
			if a > b {
				a, b = b, a
			}
			o := policy.Order{ID: fmt.Sprintf("ord%05d", i), First: units[a], Then: units[b]}
			if rng.IntN(3) == 0 {
				o.Kind = policy.OrderOptional
			}
			cfg.Orders = append(cfg.Orders, o)
		}
	}

	// Status: the cluster converged (the placement of a first schedule),
	// then an incident: one node unclean, one offline, a few in standby,
	// and 2% of the resources failed.
	st0 := policy.Status{Quorate: true, DC: names[0]}
	for _, n := range names {
		st0.Nodes = append(st0.Nodes, policy.NodeStatus{Name: n, State: policy.NodeOnline})
	}
	st := policy.Schedule(cfg, st0, now).Apply(st0)
	last := now.Add(-2 * time.Minute)
	for i := range st.Nodes {
		ns := &st.Nodes[i]
		switch {
		case i == nodes-1 && nodes > 2:
			ns.State = policy.NodeUnclean
		case i == nodes-2 && nodes > 3:
			ns.State = policy.NodeOffline
		case i%25 == 7:
			ns.Standby = true
		}
		for k := range ns.Resources {
			rs := &ns.Resources[k]
			if rs.Role != policy.RoleStopped && rng.IntN(50) == 0 {
				rs.Failed = true
				rs.FailCount = 1 + rng.IntN(3)
				rs.LastFailure = &last
				rs.Failures = []policy.OpRecord{{Op: "monitor", Interval: policy.Duration(10 * time.Second), RC: 1, At: &last}}
			}
		}
	}
	return cfg, st, now
}
