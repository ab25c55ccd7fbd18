package controller

import (
	"context"
	"strings"

	"errors"
	"github.com/ward-ha/ward/api"
	"github.com/ward-ha/ward/policy"
	"testing"
	"time"
)

// startAll boots every node and waits for one DC and vip running.
func startAll(t testing.TB, h *harness) string {
	t.Helper()
	for _, n := range h.sortedNodes() {
		h.start(n)
	}
	var dc string
	h.eventually(15*time.Second, "one DC agreed by every node", func() bool {
		dc = h.dc()
		return dc != ""
	})
	h.eventually(15*time.Second, "vip running on exactly one node", func() bool {
		return len(h.running("vip")) == 1 && len(h.placed(dc, "vip")) == 1
	})
	return dc
}

func TestClusterElectsOneDCAndStartsOnce(t *testing.T) {
	h := newHarness(t, clusterPolicy(3, vipPolicy))
	dc := startAll(t, h)
	if dc != "n1" {
		t.Errorf("DC = %s, want n1 (first by name)", dc)
	}
	// Stable: nothing moves, nothing restarts.
	before := h.eventIndex(0, "start", "", "vip")
	time.Sleep(500 * time.Millisecond) // observation window: nothing must happen
	if got := h.running("vip"); len(got) != 1 {
		t.Fatalf("running(vip) = %v, want one node", got)
	}
	if again := h.eventIndex(before+1, "start", "", "vip"); again >= 0 {
		t.Errorf("vip started again: %+v", h.event(again))
	}
}

const preferN1 = `
[[location]]
id = "vip-prefers-n1"
resource = "vip"
node = "n1"
score = "100"
`

func TestClusterDCKilledRecoversAfterFencing(t *testing.T) {
	h := newHarness(t, clusterPolicy(3, vipPolicy+preferN1))
	dc := startAll(t, h)
	if dc != "n1" || h.running("vip")[0] != "n1" {
		t.Fatalf("DC = %s, vip on %v; want both n1", dc, h.running("vip"))
	}
	mark := h.mark()
	killed := time.Now()
	h.crash("n1")
	var newDC string
	h.eventually(20*time.Second, "vip recovered on a surviving node", func() bool {
		newDC = h.dc()
		r := h.running("vip")
		return newDC != "" && len(r) == 1 && r[0] != "n1"
	})
	fence := h.eventIndex(mark, "fence", "n1", "")
	start := h.eventIndex(mark, "start", "", "vip")
	if fence < 0 || start < 0 || fence > start {
		t.Fatalf("events: fence of n1 at %d, start of vip at %d; want the fence first", fence, start)
	}
	if newDC == "n1" {
		t.Fatalf("new DC = n1, want a surviving node")
	}
	fenced, started := h.event(fence).at.Sub(killed), h.event(start).at.Sub(killed)
	t.Logf("kill -> fenced %v, kill -> vip started on %s %v", fenced.Round(time.Millisecond), h.event(start).node, started.Round(time.Millisecond))
	// The fencing result is in the persisted history of the new DC.
	rec, ok := h.nodes[newDC].store.LastFencing("n1")
	if !ok || !rec.OK {
		t.Errorf("LastFencing(n1) on %s = %+v, %v; want a success", newDC, rec, ok)
	}

	// An order of the dead DC's term that arrives late is refused.
	other := "n2"
	if h.running("vip")[0] == other {
		other = "n3"
	}
	n := h.nodes[other]
	stale := n.store.Term().Seen - 1
	b, err := encodeMessage(message{Kind: msgAction, Term: stale, Transition: 1, Action: &actionMsg{ID: 0, Kind: policy.ActionStart,
		Resource: "vip", Node: other, Agent: "dummy", TimeoutMS: 5000}})
	if err != nil {
		t.Fatal(err)
	}
	mark = h.mark()
	n.ctrl.post(context.Background(), func(ctx context.Context) { n.ctrl.onWire(ctx, "n1", b) })
	h.eventually(5*time.Second, "the stale action refused", func() bool { return strings.Contains(n.logs.String(), "refusing an action") })
	if i := h.eventIndex(mark, "start", other, "vip"); i >= 0 {
		t.Errorf("%s started vip on an order of stale term %d", other, stale)
	}
}

func TestClusterMinorityStopsAndIsFencedThenConverges(t *testing.T) {
	h := newHarness(t, clusterPolicy(3, vipPolicy+preferN1))
	startAll(t, h)
	mark := h.mark()
	// n1 (DC, runs vip) is cut off: a minority of one. Its device does
	// not answer at first, so n1 keeps running and must stop vip itself.
	h.mu.Lock()
	h.fenceFails["n1"] = true
	h.mu.Unlock()
	h.nw.Isolate(h.nodes["n1"].addr)
	h.eventually(10*time.Second, "n1 stops vip on its own (no quorum)", func() bool {
		return h.eventIndex(mark, "stop", "n1", "vip") >= 0
	})
	if st := h.status("n1"); st.Quorum.Quorate {
		t.Errorf("n1 status: quorate, want not quorate")
	}
	// A policy apply on the minority is refused.
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_, err := h.nodes["n1"].ctrl.ApplyPolicy(ctx, api.ApplyRequest{Source: clusterPolicy(3, vipPolicy)})
	var ae *api.Error
	if !errors.As(err, &ae) || (ae.Code != api.CodeNotDC && ae.Code != api.CodeNoQuorum) {
		t.Errorf("ApplyPolicy on the minority = %v, want not_dc or no_quorum", err)
	}
	// The majority does not recover vip while n1 cannot be fenced.
	time.Sleep(time.Second) // observation window: nothing may start
	if i := h.eventIndex(mark, "start", "", "vip"); i >= 0 {
		t.Fatalf("vip started (%+v) although n1 was never fenced", h.event(i))
	}
	// The device comes back: n1 is fenced, then vip recovered.
	h.mu.Lock()
	h.fenceFails["n1"] = false
	h.mu.Unlock()
	h.eventually(15*time.Second, "vip recovered after fencing n1", func() bool {
		r := h.running("vip")
		return len(r) == 1 && r[0] != "n1"
	})
	fence := h.eventIndex(mark, "fence", "n1", "")
	start := h.eventIndex(mark, "start", "", "vip")
	if fence < 0 || start < fence {
		t.Fatalf("fence of n1 at %d, start of vip at %d; want the fence first", fence, start)
	}
	// Heal: n1 reboots and rejoins; the cluster converges with one DC
	// and vip running once (n1 preferred, but stickiness 0 lets it move
	// back; either way exactly once).
	h.restart("n1")
	h.eventually(20*time.Second, "the cluster converges after heal", func() bool {
		dc := h.dc()
		if dc == "" {
			return false
		}
		st := h.status(dc)
		online := 0
		for _, n := range st.Nodes {
			if n.State == api.StateOnline {
				online++
			}
		}
		return online == 3 && len(h.running("vip")) == 1 && st.Transition != nil && st.Transition.State == "complete"
	})
}

func TestClusterPolicyApplyReachesNodeThatWasDown(t *testing.T) {
	h := newHarness(t, clusterPolicy(3, vipPolicy))
	dc := startAll(t, h)
	down := "n3"
	if dc == down {
		t.Fatalf("DC = %s; test expects n1", dc)
	}
	h.crash(down)
	h.eventually(15*time.Second, "n3 fenced", func() bool { return h.eventIndex(0, "fence", down, "") >= 0 })
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	src := clusterPolicy(3, vipPolicy+`
[[primitive]]
id = "extra"
agent = "dummy"
`)
	// A dry run changes nothing.
	dry, err := h.nodes[dc].ctrl.ApplyPolicy(ctx, api.ApplyRequest{Source: src, DryRun: true})
	if err != nil || dry.Applied || dry.Diff == "" || len(dry.Actions) == 0 {
		t.Fatalf("dry run = %+v, %v; want a diff and planned actions, not applied", dry, err)
	}
	res, err := h.nodes[dc].ctrl.ApplyPolicy(ctx, api.ApplyRequest{Source: src})
	if err != nil || !res.Applied || res.Epoch != 2 {
		t.Fatalf("ApplyPolicy = %+v, %v; want applied at epoch 2", res, err)
	}
	for _, n := range []string{"n1", "n2"} {
		if e := h.nodes[n].store.Policy().Epoch; e != 2 {
			t.Errorf("%s: saved policy epoch = %d, want 2 (persisted before the answer)", n, e)
		}
	}
	h.eventually(10*time.Second, "extra running", func() bool { return len(h.running("extra")) == 1 })
	// n3 comes back with epoch 1 and catches up at join.
	h.restart(down)
	h.eventually(15*time.Second, "n3 catches up to epoch 2", func() bool {
		return h.nodes[down].store.Policy().Epoch == 2 && h.status(down).PolicyEpoch == 2
	})
	// A non-DC refuses with not_dc.
	_, err = h.nodes[down].ctrl.ApplyPolicy(ctx, api.ApplyRequest{Source: src + "\n# again\n"})
	var ae *api.Error
	if !errors.As(err, &ae) || ae.Code != api.CodeNotDC {
		t.Errorf("ApplyPolicy on a non-DC = %v, want not_dc", err)
	}
}
