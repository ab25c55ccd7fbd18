package controller

import (
	"testing"

	"github.com/ward-ha/ward/policy"
)

func TestEnsureMonitorsAddsMissingOnly(t *testing.T) {
	c, _ := bareController(t, clusterPolicy(3, vipPolicy+`
[[primitive]]
id = "db"
agent = "dummy"

[[primitive.op]]
name = "monitor"
interval = "2s"
`), "n1", "n2", "n3")
	l := &c.loop
	l.joined["n1"] = &nodeReport{Node: "n1", Monitors: map[string][]int64{"vip": {1000}}}
	l.joined["n2"] = &nodeReport{Node: "n2"}
	st := policy.Status{Quorate: true, Nodes: []policy.NodeStatus{
		{Name: "n1", State: policy.NodeOnline, Resources: []policy.ResourceStatus{{ID: "vip", Role: policy.RoleStarted}}},
		{Name: "n2", State: policy.NodeOnline, Resources: []policy.ResourceStatus{
			{ID: "db", Role: policy.RoleStarted},
			{ID: "ghost", Role: policy.RoleStarted},
			{ID: "lab-power", Role: policy.RoleStarted},
		}},
	}}
	var tr policy.Transition
	c.ensureMonitors(&tr, st)
	if len(tr.Actions) != 1 || tr.Actions[0].Resource != "db" || tr.Actions[0].Node != "n2" || tr.Actions[0].Kind != policy.ActionMonitor {
		t.Fatalf("ensureMonitors added %+v, want only the monitor of db on n2", tr.Actions)
	}
	// A resource the transition acts on is left to the transition.
	tr = policy.Transition{Actions: []policy.Action{{ID: 0, Kind: policy.ActionStop, Resource: "db", Node: "n2"}}}
	c.ensureMonitors(&tr, st)
	if len(tr.Actions) != 1 {
		t.Errorf("ensureMonitors with db stopping added %+v, want nothing", tr.Actions[1:])
	}
}
