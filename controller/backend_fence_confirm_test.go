package controller

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/ward-ha/ward/api"
)

// TestClusterFenceConfirm: `ward fence confirm`. The DC refuses it for a
// node that is up. Once n2 (running vip) crashed with a device that
// cannot fence it, vip stays where it is (recovery waits for the fence);
// the operator's confirmation is recorded as n2's fencing, announced to
// the members, and vip is recovered elsewhere, once.
func TestClusterFenceConfirm(t *testing.T) {
	h, dc := vipOnN2(t)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	var ae *api.Error
	if _, err := h.nodes[dc].ctrl.Fence(ctx, api.FenceRequest{Node: "n2", Action: api.FenceConfirm}); !errors.As(err, &ae) || ae.Code != api.CodeConflict {
		t.Fatalf("Fence(n2, confirm) while n2 is up = %v, want conflict", err)
	}

	h.mu.Lock()
	h.fenceFails["n2"] = true
	h.mu.Unlock()
	h.crash("n2")
	h.eventually(15*time.Second, "a failed fence of n2", func() bool {
		for _, r := range h.nodes[dc].store.Fencing() {
			if r.Target == "n2" && !r.OK {
				return true
			}
		}
		return false
	})
	if r := h.running("vip"); len(r) != 1 || r[0] != "n2" {
		t.Fatalf("vip on %v while n2 cannot be fenced, want [n2] (recovery waits for the fence)", r)
	}

	// The operator pulls n2's plug by hand, then confirms.
	if err := h.kill("n2"); err != nil {
		t.Fatal(err)
	}
	res, err := h.nodes[dc].ctrl.Fence(ctx, api.FenceRequest{Node: "n2", Action: api.FenceConfirm, RequestedBy: "operator t"})
	if err != nil || !res.OK || res.Action != api.FenceConfirm || res.Executor != dc {
		t.Fatalf("Fence(n2, confirm) after the crash = %+v, %v; want OK, action confirm, recorded by %s", res, err, dc)
	}
	h.eventually(15*time.Second, "vip recovered off n2", func() bool {
		r := h.running("vip")
		return len(r) == 1 && r[0] != "n2"
	})
	for n := range h.nodes {
		if n == "n2" {
			continue
		}
		h.eventually(5*time.Second, n+" has the confirmation in its history", func() bool {
			for _, r := range h.nodes[n].store.Fencing() {
				if r.Target == "n2" && r.OK && r.Action == api.FenceConfirm && r.RequestedBy == "operator t" {
					return true
				}
			}
			return false
		})
	}
}
