package postgres

import (
	"log/slog"
	"net"
	"strconv"
	"testing"
	"time"

	"github.com/ward-ha/ward/internal/clock/clocktest"
)

// closedPort returns a local TCP port nothing listens on.
func closedPort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := l.Addr().(*net.TCPAddr).Port
	l.Close()
	return p
}

func followRun(t *testing.T, a *Agent) *run {
	t.Helper()
	cfg, err := ParseConfig(map[string]string{"pgdata": t.TempDir(), "socket_dir": t.TempDir(),
		"node_hosts": "a=127.0.0.1:" + strconv.Itoa(closedPort(t)) + ",b=127.0.0.1:" + strconv.Itoa(closedPort(t))})
	if err != nil {
		t.Fatal(err)
	}
	return &run{a: a, cfg: cfg, node: "a", rsc: "db", log: slog.New(slog.DiscardHandler)}
}

// waitDone advances the fake clock until f ends, for up to 10 s of real
// time.
func waitDone(t *testing.T, clk *clocktest.Fake, f *follower) bool {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case <-f.done:
			return true
		case <-time.After(5 * time.Millisecond):
			clk.Advance(followInterval)
		}
	}
	return false
}

// TestFollowerLeaseEnds: a follower whose lease runs out ends by itself
// (its peer watchers with it), and a later monitor starts a new one; a
// follower that is stopped ends at once.
func TestFollowerLeaseEnds(t *testing.T) {
	clk := clocktest.NewFake(time.Unix(1e9, 0))
	a := New(Options{Clock: clk})
	r := followRun(t, a)
	a.follow(r, time.Second)
	a.mu.Lock()
	f := a.followers[r.followKey()]
	a.mu.Unlock()
	if f == nil {
		t.Fatal("follow(lease 1s) started no follower")
	}
	if !waitDone(t, clk, f) {
		t.Fatal("follower still running 10 s after its 1 s lease ran out (fake time advanced)")
	}
	// The peer is unreachable: its failures are remembered for promote.
	if !a.health.failedSince(r.cfg.peers("a")[0].addr(), time.Unix(0, 0)) {
		t.Errorf("peer b's failed connections are not recorded in the agent's peer health")
	}
	a.follow(r, time.Minute)
	a.mu.Lock()
	g := a.followers[r.followKey()]
	a.mu.Unlock()
	if g == nil || g == f {
		t.Fatalf("follow after the lease ended = %p, want a new follower (old %p)", g, f)
	}
	// Same lease, same parameters: the same follower.
	a.follow(r, time.Minute)
	if cur := current(a, r); cur != g {
		t.Fatalf("follow with the same parameters replaced the follower (%p -> %p)", g, cur)
	}
	// New parameters (the policy changed): a new follower, the old one ended.
	r2 := *r
	r2.cfg.NodeHosts = map[string]HostPort{"a": {Host: "127.0.0.1", Port: 1}, "c": {Host: "127.0.0.1", Port: closedPort(t)}}
	a.follow(&r2, time.Minute)
	if cur := current(a, r); cur == g || cur == nil {
		t.Fatalf("follow with new node_hosts kept the old follower")
	}
	select {
	case <-g.done:
	default:
		t.Fatal("the follower with the old parameters still runs")
	}
	g = current(a, r)
	stopped := make(chan struct{})
	go func() { a.stopFollower(r.followKey()); close(stopped) }()
	select {
	case <-stopped:
	case <-time.After(10 * time.Second):
		t.Fatal("stopFollower did not return within 10 s")
	}
	select {
	case <-g.done:
	default:
		t.Error("stopFollower returned before the follower ended")
	}
}

func current(a *Agent, r *run) *follower {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.followers[r.followKey()]
}
