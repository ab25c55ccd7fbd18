package controller

import (
	"strings"
	"testing"
	"time"

	"github.com/ward-ha/ward/alert"
	"github.com/ward-ha/ward/api"
	"github.com/ward-ha/ward/api/eventlog"
	"github.com/ward-ha/ward/policy"
)

// TestClusterFencingFailureRaisesAlert: n1 (runs vip) is lost and its
// device fails. Recovery is blocked (vip starts nowhere), every failed
// attempt becomes a critical fencing event of the event log (the daemon
// feeds it the DC's status) that an [[alert]] choosing "fencing"
// receives, and once the device works vip runs once, on another node
// (the harness checks vip never runs on two nodes at any time).
func TestClusterFencingFailureRaisesAlert(t *testing.T) {
	h := newHarness(t, clusterPolicy(3, vipPolicy+preferN1))
	startAll(t, h)
	mark := h.mark()
	h.mu.Lock()
	h.fenceFails["n1"] = true
	h.mu.Unlock()
	h.crash("n1")
	tr := eventlog.NewTracker(nil)
	pager := policy.Alert{ID: "pager", Kind: "exec", Path: "/bin/true", Events: []string{"fencing"}}
	var alerts []api.Event
	h.eventually(20*time.Second, "an alert for a failed fencing of n1", func() bool {
		dc := h.dc()
		if dc == "" || dc == "n1" {
			return false
		}
		for _, e := range tr.Step(h.status(dc), nil, time.Now()) {
			if alert.Wants(pager, e.Kind) {
				alerts = append(alerts, e)
			}
		}
		for _, e := range alerts {
			if e.Kind == api.EventFencing && e.Node == "n1" && e.Severity == api.SeverityCritical && strings.Contains(e.Message, "does not answer") {
				return true
			}
		}
		return false
	})
	if i := h.eventIndex(mark, "start", "", "vip"); i >= 0 {
		t.Fatalf("vip started (%+v) while n1's fencing failed", h.event(i))
	}
	for _, e := range alerts {
		if e.Kind != api.EventFencing {
			t.Errorf("the fencing-only alert got a %s event: %+v", e.Kind, e)
		}
	}
	h.mu.Lock()
	h.fenceFails["n1"] = false
	h.mu.Unlock()
	h.eventually(20*time.Second, "vip recovered once n1 is fenced", func() bool {
		r := h.running("vip")
		return len(r) == 1 && r[0] != "n1"
	})
	starts := 0
	for i := mark; ; i++ {
		j := h.eventIndex(i, "start", "", "vip")
		if j < 0 {
			break
		}
		starts, i = starts+1, j
	}
	if starts != 1 {
		t.Errorf("vip started %d times after n1 was lost, want once", starts)
	}
}
