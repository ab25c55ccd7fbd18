package controller

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/ward-ha/ward/api"
)

// TestClusterOperatorFence: `ward fence` through the API. A member that
// is not the DC refuses (the API server forwards to the DC); the DC
// fences n2 (which runs vip) itself, records the operator in the
// history, announces it to every member and recovers vip elsewhere,
// once. Fencing the DC itself runs on another member, never on the
// victim; a device that fails is an answer with OK false, recorded and
// announced, and nothing moves.
func TestClusterOperatorFence(t *testing.T) {
	h, dc := vipOnN2(t)
	other := "n3"
	if dc == "n3" {
		other = "n1"
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	var ae *api.Error
	if _, err := h.nodes[other].ctrl.Fence(ctx, api.FenceRequest{Node: "n2"}); !errors.As(err, &ae) || ae.Code != api.CodeNotDC {
		t.Fatalf("Fence on member %s = %v, want not_dc", other, err)
	}
	if _, err := h.nodes[dc].ctrl.Fence(ctx, api.FenceRequest{Node: "n9"}); !errors.As(err, &ae) || ae.Code != api.CodeUnknownNode {
		t.Fatalf("Fence(n9) = %v, want unknown_node", err)
	}

	// The DC itself, with a device that fails: run by another member.
	h.mu.Lock()
	h.fenceFails[dc] = true
	h.mu.Unlock()
	res, err := h.nodes[dc].ctrl.Fence(ctx, api.FenceRequest{Node: dc, Action: api.FenceOff, RequestedBy: "operator t on " + other})
	if err != nil || res.OK || res.Executor == dc || res.Executor == "" || !strings.Contains(res.Error, "does not answer") {
		t.Fatalf("Fence(DC %s, failing device) = %+v, %v; want a failure run by another member", dc, res, err)
	}
	h.mu.Lock()
	up := h.nodes[dc].up
	h.mu.Unlock()
	if !up || len(h.running("vip")) != 1 {
		t.Fatalf("after a failed fence of the DC: up %t, vip on %v; want nothing changed", up, h.running("vip"))
	}

	// n2 (runs vip), fenced by the DC itself.
	mark := h.mark()
	res, err = h.nodes[dc].ctrl.Fence(ctx, api.FenceRequest{Node: "n2", RequestedBy: "operator t on " + other})
	if err != nil || !res.OK || res.Executor != dc || res.Device != "lab-power" {
		t.Fatalf("Fence(n2) = %+v, %v; want OK by %s through lab-power", res, err, dc)
	}
	h.eventually(15*time.Second, "vip recovered off n2", func() bool {
		r := h.running("vip")
		return len(r) == 1 && r[0] != "n2"
	})
	if i := h.eventIndex(mark, "fence", "n2", ""); i >= 0 && h.eventIndex(i+1, "fence", "n2", "") >= 0 {
		t.Errorf("n2 fenced twice after the operator's fence")
	}
	for _, n := range []string{dc, other} {
		var got []string
		h.eventually(5*time.Second, n+" has both records", func() bool {
			got = got[:0]
			for _, r := range h.nodes[n].store.Fencing() {
				if r.RequestedBy == "operator t on "+other {
					got = append(got, r.Target+"/"+map[bool]string{true: "ok", false: "failed"}[r.OK])
				}
			}
			return strings.Join(got, ",") == dc+"/failed,n2/ok"
		})
	}
}

// vipOnN2 starts a three-node cluster whose vip prefers n2, waits for
// vip there and returns the harness and the DC (never n2).
func vipOnN2(t *testing.T) (*harness, string) {
	t.Helper()
	h := newHarness(t, clusterPolicy(3, vipPolicy+strings.Replace(preferN1, `"n1"`, `"n2"`, 1)))
	dc := startAll(t, h)
	h.eventually(15*time.Second, "vip on n2", func() bool {
		r := h.running("vip")
		return len(r) == 1 && r[0] == "n2"
	})
	if dc == "n2" {
		t.Skip("the DC runs vip; the test wants them apart") // names sort: n1 is DC
	}
	return h, dc
}
