package controller

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/ward-ha/ward/fencing"
	"github.com/ward-ha/ward/policy"
)

func TestFenceOptionsPriorityDelay(t *testing.T) {
	src := clusterPolicy(2, `[[primitive]]
id = "db"
agent = "stateful"
priority = 10

[[clone]]
id = "db-ha"
resource = "db"
promotable = true

[[primitive]]
id = "vip"
agent = "dummy"
`)
	cfg, err := policy.Parse("t.toml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	c := &Controller{log: slog.New(slog.DiscardHandler)}
	c.loop.view = &clusterView{Status: policy.Status{Nodes: []policy.NodeStatus{
		{Name: "n1", State: policy.NodeOnline, Resources: []policy.ResourceStatus{{ID: "db:0", Role: policy.RoleUnpromoted}}},
		{Name: "n2", State: policy.NodeOnline, Resources: []policy.ResourceStatus{{ID: "db:1", Role: policy.RolePromoted}, {ID: "vip", Role: policy.RoleStarted}}},
	}}}
	if got := c.fenceOptions(cfg, "n2").ExtraDelay; got != 0 {
		t.Fatalf("fenceOptions(n2) without two_node and priority_fencing_delay = %v, want 0", got)
	}
	cfg.Cluster.TwoNode = true
	cfg.Cluster.PriorityFencingDelay = policy.Duration(5 * time.Second)
	if got := c.priorityTotals(cfg); got["n1"] != 10 || got["n2"] != 11 {
		t.Fatalf("priorityTotals = %v, want n1 10, n2 11 (promoted counts one more; vip 0)", got)
	}
	if got := c.fenceOptions(cfg, "n2").ExtraDelay; got != 5*time.Second {
		t.Errorf("fenceOptions(n2, runs the primary) = %v, want 5s", got)
	}
	if got := c.fenceOptions(cfg, "n1").ExtraDelay; got != 0 {
		t.Errorf("fenceOptions(n1) = %v, want 0", got)
	}
	c.loop.view = nil
	if got := c.fenceOptions(cfg, "n2").ExtraDelay; got != 0 {
		t.Errorf("fenceOptions(n2) without a view = %v, want 0", got)
	}
}

// optsFencer records the options it was called with.
type optsFencer struct{ got fencing.Options }

func (f *optsFencer) Fence(ctx context.Context, cfg *policy.Config, target string) fencing.Result {
	return fencing.Result{Target: target, OK: true}
}

func (f *optsFencer) FenceWith(ctx context.Context, cfg *policy.Config, target string, o fencing.Options) fencing.Result {
	f.got = o
	return fencing.Result{Target: target, OK: true}
}

type plainFencer struct{ calls int }

func (f *plainFencer) Fence(ctx context.Context, cfg *policy.Config, target string) fencing.Result {
	f.calls++
	return fencing.Result{Target: target, OK: true}
}

func TestRunFencePassesOptions(t *testing.T) {
	of := &optsFencer{}
	c := &Controller{fencer: of, log: slog.New(slog.DiscardHandler)}
	if r := c.runFence(context.Background(), nil, "n2", fencing.Options{ExtraDelay: 5 * time.Second}); !r.OK || of.got.ExtraDelay != 5*time.Second {
		t.Fatalf("runFence = %+v with options %+v, want OK with the 5s delay passed on", r, of.got)
	}
	pf := &plainFencer{}
	c.fencer = pf
	if r := c.runFence(context.Background(), nil, "n2", fencing.Options{ExtraDelay: time.Second}); !r.OK || pf.calls != 1 {
		t.Fatalf("runFence(plain fencer) = %+v, %d calls, want OK through Fence", r, pf.calls)
	}
}

// TestRunActionFencePassesPriorityDelay: a fence the DC dispatches
// (runAction, the member side) goes through the fencer with the options
// computed on the loop, as the two_node claim fence does.
func TestRunActionFencePassesPriorityDelay(t *testing.T) {
	of := &optsFencer{}
	st, err := OpenStore(t.TempDir(), slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	c := &Controller{fencer: of, store: st, log: slog.New(slog.DiscardHandler)}
	a := &actionMsg{ID: 1, Kind: policy.ActionFence, Node: "n1", Target: "n2", Boot: "b2"}
	res := c.runAction(context.Background(), nil, 3, "n1", a, fencing.Options{ExtraDelay: 5 * time.Second})
	if !res.OK || of.got.ExtraDelay != 5*time.Second {
		t.Fatalf("runAction(fence n2) = %+v with options %+v, want OK with the 5s priority delay", res, of.got)
	}
	if h := st.Fencing(); len(h) != 1 || h[0].Target != "n2" || h[0].RequestedBy != "n1" {
		t.Fatalf("fencing history = %+v, want one record of n2 requested by n1", h)
	}
}
