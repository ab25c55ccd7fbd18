package sim

import (
	"context"
	"testing"
	"time"
)

// TestKnownBugFenceLoopAfterFailedStop pins a controller bug found by
// seed 215 (ward sim --seed 215 --faults 8), now fixed: once a stop failed
// on a node, the DC fenced that node, and after the fence succeeded it
// fenced it again on every transition while membership still showed the
// node (the snapshot kept the failed stop). The snapshot now reports a
// node whose current boot was fenced as offline. Want: one fence.
//
//	go test ./internal/sim -run TestKnownBug -v
func TestKnownBugFenceLoopAfterFailedStop(t *testing.T) {
	c, obs, _ := newTestCluster(t)
	names := c.names
	holder := c.holding("vip")[0]
	other := "n1"
	if holder == other {
		other = "n2"
	}
	// vip's stop hangs on its holder; a policy change moves vip away.
	if err := c.injectFault(holder, "vip", "stop", "hang sticky"); err != nil {
		t.Fatal(err)
	}
	if err := c.apply(simPolicy(names, other)); err != nil {
		t.Fatalf("apply: %v", err)
	}
	if _, ok := waitFor(context.Background(), 20*time.Second, func() bool { return obs.tally().Fenced[holder] >= 1 }); !ok {
		t.Fatalf("%s never fenced after its stop of vip hung", holder)
	}
	time.Sleep(3 * time.Second) // observation window: no further fence may happen
	if got := obs.tally().Fenced[holder]; got != 1 {
		t.Errorf("fences of %s after one failed stop = %d, want 1", holder, got)
	}
	if v := obs.result(); len(v) != 0 {
		t.Errorf("violations = %+v, want none", v)
	}
}
