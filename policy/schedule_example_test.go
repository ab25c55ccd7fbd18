package policy_test

import (
	"fmt"
	"time"

	"github.com/ward-ha/ward/policy"
)

// A two-node cluster where node1, which ran the database, is lost: the
// scheduler fences it first, then starts the database on node2.
func ExampleSchedule() {
	cfg, err := policy.Parse("policy.toml", []byte(`
[cluster]
name = "demo"

[[node]]
name = "node1"
addresses = ["10.0.0.1"]

[[node]]
name = "node2"
addresses = ["10.0.0.2"]

[[fencing.device]]
id = "ipmi"
plugin = "lab"
nodes = ["node1", "node2"]

[[primitive]]
id = "db"
agent = "dummy"
`))
	if err != nil {
		fmt.Println(err)
		return
	}
	st := policy.Status{Quorate: true, Nodes: []policy.NodeStatus{
		{Name: "node1", State: policy.NodeUnclean, Resources: []policy.ResourceStatus{{ID: "db", Role: policy.RoleStarted}}},
		{Name: "node2", State: policy.NodeOnline, Resources: []policy.ResourceStatus{{ID: "ipmi", Role: policy.RoleStarted}}},
	}}
	t := policy.Schedule(cfg, st, time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	for _, a := range t.Actions {
		fmt.Println(policy.FormatAction(a))
	}
	for _, p := range t.Placements {
		fmt.Println(p.Resource, p.Role, p.Node)
	}
	// Output:
	//   0  fence node1 (node is unclean (lost, or not seen since the cluster started, while it may run resources))
	//   1  stop db on node1 [done by fencing] (node1 is fenced)
	//   2  start db on node2 (placed here)
	// db Started node2
	// ipmi Started node2
}
