package controller

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/ward-ha/ward/api"
)

func TestClusterEpochConflictStopsSchedulingUntilApply(t *testing.T) {
	src := clusterPolicy(3, vipPolicy)
	h := newHarness(t, src)
	other := src + "\n# edited by hand on n3 only\n"
	h.saved["n3"] = []string{other}
	for _, n := range h.sortedNodes() {
		h.start(n)
	}
	var dc string
	h.eventually(15*time.Second, "a DC", func() bool { dc = h.dc(); return dc != "" })
	h.eventually(10*time.Second, "the conflict alert", func() bool {
		return strings.Contains(h.nodes[dc].logs.String(), "two different policies have the same epoch")
	})
	// The DC may have scheduled before n3 joined; from the alert on, it
	// schedules nothing.
	before := strings.Count(h.nodes[dc].logs.String(), "new transition")
	time.Sleep(500 * time.Millisecond) // observation window: nothing may be scheduled
	if after := strings.Count(h.nodes[dc].logs.String(), "new transition"); after != before {
		t.Fatalf("the DC started %d transitions while the policies conflict", after-before)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	res, err := h.nodes[dc].ctrl.ApplyPolicy(ctx, api.ApplyRequest{Source: src + "\n# settled\n"})
	if err != nil || !res.Applied || res.Epoch != 2 {
		t.Fatalf("ApplyPolicy = %+v, %v; want applied at epoch 2", res, err)
	}
	h.eventually(15*time.Second, "vip runs once the operator settled the policy", func() bool { return len(h.running("vip")) == 1 })
	for _, n := range h.sortedNodes() {
		if e := h.nodes[n].store.Policy().Epoch; e != 2 {
			t.Errorf("%s: epoch %d, want 2", n, e)
		}
	}
}

func TestClusterHigherEpochWinsAtJoin(t *testing.T) {
	src := clusterPolicy(3, "")
	h := newHarness(t, src)
	// n3 holds epoch 2, which adds vip; n1 (the DC) and n2 hold epoch 1.
	h.saved["n3"] = []string{src, clusterPolicy(3, vipPolicy)}
	for _, n := range h.sortedNodes() {
		h.start(n)
	}
	h.eventually(20*time.Second, "every node at epoch 2 and vip running", func() bool {
		for _, n := range h.sortedNodes() {
			if h.nodes[n].store.Policy().Epoch != 2 {
				return false
			}
		}
		return len(h.running("vip")) == 1
	})
	if dc := h.dc(); dc != "n1" {
		t.Errorf("DC = %q, want n1", dc)
	}
}
