package controller

import (
	"testing"
	"time"

	"github.com/ward-ha/ward/heartbeat"
	"github.com/ward-ha/ward/heartbeat/quorum"
	"github.com/ward-ha/ward/internal/clock/clocktest"
	"github.com/ward-ha/ward/policy"
)

// bareController returns a Controller with only what the lease and
// election arithmetic read: no cluster, no executor.
func bareController(t *testing.T, src string, present ...string) (*Controller, *clocktest.Fake) {
	t.Helper()
	cfg, err := policy.Parse("p.toml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	clk := clocktest.NewFake(time.Unix(1000, 0))
	timing, _ := heartbeat.Profile(heartbeat.ProfileLAN)
	st, err := OpenStore(t.TempDir(), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	c := &Controller{node: "n1", clk: clk, lease: timing.MinDeadAfter(3) / 2, store: st}
	c.loop.init(cfg, PolicyState{})
	mem := heartbeat.Membership{Self: "n1", Quorum: quorum.Result{Quorate: 2*len(present) > len(cfg.Nodes), Total: len(cfg.Nodes)}}
	for _, n := range cfg.Nodes {
		m := heartbeat.Member{Name: n.Name, Votes: 1, Self: n.Name == "n1", State: heartbeat.StateDead}
		for _, p := range present {
			if p == n.Name {
				m.State = heartbeat.StateAlive
			}
		}
		mem.Members = append(mem.Members, m)
	}
	c.loop.mem = mem
	return c, clk
}

func TestLeaseNeedsRecentAnswersFromAMajority(t *testing.T) {
	c, clk := bareController(t, clusterPolicy(3, ""), "n1", "n2", "n3")
	l := &c.loop
	if c.leaseValid() {
		t.Fatal("leaseValid() = true for a node that is not DC")
	}
	l.isDC, l.myTerm = true, 4
	if c.leaseValid() {
		t.Fatal("leaseValid() = true without any answer, want false (one vote of three)")
	}
	sent := clk.Now()
	c.onPong("n2", message{Kind: msgPong, Term: 4, Seq: uint64(sent.UnixNano())})
	if !c.leaseValid() {
		t.Fatal("leaseValid() = false with n2's fresh answer, want true (two votes of three)")
	}
	c.onPong("n3", message{Kind: msgPong, Term: 3, Seq: uint64(sent.UnixNano())})
	clk.Advance(c.lease - time.Millisecond)
	if !c.leaseValid() {
		t.Fatal("leaseValid() = false just before the lease ends, want true")
	}
	clk.Advance(time.Millisecond)
	if c.leaseValid() {
		t.Fatal("leaseValid() = true once the ping n2 answered is a lease old (n3 answered a stale term), want false")
	}
}

func TestPreferredAndMayVote(t *testing.T) {
	c, clk := bareController(t, clusterPolicy(3, ""), "n1", "n2", "n3")
	if got := c.preferred(); got != "n1" {
		t.Errorf("preferred() = %q, want n1 (lowest name)", got)
	}
	c.loop.cfg.Nodes[2].Priority = 10
	if got := c.preferred(); got != "n3" {
		t.Errorf("preferred() with n3 at priority 10 = %q, want n3", got)
	}
	if ok, why := c.mayVote("n2"); ok {
		t.Errorf("mayVote(n2) = true, want false: this node prefers n3")
	} else if why == "" {
		t.Errorf("mayVote(n2) gives no reason")
	}
	// Having answered n1's lease ping just now, the node votes for no
	// one else until a lease has passed.
	c.loop.pingDC, c.loop.lastPong = "n1", clk.Now()
	if ok, _ := c.mayVote("n3"); ok {
		t.Errorf("mayVote(n3) right after answering DC n1 = true, want false")
	}
	clk.Advance(c.lease)
	if ok, why := c.mayVote("n3"); !ok {
		t.Errorf("mayVote(n3) a lease after the last answer = false (%s), want true", why)
	}
	c2, _ := bareController(t, clusterPolicy(3, ""), "n1")
	if ok, _ := c2.mayVote("n1"); ok || c2.preferred() != "" {
		t.Errorf("without quorum: mayVote = true or preferred = %q, want no vote and no preference", c2.preferred())
	}
}
