package sim

import (
	"context"
	"strings"
	"testing"
	"time"
)

// TestLostNodeInFlightStartIsNotWaitedFor pins
// controller/leave_restart.go (failActionsOfGoneBoots): a node dies
// while a start is in flight to it (the start hangs; its timeout is
// 600 s). The DC does not wait for that timeout: the action fails at
// once, the start stays in what the node may run, so the node is
// unclean and fenced before vip runs elsewhere. Want: the node fenced
// and vip recovered on another node within a minute, and no invariant
// broken.
func TestLostNodeInFlightStartIsNotWaitedFor(t *testing.T) {
	c, obs, _ := newTestCluster(t)
	holder := c.holding("vip")[0]
	target := "n1"
	for _, n := range c.names {
		if n != holder {
			target = n
			break
		}
	}
	if err := c.injectFault(target, "vip", "start", "hang sticky"); err != nil {
		t.Fatal(err)
	}
	src := strings.Replace(simPolicy(c.names, target), "id = \"vip\"\nagent = \"dummy\"\n",
		"id = \"vip\"\nagent = \"dummy\"\n\n[[primitive.op]]\nname = \"start\"\ntimeout = \"600s\"\n", 1)
	if !strings.Contains(src, "600s") {
		t.Fatal("the policy template changed: no place for vip's start timeout")
	}
	if err := c.apply(src); err != nil {
		t.Fatalf("apply: %v", err)
	}
	if _, ok := waitFor(context.Background(), 20*time.Second, func() bool { return c.inflight(target)["vip"] != "" }); !ok {
		t.Fatalf("vip's start never reached %s: %s", target, describe(c))
	}
	c.crash(target)
	obs.topology()
	recovered := func() bool {
		for _, n := range c.holding("vip") {
			if n != target {
				return true
			}
		}
		return false
	}
	if _, ok := waitFor(context.Background(), 60*time.Second, recovered); !ok {
		t.Fatalf("vip not recovered within 60 s of %s's loss (its start in flight there has a 600 s timeout): %s", target, describe(c))
	}
	obs.sample()
	if got := obs.tally().Fenced[target]; got < 1 {
		t.Errorf("fences of %s (lost with a start in flight) = %d, want at least 1", target, got)
	}
	if v := obs.result(); len(v) != 0 {
		t.Errorf("violations = %v, want none", kinds(v))
	}
}
