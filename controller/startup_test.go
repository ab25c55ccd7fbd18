package controller

import (
	"testing"
	"time"

	"github.com/ward-ha/ward/policy"
)

// coldStartController is timeoutController after a cold start of the
// whole cluster: n1 (DC) and n2 present, n3 absent and never seen.
func coldStartController(t *testing.T) (*Controller, func(time.Duration)) {
	t.Helper()
	c, clk := timeoutController(t)
	c.runSince, c.settle = clk.Now(), 5*time.Second
	c.noteStartNodes()
	delete(c.loop.boots, "n3")
	delete(c.loop.known, "n3")
	delete(c.loop.joined, "n3")
	c.loop.mem.Members = c.loop.mem.Members[:2]
	return c, clk.Advance
}

func nodeState(st policy.Status, name string) policy.NodeStatus {
	for _, n := range st.Nodes {
		if n.Name == name {
			return n
		}
	}
	return policy.NodeStatus{}
}

func TestStartupFencingMarksUnseenNodeAfterSettle(t *testing.T) {
	c, advance := coldStartController(t)
	c.markUnseen()
	if got := nodeState(c.snapshot(), "n3").State; got != policy.NodeOffline {
		t.Errorf("n3 before the settle time = %s, want %s (it may still be joining)", got, policy.NodeOffline)
	}
	advance(6 * time.Second)
	c.markUnseen()
	ns := nodeState(c.snapshot(), "n3")
	if ns.State != policy.NodeUnclean {
		t.Fatalf("n3 never seen, after the settle time = %s, want %s (startup fencing)", ns.State, policy.NodeUnclean)
	}
	if len(ns.Resources) == 0 {
		t.Errorf("unseen n3 may run %v, want every resource of the policy (nothing is known of it)", ns.Resources)
	}
	if b := c.loop.boots["n3"].ID; !isStartupBoot(b) {
		t.Errorf("boot of n3 = %q, want a startup placeholder", b)
	}
	if got := c.settling(); got != "" {
		t.Errorf("settling() with n3's placeholder = %q, want none (no second wait)", got)
	}
	// The fence succeeds: n3 is clean (offline), and stays so.
	c.recordFence(FenceRecord{Target: "n3", Boot: c.loop.boots["n3"].ID, OK: true})
	c.markUnseen()
	if got := nodeState(c.snapshot(), "n3").State; got != policy.NodeOffline {
		t.Errorf("n3 after its startup fence = %s, want %s", got, policy.NodeOffline)
	}
}

func TestStartupFencingOff(t *testing.T) {
	c, advance := coldStartController(t)
	off := false
	c.loop.cfg.Cluster.StartupFencing = &off
	advance(6 * time.Second)
	c.markUnseen()
	if got := nodeState(c.snapshot(), "n3").State; got != policy.NodeOffline {
		t.Errorf("n3 never seen with startup_fencing = false = %s, want %s", got, policy.NodeOffline)
	}
}

func TestStartupFencingSkipsNodesAddedLater(t *testing.T) {
	c, advance := coldStartController(t)
	delete(c.startNodes, "n3") // n3 came with a policy applied after this daemon started
	advance(6 * time.Second)
	c.markUnseen()
	if got := nodeState(c.snapshot(), "n3").State; got != policy.NodeOffline {
		t.Errorf("n3 added after the start, never seen = %s, want %s (a new machine ran nothing)", got, policy.NodeOffline)
	}
}

func TestStartupFencingRealBootReplacesPlaceholder(t *testing.T) {
	c, advance := coldStartController(t)
	advance(6 * time.Second)
	c.markUnseen()
	c.loop.mergeBoot("n3", bootInfo{ID: "b3new", Started: 7}, time.Unix(2000, 0))
	if got := c.loop.boots["n3"].ID; got != "b3new" {
		t.Errorf("boot of n3 after gossip showed a real one = %q, want b3new", got)
	}
}

// A member learns the placeholder from the DC's announcement of the
// fence, so its next report makes a later DC see n3 as fenced; a record
// from a persisted history (an earlier run's placeholder) covers
// nothing in this run.
func TestStartupFencingAnnouncementCoversLaterDC(t *testing.T) {
	c, advance := coldStartController(t)
	old := FenceRecord{Target: "n3", Boot: startupBootPrefix + "n2:oldrun", OK: true}
	c.recordFence(old) // replayed from n2's history at the join
	advance(6 * time.Second)
	c.markUnseen()
	if got := nodeState(c.snapshot(), "n3").State; got != policy.NodeUnclean {
		t.Errorf("n3 with only an earlier run's startup fence = %s, want %s", got, policy.NodeUnclean)
	}

	m, _ := coldStartController(t)
	rec := FenceRecord{Target: "n3", Boot: startupBootPrefix + "n2:thisrun", OK: true}
	m.learnStartupBoot(rec)
	m.recordFence(rec)
	if got := m.loop.boots["n3"].ID; got != rec.Boot {
		t.Fatalf("member's boot of n3 after the announcement = %q, want %q", got, rec.Boot)
	}
	if m.unclean("n3") {
		t.Errorf("unclean(n3) on a member that saw its startup fence = true, want false")
	}
}

// TestStartupFencingCoversNodesOfACaughtUpPolicy: a daemon started on an
// older epoch catches up during the cold-start wait with a policy that
// added n4 while it was away; n4, never seen, is startup-fenced like the
// others. A catch-up after the wait adds nothing (and an apply never
// calls it: adopt with catchUp false).
func TestStartupFencingCoversNodesOfACaughtUpPolicy(t *testing.T) {
	c, advance := coldStartController(t)
	four, err := policy.Parse("test.toml", []byte(clusterPolicy(4, vipPolicy)))
	if err != nil {
		t.Fatal(err)
	}
	c.loop.cfg = four
	c.noteCatchUpNodes() // as adopt does for a catch-up, during the wait
	advance(6 * time.Second)
	c.markUnseen()
	if got := nodeState(c.snapshot(), "n4").State; got != policy.NodeUnclean {
		t.Errorf("n4 of a policy caught up with during the wait = %s, want %s", got, policy.NodeUnclean)
	}

	late, advanceLate := coldStartController(t)
	advanceLate(6 * time.Second)
	late.loop.cfg = four
	late.noteCatchUpNodes() // a catch-up after the wait
	late.markUnseen()
	if got := nodeState(late.snapshot(), "n4").State; got != policy.NodeOffline {
		t.Errorf("n4 added by an apply after the wait = %s, want %s", got, policy.NodeOffline)
	}
}
