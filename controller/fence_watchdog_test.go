package controller

import (
	"context"
	"encoding/hex"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/ward-ha/ward/heartbeat"
	"github.com/ward-ha/ward/internal/clock/clocktest"
	"github.com/ward-ha/ward/policy"
	"github.com/ward-ha/ward/resources"
)

type fakeMembership struct{ quorate bool }

func (f *fakeMembership) Membership() heartbeat.Membership {
	var m heartbeat.Membership
	m.Quorum.Quorate = f.quorate
	return m
}
func (f *fakeMembership) Changes() <-chan struct{} { return nil }

// fakeExecutor knows histories only.
type fakeExecutor struct{ hist map[string]resources.History }

func (f *fakeExecutor) Exec(context.Context, resources.Request) (resources.Result, error) {
	return resources.Result{}, nil
}
func (f *fakeExecutor) StartMonitor(resources.MonitorSpec) error { return nil }
func (f *fakeExecutor) StopMonitor(string, time.Duration) bool   { return false }
func (f *fakeExecutor) Monitors(string) []resources.MonitorSpec  { return nil }
func (f *fakeExecutor) ClearFailures(string)                     {}
func (f *fakeExecutor) History(id string) (resources.History, bool) {
	h, ok := f.hist[id]
	return h, ok
}
func (f *fakeExecutor) Resources() []string {
	var out []string
	for id := range f.hist {
		out = append(out, id)
	}
	return out
}

func TestWatchdogHealth(t *testing.T) {
	m := &fakeMembership{quorate: true}
	ex := &fakeExecutor{hist: map[string]resources.History{
		"vip": {Resource: "vip", Last: []resources.Result{{Resource: "vip", Action: resources.ActionStart, Code: resources.OK, Seq: 1}}},
		"db":  {Resource: "db", Last: []resources.Result{{Resource: "db", Action: resources.ActionStop, Code: resources.OK, Seq: 2}}},
	}}
	health := WatchdogHealth(m, ex)
	if ok, why := health(); !ok {
		t.Fatalf("health(quorate, running vip) = false, %q; want true", why)
	}
	m.quorate = false
	if ok, why := health(); ok || !strings.Contains(why, "vip") || strings.Contains(why, "db") {
		t.Fatalf("health(no quorum, running vip) = %v, %q; want false naming vip only", ok, why)
	}
	ex.hist["vip"] = resources.History{Resource: "vip", Last: []resources.Result{
		{Resource: "vip", Action: resources.ActionStart, Code: resources.OK, Seq: 1},
		{Resource: "vip", Action: resources.ActionStop, Code: resources.OK, Seq: 3}}}
	if ok, why := health(); !ok {
		t.Fatalf("health(no quorum, everything stopped) = false, %q; want true", why)
	}
}

// TestDispatchFenceWatchdogRefusesPresentNode: a node that is up (a
// failed stop) cannot be fenced through the watchdog plugin, which only
// waits: the fence fails at once, is recorded as failed, backs off, and
// nothing is sent to a fencer.
func TestDispatchFenceWatchdogRefusesPresentNode(t *testing.T) {
	src := strings.Replace(clusterPolicy(3, ""), "plugin = \"lab\"", "plugin = \"watchdog\"", 1)
	src = strings.Replace(src, "no_quorum_policy = \"stop\"\n", "no_quorum_policy = \"stop\"\nwatchdog_timeout = \"6s\"\n", 1)
	cfg, err := policy.Parse("t.toml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	st, err := OpenStore(t.TempDir(), slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	c := &Controller{node: "n1", store: st, clk: clocktest.NewFake(time.Unix(1000, 0)), log: slog.New(slog.DiscardHandler)}
	c.loop.init(cfg, PolicyState{})
	c.loop.mem = heartbeat.Membership{Members: []heartbeat.Member{
		{Name: "n1", Self: true, State: heartbeat.StateAlive}, {Name: "n2", State: heartbeat.StateAlive}, {Name: "n3", State: heartbeat.StateAlive}}}
	tr := &transition{cfg: cfg, t: policy.Transition{Actions: []policy.Action{{ID: 0, Kind: policy.ActionFence, Node: "n2"}}},
		state: make([]actState, 1), deadline: make([]time.Time, 1)}
	c.dispatchFence(context.Background(), tr, 0)
	if tr.state[0] != actFailed || !tr.aborted {
		t.Fatalf("dispatchFence(watchdog, n2 up): state %v aborted %t, want failed", tr.state[0], tr.aborted)
	}
	h := st.Fencing()
	if len(h) != 1 || h[0].OK || h[0].Target != "n2" || !strings.Contains(h[0].Error, "watchdog plugin fences only a node that is lost") {
		t.Fatalf("history = %+v, want one failed record for n2 naming the watchdog", h)
	}
	if b := c.loop.backoff["n2"]; b.failures != 1 {
		t.Errorf("backoff of n2 = %+v, want one failure", b)
	}
}

// TestWatchdogFenceCoversOneLoss: a node fenced through the watchdog that
// comes back with the same boot is clean only for the loss that was
// fenced: once seen present its record no longer counts, and a replay
// of that record (a member's history at join) does not either; a fence
// started after it was last seen counts.
func TestWatchdogFenceCoversOneLoss(t *testing.T) {
	src := strings.Replace(clusterPolicy(3, ""), "plugin = \"lab\"", "plugin = \"watchdog\"", 1)
	src = strings.Replace(src, "no_quorum_policy = \"stop\"\n", "no_quorum_policy = \"stop\"\nwatchdog_timeout = \"6s\"\n", 1)
	cfg, err := policy.Parse("t.toml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	clk := clocktest.NewFake(time.Unix(1000, 0))
	c := &Controller{node: "n1", clk: clk, log: slog.New(slog.DiscardHandler)}
	c.loop.init(cfg, PolicyState{})
	var id [16]byte
	id[0] = 7
	boot := hex.EncodeToString(id[:])
	c.loop.boots["n2"] = bootInfo{ID: boot, Started: 1}
	old := FenceRecord{Target: "n2", Boot: boot, OK: true, Device: "lab-power", Started: clk.Now().Add(-time.Second)}
	c.recordFence(old)
	if !c.loop.fencedOK["n2"][boot] {
		t.Fatal("recordFence(first watchdog fence of n2) did not mark the boot fenced")
	}
	// n2 is back with the same boot.
	c.loop.mem = heartbeat.Membership{Members: []heartbeat.Member{
		{Name: "n1", Self: true, State: heartbeat.StateAlive},
		{Name: "n2", State: heartbeat.StateAlive, HasMeta: true, Meta: heartbeat.Meta{BootID: id}}}}
	c.noteWatchdogReturns()
	if c.loop.fencedOK["n2"][boot] {
		t.Fatal("n2 back with the same boot: still counted fenced, want its fencing consumed")
	}
	c.recordFence(old) // replayed from a member's history
	if c.loop.fencedOK["n2"][boot] {
		t.Fatal("a replayed record of the earlier loss marked n2 fenced again")
	}
	// n2 is lost again; a new fence starts later and counts.
	clk.Advance(10 * time.Second)
	c.loop.mem.Members[1].State = heartbeat.StateDead
	c.noteWatchdogReturns()
	if !c.unclean("n2") {
		t.Fatal("n2 lost again: not unclean, want it fenced again")
	}
	c.recordFence(FenceRecord{Target: "n2", Boot: boot, OK: true, Started: clk.Now()})
	if !c.loop.fencedOK["n2"][boot] || c.unclean("n2") {
		t.Fatal("the fence of the second loss did not make n2 clean")
	}
}
