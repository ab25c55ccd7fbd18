package controller

import (
	"testing"

	"github.com/ward-ha/ward/policy"
)

// TestSeqsReportOlderThanResult pins the fix of seed 4123 (two-active):
// n2's report, built before the start of vip reached n2, arrived at the
// DC after the start's result. The DC must keep vip started on n2.
func TestSeqsReportOlderThanResult(t *testing.T) {
	c, _ := bareController(t, clusterPolicy(3, vipPolicy), "n1", "n2", "n3")
	l := &c.loop
	l.isDC, l.myTerm = true, 1
	l.boots["n2"] = bootInfo{ID: "b2", Started: 10}
	held := &nodeReport{Node: "n2", Boot: "b2", Started: 10, Resources: []policy.ResourceStatus{{ID: "vip", Role: policy.RoleStopped}},
		Seqs: map[string]uint64{"vip": 3}}
	l.known["n2"], l.joined["n2"] = held, held

	// The start's result (history up to seq 4).
	if !l.applyResult("n2", &resultMsg{Resource: &policy.ResourceStatus{ID: "vip", Role: policy.RoleStarted}, Seq: 4, Boot: "b2"}) {
		t.Fatal("applyResult(start of vip, seq 4) = false, want applied")
	}
	// The report sent before the start arrived (seq 3, vip stopped).
	late := &nodeReport{Node: "n2", Boot: "b2", Started: 10, Resources: []policy.ResourceStatus{{ID: "vip", Role: policy.RoleStopped}},
		Seqs: map[string]uint64{"vip": 3}}
	c.onState(t.Context(), "n2", message{Kind: msgState, Term: 1, State: late})
	if got := roleOf(l.known["n2"].Resources, "vip"); got != policy.RoleStarted {
		t.Errorf("vip on n2 after a late report (seq 3) following the start's result (seq 4) = %s, want %s", got, policy.RoleStarted)
	}
	// A result older than the report held is ignored too.
	if l.applyResult("n2", &resultMsg{Resource: &policy.ResourceStatus{ID: "vip", Role: policy.RoleStopped}, Seq: 2, Boot: "b2"}) {
		t.Error("applyResult(seq 2 after seq 4) = true, want ignored")
	}
	// A result of an earlier boot is ignored.
	if l.applyResult("n2", &resultMsg{Resource: &policy.ResourceStatus{ID: "vip", Role: policy.RoleStopped}, Seq: 9, Boot: "old"}) {
		t.Error("applyResult(result of an earlier boot) = true, want ignored")
	}
	// A newer report wins.
	newer := &nodeReport{Node: "n2", Boot: "b2", Started: 10, Resources: []policy.ResourceStatus{{ID: "vip", Role: policy.RoleStopped}},
		Seqs: map[string]uint64{"vip": 5}}
	c.onState(t.Context(), "n2", message{Kind: msgState, Term: 1, State: newer})
	if got := roleOf(l.known["n2"].Resources, "vip"); got != policy.RoleStopped {
		t.Errorf("vip on n2 after a report of seq 5 = %s, want %s", got, policy.RoleStopped)
	}
	// Same history, but the report adds a start in flight: more active wins.
	inflight := &nodeReport{Node: "n2", Boot: "b2", Started: 10, Resources: []policy.ResourceStatus{{ID: "vip", Role: policy.RoleStarted}},
		Seqs: map[string]uint64{"vip": 5}}
	c.onState(t.Context(), "n2", message{Kind: msgState, Term: 1, State: inflight})
	if got := roleOf(l.known["n2"].Resources, "vip"); got != policy.RoleStarted {
		t.Errorf("vip on n2 after a report of the same seq with a start in flight = %s, want %s", got, policy.RoleStarted)
	}
}
