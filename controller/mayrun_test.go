package controller

import (
	"log/slog"
	"testing"
	"time"

	"github.com/ward-ha/ward/policy"
)

// These tests pin what a DC assumes a lost node may run (mayRun), the
// input that makes the scheduler fence the node before recovering its
// resources. Found by the simulation, seed 2108 (docs/reliability.md):
// a DC elected while n1 was lost inherited a view in which the previous
// DC had n1 unclean; mayRun ignored that and fell back to "everything
// started", so db, promoted on n1, was promoted on n2 without fencing n1.

// mayRunController returns a Controller whose loop holds cfg, as a DC
// of term 4 that never had a report from any node.
func mayRunController(t *testing.T) *Controller {
	t.Helper()
	cfg, err := policy.Parse("test.toml", []byte(clusterPolicy(3, vipPolicy+promotablePolicy)))
	if err != nil {
		t.Fatal(err)
	}
	c := &Controller{node: "n2", log: slog.New(slog.DiscardHandler)}
	c.loop.init(cfg, PolicyState{Epoch: 1})
	c.loop.isDC, c.loop.myTerm = true, 4
	return c
}

func roleOf(rs []policy.ResourceStatus, id string) policy.Role {
	for _, r := range rs {
		if r.ID == id {
			return r.Role
		}
	}
	return policy.RoleStopped
}

func TestMayRunInheritedUncleanNode(t *testing.T) {
	c := mayRunController(t)
	// The previous DC (term 2) had lost n1 too: its view lists n1 as
	// unclean with what it decided n1 may run.
	c.loop.inherited = &clusterView{DC: "n2", Term: 2, Seq: 4, Status: policy.Status{Nodes: []policy.NodeStatus{
		{Name: "n1", State: policy.NodeUnclean, Resources: []policy.ResourceStatus{
			{ID: "db", Role: policy.RolePromoted}, {ID: "vip", Role: policy.RoleStarted}}},
		{Name: "n2", State: policy.NodeOnline, Resources: []policy.ResourceStatus{{ID: "db", Role: policy.RoleUnpromoted}}},
		{Name: "n3", State: policy.NodeOnline, Resources: []policy.ResourceStatus{{ID: "db", Role: policy.RoleUnpromoted}}},
	}}}
	got := c.mayRun("n1")
	if r := roleOf(got, "db"); r != policy.RolePromoted {
		t.Errorf("mayRun(n1) db role = %q, want %q (the inherited view has n1 unclean with db promoted)", r, policy.RolePromoted)
	}
	if r := roleOf(got, "vip"); r != policy.RoleStarted {
		t.Errorf("mayRun(n1) vip role = %q, want %q", r, policy.RoleStarted)
	}
}

func TestMayRunNoInformationAssumesPromoted(t *testing.T) {
	c := mayRunController(t)
	got := c.mayRun("n1")
	if r := roleOf(got, "db"); r != policy.RolePromoted {
		t.Errorf("mayRun(n1) db role with no information = %q, want %q (a promotable clone may be promoted)", r, policy.RolePromoted)
	}
	if r := roleOf(got, "vip"); r != policy.RoleStarted {
		t.Errorf("mayRun(n1) vip role with no information = %q, want %q", r, policy.RoleStarted)
	}
}

// TestMayRunUncleanPromotedOrdersPromoteAfterFence runs the scheduler on
// the seed-2108 state: every promotion of db must wait for n1's fence.
func TestMayRunUncleanPromotedOrdersPromoteAfterFence(t *testing.T) {
	for _, tc := range []struct {
		name      string
		inherited *clusterView
	}{
		{"inherited unclean", &clusterView{Term: 2, Seq: 4, Status: policy.Status{Nodes: []policy.NodeStatus{
			{Name: "n1", State: policy.NodeUnclean, Resources: []policy.ResourceStatus{{ID: "db", Role: policy.RolePromoted}}}}}}},
		{"no information", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := mayRunController(t)
			c.loop.inherited = tc.inherited
			st := policy.Status{Quorate: true, DC: "n2", Nodes: []policy.NodeStatus{
				{Name: "n1", State: policy.NodeUnclean, Resources: c.mayRun("n1")},
				{Name: "n2", State: policy.NodeOnline, Attributes: map[string]string{"master-db": "10"},
					Resources: []policy.ResourceStatus{{ID: "db", Role: policy.RoleUnpromoted}, {ID: "vip", Role: policy.RoleStarted}}},
				{Name: "n3", State: policy.NodeOnline, Attributes: map[string]string{"master-db": "5"},
					Resources: []policy.ResourceStatus{{ID: "db", Role: policy.RoleUnpromoted}}},
			}}
			tr := policy.Schedule(c.loop.cfg, st, time.Unix(1000, 0))
			fence := -1
			for _, a := range tr.Actions {
				if a.Kind == policy.ActionFence && a.Node == "n1" {
					fence = a.ID
				}
			}
			if fence < 0 {
				t.Fatalf("Schedule(n1 unclean) has no fence of n1: %v", policy.Summarize(tr, st))
			}
			promotes := 0
			for _, a := range tr.Actions {
				if a.Kind != policy.ActionPromote {
					continue
				}
				promotes++
				if !after(tr, fence, a.ID) {
					t.Errorf("Schedule(n1 unclean, db promoted there) = %s not ordered after the fence of n1, want after", policy.FormatAction(a))
				}
			}
			if promotes != 1 {
				t.Errorf("Schedule(n1 unclean) has %d promotions of db, want 1 (n2 has the highest promotion score): %v", promotes, policy.Summarize(tr, st))
			}
		})
	}
}

// after reports whether action b transitively follows action a.
func after(tr policy.Transition, a, b int) bool {
	preds := map[int][]int{}
	for _, e := range tr.Edges {
		preds[e.After] = append(preds[e.After], e.Before)
	}
	seen := map[int]bool{}
	stack := []int{b}
	for len(stack) > 0 {
		x := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		for _, p := range preds[x] {
			if p == a {
				return true
			}
			if !seen[p] {
				seen[p] = true
				stack = append(stack, p)
			}
		}
	}
	return false
}
