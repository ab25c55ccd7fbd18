package controller

import (
	"log/slog"
	"testing"
	"time"

	"github.com/ward-ha/ward/heartbeat"
	"github.com/ward-ha/ward/internal/clock/clocktest"
	"github.com/ward-ha/ward/policy"
)

// These tests pin what the DC does with a start that gets no result in
// time on a node still present (timeout.go): Pacemaker counts it failed
// with the resource maybe active there, so it is stopped there, or the
// node fenced, before it starts anywhere else.

// timeoutController returns a DC (n1, term 4) that holds a report of
// every node (boots b1-b3, nothing running) and a transition that sent
// "start vip on n2".
func timeoutController(t *testing.T) (*Controller, *clocktest.Fake) {
	t.Helper()
	cfg, err := policy.Parse("test.toml", []byte(clusterPolicy(3, vipPolicy+preferN2)))
	if err != nil {
		t.Fatal(err)
	}
	clk := clocktest.NewFake(time.Unix(1000, 0))
	c := &Controller{node: "n1", clk: clk, log: slog.New(slog.DiscardHandler)}
	c.loop.init(cfg, PolicyState{Epoch: 1})
	c.loop.isDC, c.loop.myTerm = true, 4
	c.loop.mem = heartbeat.Membership{Members: []heartbeat.Member{
		{Name: "n1", Self: true, State: heartbeat.StateAlive}, {Name: "n2", State: heartbeat.StateAlive}, {Name: "n3", State: heartbeat.StateAlive}}}
	for i, n := range []string{"n1", "n2", "n3"} {
		boot := "b" + n[1:]
		c.loop.boots[n] = bootInfo{ID: boot, Started: int64(i + 1)}
		r := &nodeReport{Node: n, Boot: boot, Seqs: map[string]uint64{"vip": 2},
			Resources: []policy.ResourceStatus{{ID: "vip", Role: policy.RoleStopped}}}
		c.loop.known[n], c.loop.joined[n] = r, r
	}
	c.sendTimed(policy.Action{ID: 0, Kind: policy.ActionStart, Resource: "vip", Node: "n2"}, clk.Now().Add(time.Second))
	return c, clk
}

// sendTimed installs a transition with action a in flight until deadline.
func (c *Controller) sendTimed(a policy.Action, deadline time.Time) {
	l := &c.loop
	l.trans = &transition{id: 1, term: l.myTerm, cfg: l.cfg, t: policy.Transition{Actions: []policy.Action{a}},
		state: []actState{actInflight}, deadline: []time.Time{deadline}, preds: make([][]int, 1), inflight: 1,
		sent: []sentState{l.sentStateOf(a.Node, a.Resource)}}
}

// before reports whether action i must complete before action j in t.
func before(t policy.Transition, i, j int) bool {
	seen := map[int]bool{}
	next := []int{i}
	for len(next) > 0 {
		x := next[0]
		next = next[1:]
		for _, e := range t.Edges {
			if e.Before == x && !seen[e.After] {
				if e.After == j {
					return true
				}
				seen[e.After] = true
				next = append(next, e.After)
			}
		}
	}
	return false
}

func findAction(t policy.Transition, kind policy.ActionKind, rsc, node string) int {
	for i, a := range t.Actions {
		if a.Kind == kind && (rsc == "" || a.Resource == rsc) && (node == "" || a.Node == node) {
			return i
		}
	}
	return -1
}

// startsElsewhere returns the starts of vip on a node other than n2.
func startsElsewhere(t policy.Transition) []int {
	var out []int
	for i, a := range t.Actions {
		if a.Kind == policy.ActionStart && a.Resource == "vip" && a.Node != "n2" {
			out = append(out, i)
		}
	}
	return out
}

func TestTimedOutStartIsStoppedThereFirst(t *testing.T) {
	c, clk := timeoutController(t)
	clk.Advance(2 * time.Second)
	c.checkTimeouts()
	if tr := c.loop.trans; tr.state[0] != actFailed || !tr.aborted {
		t.Fatalf("checkTimeouts(start past its deadline): state %v aborted %t, want failed and aborted", tr.state[0], tr.aborted)
	}
	st := c.snapshot()
	var got policy.ResourceStatus
	for _, rs := range st.Nodes[1].Resources {
		if rs.ID == "vip" {
			got = rs
		}
	}
	if got.Role != policy.RoleStarted || !got.Failed {
		t.Fatalf("snapshot n2 vip = %+v, want started and failed (maybe active)", got)
	}
	tr := policy.Schedule(c.loop.cfg, st, clk.Now())
	stop := findAction(tr, policy.ActionStop, "vip", "n2")
	if stop < 0 {
		t.Fatalf("Schedule(after the start timed out on n2) = %v, want a stop of vip on n2", policy.Summarize(tr, st))
	}
	for _, s := range startsElsewhere(tr) {
		if !before(tr, stop, s) {
			t.Errorf("start of vip on %s is not ordered after the stop on n2", tr.Actions[s].Node)
		}
	}

	// That stop times out too: n2 must be fenced before vip starts elsewhere.
	c.sendTimed(tr.Actions[stop], clk.Now().Add(time.Second))
	clk.Advance(2 * time.Second)
	c.checkTimeouts()
	st = c.snapshot()
	tr = policy.Schedule(c.loop.cfg, st, clk.Now())
	fence := findAction(tr, policy.ActionFence, "", "n2")
	if fence < 0 {
		t.Fatalf("Schedule(after the stop timed out on n2) = %v, want n2 fenced", policy.Summarize(tr, st))
	}
	for _, s := range startsElsewhere(tr) {
		if !before(tr, fence, s) {
			t.Errorf("start of vip on %s is not ordered after the fence of n2", tr.Actions[s].Node)
		}
	}
}

func TestTimedOutStartCrossedByOlderReport(t *testing.T) {
	c, clk := timeoutController(t)
	clk.Advance(2 * time.Second)
	c.checkTimeouts()
	// A report built before the start reached n2 (same sequence, vip
	// stopped) arrives after the timeout: it settles nothing.
	r := &nodeReport{Node: "n2", Boot: "b2", Seqs: map[string]uint64{"vip": 2},
		Resources: []policy.ResourceStatus{{ID: "vip", Role: policy.RoleStopped}}}
	mergeOlder(c.loop.known["n2"], r)
	if rs := r.Resources[0]; rs.Role != policy.RoleStarted || !rs.Failed {
		t.Errorf("mergeOlder(older report) vip = %+v, want the timed-out start kept (started, failed)", rs)
	}
}

func TestTimedOutStartSettledByNewerState(t *testing.T) {
	c, clk := timeoutController(t)
	// The start's outcome reached the DC in a report (sequence 3: the
	// start failed and the resource is stopped) before its result.
	c.loop.known["n2"].Seqs["vip"] = 3
	clk.Advance(2 * time.Second)
	c.checkTimeouts()
	for _, rs := range c.loop.known["n2"].Resources {
		if rs.ID == "vip" && (rs.Role != policy.RoleStopped || rs.Failed) {
			t.Errorf("after a newer report, timed-out start recorded vip on n2 = %+v, want the report's state kept", rs)
		}
	}
}

func TestTimedOutStartOnLostNodeNotRecorded(t *testing.T) {
	c, clk := timeoutController(t)
	c.loop.mem.Members[1].State = heartbeat.StateDead
	clk.Advance(2 * time.Second)
	c.checkTimeouts()
	for _, rs := range c.loop.known["n2"].Resources {
		if rs.ID == "vip" && rs.Failed {
			t.Errorf("timed-out start on a lost node recorded vip on n2 = %+v, want it left to maybe/mayRun", rs)
		}
	}
}

// TestSettlingColdStartWaitsForUnknownNode pins Found 7 (seed 103): a DC
// whose daemon just started (the whole cluster restarted: nobody
// remembers a boot of n3) waits for n3 before scheduling, for the settle
// time, since n3's daemon may be restarting next to resources it left
// running; after that, startup fencing (startup_test.go) takes over.
func TestSettlingColdStartWaitsForUnknownNode(t *testing.T) {
	c, clk := timeoutController(t)
	c.runSince, c.settle = clk.Now(), 5*time.Second
	delete(c.loop.boots, "n3")
	c.loop.mem.Members = c.loop.mem.Members[:2]
	if got := c.settling(); got != "n3" {
		t.Errorf("settling() just after start, n3 never seen = %q, want %q", got, "n3")
	}
	clk.Advance(6 * time.Second)
	if got := c.settling(); got != "" {
		t.Errorf("settling() after the settle time = %q, want none", got)
	}
	c.runSince = clk.Now()
	c.loop.mem.Members = append(c.loop.mem.Members, heartbeat.Member{Name: "n3", State: heartbeat.StateAlive})
	if got := c.settling(); got != "" {
		t.Errorf("settling() with n3 present = %q, want none", got)
	}
}
