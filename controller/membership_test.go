package controller

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ward-ha/ward/api"
)

// growPolicy is clusterPolicy(n) with vip, and r4 preferring n4 when n4
// is listed.
func growPolicy(n int) string {
	extra := vipPolicy + `
[[primitive]]
id = "r4"
agent = "dummy"
`
	if n >= 4 {
		extra += `
[[location]]
id = "r4-on-n4"
resource = "r4"
node = "n4"
score = "INFINITY"
`
	}
	return clusterPolicy(n, extra)
}

func (h *harness) apply(dc, src string) (api.ApplyResult, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	return h.nodes[dc].ctrl.ApplyPolicy(ctx, api.ApplyRequest{Source: src})
}

func TestMembershipGrowThenShrink(t *testing.T) {
	h := newHarness(t, growPolicy(4))
	for _, n := range []string{"n1", "n2", "n3"} {
		h.saved[n] = []string{growPolicy(3)}
	}
	h.saved["n4"] = []string{growPolicy(4)}
	for _, n := range []string{"n1", "n2", "n3"} {
		h.start(n)
	}
	var dc string
	h.eventually(15*time.Second, "a DC and r4 running", func() bool { dc = h.dc(); return dc != "" && len(h.running("r4")) == 1 })

	// Two votes at once are refused: 3 -> 5 nodes.
	if _, err := h.apply(dc, clusterPolicy(5, "")); err == nil || !strings.Contains(err.Error(), "one vote at a time") {
		t.Errorf("ApplyPolicy(3 -> 5 nodes) = %v, want a refusal asking for one vote at a time", err)
	}
	// Grow: the policy lists n4; every member admits it from now on.
	res, err := h.apply(dc, growPolicy(4))
	if err != nil || !res.Applied || res.Epoch != 2 {
		t.Fatalf("ApplyPolicy(add n4) = %+v, %v; want applied at epoch 2", res, err)
	}
	for _, n := range []string{"n1", "n2", "n3"} {
		if q := h.nodes[n].hb.Membership().Quorum; q.Total != 4 || !q.Quorate {
			t.Errorf("%s after the apply: quorum %+v, want total 4 and quorate", n, q)
		}
	}
	h.start("n4")
	h.eventually(20*time.Second, "r4 on n4, n4 at epoch 2", func() bool {
		r := h.running("r4")
		return len(r) == 1 && r[0] == "n4" && h.nodes["n4"].store.Policy().Epoch == 2
	})
	if q := h.status(dc).Quorum; q.Votes != 4 || q.Expected != 4 {
		t.Errorf("status quorum after n4 joined = %+v, want 4 of 4 votes", q)
	}

	// Shrink: refused while n4 runs r4.
	shrunk := growPolicy(3) + "\n# without n4\n"
	_, err = h.apply(dc, shrunk)
	var ae *api.Error
	if !errors.As(err, &ae) || ae.Code != api.CodeConflict || !strings.Contains(ae.Message, "n4 still runs r4") {
		t.Fatalf("ApplyPolicy(remove n4 while it runs r4) = %v, want a conflict naming r4", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := h.nodes[dc].ctrl.SetNode(ctx, api.NodeRequest{Node: "n4", Action: api.ActionStandby}); err != nil {
		t.Fatal(err)
	}
	h.eventually(20*time.Second, "r4 moved off n4", func() bool {
		r := h.running("r4")
		return len(r) == 1 && r[0] != "n4"
	})
	h.eventually(20*time.Second, "the removal accepted", func() bool {
		res, err = h.apply(dc, shrunk)
		return err == nil && res.Applied
	})
	h.eventually(10*time.Second, "n4 stopped taking part", func() bool {
		return strings.Contains(h.nodes["n4"].logs.String(), "this node was removed from the cluster")
	})
	for _, n := range []string{"n1", "n2", "n3"} {
		m := h.nodes[n].hb.Membership()
		if _, ok := m.Member("n4"); ok || m.Quorum.Total != 3 || !m.Quorum.Quorate {
			t.Errorf("%s after removing n4: members %v, quorum %+v; want 3 nodes, total 3, quorate", n, m.Present(), m.Quorum)
		}
	}
	if r := h.running("r4"); len(r) != 1 || slices.Contains(r, "n4") {
		t.Errorf("r4 runs on %v after the removal, want one of n1-n3", r)
	}
	kept := make(chan bool, 1)
	if err := h.nodes[dc].ctrl.call(ctx, func(context.Context) { _, ok := h.nodes[dc].ctrl.loop.flags["n4"]; kept <- ok }); err != nil {
		t.Fatal(err)
	}
	if <-kept {
		t.Errorf("the DC keeps n4's runtime flags (standby) after its removal, want them forgotten")
	}
}

func TestMembershipRemovalRefusedWhileAStayingNodeIsDown(t *testing.T) {
	h := newHarness(t, clusterPolicy(4, vipPolicy))
	for _, n := range h.sortedNodes() {
		h.start(n)
	}
	var dc string
	h.eventually(15*time.Second, "a DC and vip running", func() bool { dc = h.dc(); return dc != "" && len(h.running("vip")) == 1 })
	victim := "n2"
	if dc == victim {
		victim = "n3"
	}
	h.stop(victim)
	h.eventually(10*time.Second, victim+" seen gone", func() bool {
		m, _ := h.nodes[dc].hb.Membership().Member(victim)
		return !m.State.Present()
	})
	// Removing n4 while victim (which stays) is down would leave two
	// configurations and a node that knows neither up to date.
	_, err := h.apply(dc, clusterPolicy(3, vipPolicy))
	if err == nil || !strings.Contains(err.Error(), "node "+victim+" is not up") {
		t.Errorf("ApplyPolicy(remove n4 while %s is down) = %v, want a refusal naming %s", victim, err, victim)
	}
}

// policyWithout returns clusterPolicy(n, vipPolicy) without node drop.
func policyWithout(t *testing.T, n int, drop string) string {
	t.Helper()
	src := clusterPolicy(n, vipPolicy)
	block := fmt.Sprintf("[[node]]\nname = %q\naddresses = [\"10.1.0.%s:7946\"]\n\n", drop, strings.TrimPrefix(drop, "n"))
	if !strings.Contains(src, block) {
		t.Fatalf("no block for %s in the policy", drop)
	}
	src = strings.Replace(src, block, "", 1)
	return strings.NewReplacer(fmt.Sprintf("%q, ", drop), "", fmt.Sprintf(", %q", drop), "").Replace(src)
}

func TestMembershipRemovalOfLostNodeWaitsForItsFencing(t *testing.T) {
	h := newHarness(t, clusterPolicy(4, vipPolicy))
	for _, n := range h.sortedNodes() {
		h.start(n)
	}
	var dc string
	h.eventually(15*time.Second, "a DC and vip running", func() bool { dc = h.dc(); return dc != "" && len(h.running("vip")) == 1 })
	victim := "n4"
	if dc == victim {
		t.Fatalf("n4 is the DC; n1 sorts first and should be")
	}
	h.mu.Lock()
	h.fenceFails[victim] = true
	h.mu.Unlock()
	h.crash(victim)
	h.eventually(10*time.Second, victim+" seen lost", func() bool {
		m, _ := h.nodes[dc].hb.Membership().Member(victim)
		return !m.State.Present()
	})
	src := policyWithout(t, 4, victim)
	if _, err := h.apply(dc, src); err == nil || !strings.Contains(err.Error(), "lost and not fenced") {
		t.Errorf("ApplyPolicy(remove the unfenced %s) = %v, want a refusal until it is fenced", victim, err)
	}
	h.mu.Lock()
	h.fenceFails[victim] = false
	h.mu.Unlock()
	h.eventually(40*time.Second, "the removal accepted once "+victim+" is fenced", func() bool {
		res, err := h.apply(dc, src)
		return err == nil && res.Applied
	})
	if q := h.nodes[dc].hb.Membership().Quorum; q.Total != 3 || !q.Quorate {
		t.Errorf("quorum after removing %s = %+v, want total 3, quorate", victim, q)
	}
}

func TestMembershipDCCannotRemoveItself(t *testing.T) {
	h := newHarness(t, clusterPolicy(3, vipPolicy))
	for _, n := range h.sortedNodes() {
		h.start(n)
	}
	var dc string
	h.eventually(15*time.Second, "a DC and vip running", func() bool { dc = h.dc(); return dc != "" && len(h.running("vip")) == 1 })
	var err error
	h.eventually(10*time.Second, "every member joined", func() bool {
		_, err = h.apply(dc, policyWithout(t, 3, dc))
		return err == nil || !strings.Contains(err.Error(), "has not confirmed")
	})
	if err == nil || !strings.Contains(err.Error(), "a DC cannot remove itself") {
		t.Errorf("ApplyPolicy(remove the DC %s) = %v, want a refusal", dc, err)
	}
	// A dry run says the same, as a warning.
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	res, err := h.nodes[dc].ctrl.ApplyPolicy(ctx, api.ApplyRequest{Source: policyWithout(t, 3, dc), DryRun: true})
	if err != nil || res.Applied || !strings.Contains(strings.Join(res.Warnings, "\n"), "a DC cannot remove itself") {
		t.Errorf("dry run of removing the DC = %+v, %v; want a warning that applying would be refused", res, err)
	}
}
