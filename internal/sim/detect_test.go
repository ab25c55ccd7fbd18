package sim

import (
	"context"
	"io"
	"slices"
	"testing"
	"time"
)

// newTestCluster boots a 3-node simulated cluster and waits for the
// initial placement.
func newTestCluster(t *testing.T) (*cluster, *observer, *netModel) {
	t.Helper()
	names := nodeNames(3)
	model := &netModel{cuts: map[[2]string]bool{}, frozen: map[string]bool{}}
	obs := &observer{begin: time.Now(), names: names, needed: 2, grace: 3 * time.Second,
		singles: []string{"vip"}, promos: map[string]int{"db": 1},
		isFrozen: model.isFrozen, reachable: model.reachable,
		minoritySince: map[string]time.Time{}, lost: map[string]*lostNode{}, dcs: map[uint64]map[string]bool{}, seen: map[string]bool{}}
	c, err := newCluster(t.TempDir(), simPolicy(names, ""), obs, io.Discard, 0)
	if err != nil {
		t.Fatal(err)
	}
	obs.roleOn, obs.isUp, obs.inflight = c.roleOn, c.isUp, c.inflight
	t.Cleanup(c.shutdown)
	for _, n := range names {
		if err := c.start(n); err != nil {
			t.Fatal(err)
		}
	}
	obs.topology()
	if _, ok := waitFor(context.Background(), 20*time.Second, func() bool { return converged(c, map[string]string{}) }); !ok {
		t.Fatalf("no initial placement: %s", describe(c))
	}
	return c, obs, model
}

// TestSimDetectsLyingFence breaks the fencing device on purpose (it
// answers success without powering the node off) and checks that the
// invariants catch what follows: the crashed node still runs vip when
// the cluster recovers it elsewhere.
func TestSimDetectsLyingFence(t *testing.T) {
	c, obs, _ := newTestCluster(t)
	c.mu.Lock()
	c.lying = true
	c.mu.Unlock()
	holder := c.holding("vip")[0]
	c.crash(holder)
	obs.topology()
	if _, ok := waitFor(context.Background(), 20*time.Second, func() bool { return len(c.holding("vip")) > 1 }); !ok {
		t.Fatalf("vip never recovered after the (lying) fence of %s: %s", holder, describe(c))
	}
	obs.sample()
	got := kinds(obs.result())
	for _, want := range []string{"two-active", "recovered-before-fencing"} {
		if !slices.Contains(got, want) {
			t.Errorf("violations with a lying fence device = %v, want %s among them", got, want)
		}
	}
}
