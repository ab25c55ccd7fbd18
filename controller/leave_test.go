package controller

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ward-ha/ward/api"
)

// These tests are the clean leave (leave.go) and the ban after a failed
// start (docs/catalogue.md, bugs D and B) on the in-process cluster.

const preferN2 = `
[[location]]
id = "vip-prefers-n2"
resource = "vip"
node = "n2"
score = "100"
`

// leave has node name leave the cluster as `ward daemon` does on
// SIGTERM: Shutdown, then its daemon stops.
func (h *harness) leave(name string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	err := h.nodes[name].ctrl.Shutdown(ctx)
	h.stop(name)
	return err
}

// nodeState returns node's state in dc's status.
func (h *harness) nodeState(dc, node string) string {
	for _, n := range h.status(dc).Nodes {
		if n.Name == node {
			return n.State
		}
	}
	return ""
}

// settledWithout waits until dc shows node in state want and a
// complete transition, then watches a short window for a fence of node.
func (h *harness) settledWithout(dc, node, want string, mark int) {
	h.t.Helper()
	h.eventually(10*time.Second, node+" "+want+" on "+dc+" and the transition complete", func() bool {
		st := h.status(dc)
		return h.nodeState(dc, node) == want && st.Transition != nil && st.Transition.State == "complete"
	})
	time.Sleep(700 * time.Millisecond) // observation window: no fence must happen
	if i := h.eventIndex(mark, "fence", node, ""); i >= 0 {
		h.t.Fatalf("%s was fenced after a clean leave", node)
	}
}

// leaveHarness starts a three-node cluster with vip (plus extra) that
// prefers n2, and checks that n1 is the DC and vip runs on n2.
func leaveHarness(t *testing.T, extra string) (*harness, string) {
	t.Helper()
	h := newHarness(t, clusterPolicy(3, vipPolicy+extra+preferN2))
	dc := startAll(t, h)
	if r := h.running("vip"); dc == "n2" || len(r) != 1 || r[0] != "n2" {
		t.Fatalf("DC = %s, vip on %v; want DC n1, vip on n2", dc, r)
	}
	return h, dc
}

// leftAlone checks, after n2 left at mark, that vip was not stopped
// there (why says why it must be left alone), that dc shows n2 offline
// without fencing it, and that vip still runs on n2.
func leftAlone(h *harness, dc string, mark int, why string) {
	h.t.Helper()
	if i := h.eventIndex(mark, "stop", "n2", "vip"); i >= 0 {
		h.t.Fatalf("vip (%s) was stopped on n2", why)
	}
	h.settledWithout(dc, "n2", "offline", mark)
	if r := h.running("vip"); len(r) != 1 || r[0] != "n2" {
		h.t.Fatalf("running(vip) = %v, want [n2] (left alone: %s)", r, why)
	}
}

func TestLeaveNothingRunningIsNotFenced(t *testing.T) {
	h := newHarness(t, clusterPolicy(3, vipPolicy+preferN1))
	dc := startAll(t, h)
	if dc != "n1" {
		t.Fatalf("DC = %s, want n1", dc)
	}
	mark := h.mark()
	if err := h.leave("n2"); err != nil {
		t.Fatalf("Shutdown(n2) = %v, want nil", err)
	}
	h.settledWithout(dc, "n2", "offline", mark)
	if r := h.running("vip"); len(r) != 1 || r[0] != "n1" {
		t.Errorf("running(vip) = %v, want [n1]", r)
	}
	// The node comes back with a new boot and rejoins as usual.
	h.start("n2")
	h.eventually(10*time.Second, "n2 online again", func() bool { return h.nodeState(dc, "n2") == "online" })
}

func TestLeaveMovesRunningResourceFirst(t *testing.T) {
	h, dc := leaveHarness(t, "")
	mark := h.mark()
	if err := h.leave("n2"); err != nil {
		t.Fatalf("Shutdown(n2) = %v, want nil", err)
	}
	stop := h.eventIndex(mark, "stop", "n2", "vip")
	if stop < 0 {
		t.Fatalf("vip was not stopped on n2 before it left")
	}
	h.settledWithout(dc, "n2", "offline", mark)
	if r := h.running("vip"); len(r) != 1 || r[0] == "n2" {
		t.Errorf("running(vip) = %v, want one node other than n2", r)
	}
}

func TestLeaveUnderMaintenanceLeavesResourcesAndFencesOnlyOnceManaged(t *testing.T) {
	h := newHarness(t, clusterPolicy(3, vipPolicy+preferN2))
	dc := startAll(t, h)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := h.nodes[dc].ctrl.SetNode(ctx, api.NodeRequest{Node: "n2", Action: api.ActionMaintenance}); err != nil {
		t.Fatalf("SetNode(n2 maintenance) = %v", err)
	}
	h.eventually(10*time.Second, "n2 sees itself in maintenance", func() bool {
		for _, n := range h.status("n2").Nodes {
			if n.Name == "n2" {
				return n.Maintenance
			}
		}
		return false
	})
	mark := h.mark()
	begin := time.Now()
	if err := h.leave("n2"); err != nil {
		t.Fatalf("Shutdown(n2) under maintenance = %v, want nil", err)
	}
	if d := time.Since(begin); d > 5*time.Second {
		t.Errorf("Shutdown under maintenance took %v, want it at once (nothing to move)", d)
	}
	leftAlone(h, dc, mark, "under maintenance")
	// Maintenance ends while n2 is away: vip still runs there for all
	// the DC knows, so n2 is fenced before vip starts anywhere else.
	if err := h.nodes[dc].ctrl.SetNode(ctx, api.NodeRequest{Node: "n2", Action: api.ActionReady}); err != nil {
		t.Fatalf("SetNode(n2 ready) = %v", err)
	}
	h.eventually(15*time.Second, "vip recovered off n2", func() bool {
		r := h.running("vip")
		return len(r) == 1 && r[0] != "n2"
	})
	fence, start := h.eventIndex(mark, "fence", "n2", ""), h.eventIndex(mark, "start", "", "vip")
	if fence < 0 || start < fence {
		t.Fatalf("fence of n2 at %d, start of vip at %d; want the fence first", fence, start)
	}
}

// TestLeaveWithUnmanagedResource: vip runs on n2 with is_managed =
// false. The DC will not move it, so a leave must not wait for it (it
// used to wait out the whole shutdown timeout, then report that managed
// resources still ran); vip is left running, and nobody is fenced while
// it stays unmanaged.
func TestLeaveWithUnmanagedResource(t *testing.T) {
	h, dc := leaveHarness(t, "")
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	unmanaged := strings.Replace(vipPolicy, "agent = \"dummy\"\n", "agent = \"dummy\"\nis_managed = false\n", 1)
	if res, err := h.nodes[dc].ctrl.ApplyPolicy(ctx, api.ApplyRequest{Source: clusterPolicy(3, unmanaged+preferN2)}); err != nil || !res.Applied {
		t.Fatalf("ApplyPolicy(vip unmanaged) = %+v, %v", res, err)
	}
	h.eventually(10*time.Second, "n2 on the new epoch", func() bool { return h.nodes["n2"].store.Policy().Epoch >= 2 })
	mark := h.mark()
	if err := h.leave("n2"); err != nil {
		t.Fatalf("Shutdown(n2) with only an unmanaged resource = %v, want nil (nothing the DC would move)", err)
	}
	leftAlone(h, dc, mark, "unmanaged")
}

func TestLeaveWithoutAnnouncementIsFenced(t *testing.T) {
	h := newHarness(t, clusterPolicy(3, vipPolicy+preferN1))
	dc := startAll(t, h)
	// A leave of another boot (a replay, or forged) changes nothing.
	b, err := encodeMessage(message{Kind: msgLeave, Term: 1, State: &nodeReport{Node: "n2", Boot: strings.Repeat("ab", 16)}})
	if err != nil {
		t.Fatal(err)
	}
	n := h.nodes[dc]
	n.ctrl.post(context.Background(), func(ctx context.Context) { n.ctrl.onWire(ctx, "n2", b) })
	h.eventually(5*time.Second, "the leave of another boot dropped", func() bool {
		return strings.Contains(n.logs.String(), "dropping a leave of another boot")
	})
	mark := h.mark()
	h.crash("n2")
	h.eventually(10*time.Second, "n2 fenced after a hard kill", func() bool { return h.eventIndex(mark, "fence", "n2", "") >= 0 })
}

func TestFailedStartBansNodeAndIsNotRetried(t *testing.T) {
	h := newHarness(t, clusterPolicy(3, vipPolicy+preferN2))
	dir := h.nodes["n2"].agentDir
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	// The start fails once; were it tried again it would succeed, and
	// vip (preferring n2) would end there.
	if err := os.WriteFile(filepath.Join(dir, "vip.fail-start"), []byte("1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, name := range h.sortedNodes() {
		h.start(name)
	}
	var dc string
	h.eventually(15*time.Second, "one DC", func() bool { dc = h.dc(); return dc != "" })
	h.eventually(15*time.Second, "vip running on a node other than n2", func() bool {
		r := h.running("vip")
		return len(r) == 1 && r[0] != "n2"
	})
	h.eventually(10*time.Second, "the transition complete", func() bool {
		tr := h.status(dc).Transition
		return tr != nil && tr.State == "complete"
	})
	time.Sleep(700 * time.Millisecond) // observation window: no retry on n2
	if r := h.running("vip"); len(r) != 1 || r[0] == "n2" {
		t.Errorf("running(vip) = %v, want one node other than n2 (banned after its failed start)", r)
	}
	if got := strings.Count(h.nodes["n2"].logs.String(), "injected fault"); got > 1 {
		t.Errorf("n2 logs show %d injected start faults, want at most 1", got)
	}
	failed := false
	for _, f := range h.status(dc).FailedActions {
		failed = failed || (f.Resource == "vip" && f.Node == "n2" && f.Op == "start")
	}
	if !failed {
		t.Errorf("status of %s: no failed start of vip on n2 listed: %+v", dc, h.status(dc).FailedActions)
	}
}

func TestActionInFlightToLostNodeFailsAtOnce(t *testing.T) {
	const slowStop = `
[[primitive.op]]
name = "stop"
timeout = "60s"
`
	h, dc := leaveHarness(t, slowStop)
	fault := filepath.Join(h.nodes["n2"].agentDir, "vip.fail-stop")
	if err := os.WriteFile(fault, []byte("hang\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := h.nodes[dc].ctrl.SetNode(ctx, api.NodeRequest{Node: "n2", Action: api.ActionStandby}); err != nil {
		t.Fatalf("SetNode(n2 standby) = %v", err)
	}
	h.eventually(10*time.Second, "the stop of vip hanging on n2", func() bool {
		_, err := os.Stat(fault) // the agent removes a one-time fault file as it applies it
		return os.IsNotExist(err)
	})
	mark := h.mark()
	lost := time.Now()
	h.crash("n2")
	// Without failing the stop at once, the DC would wait for its 60 s
	// timeout before fencing n2.
	h.eventually(15*time.Second, "vip recovered off n2", func() bool {
		r := h.running("vip")
		return len(r) == 1 && r[0] != "n2"
	})
	fence, start := h.eventIndex(mark, "fence", "n2", ""), h.eventIndex(mark, "start", "", "vip")
	if fence < 0 || start < fence {
		t.Fatalf("fence of n2 at %d, start of vip at %d; want the fence first", fence, start)
	}
	t.Logf("n2 lost with a stop in flight -> vip started elsewhere after %v", time.Since(lost).Round(time.Millisecond))
}

func TestLeaveOfTheDCMovesItsResourcesAndIsNotFenced(t *testing.T) {
	h := newHarness(t, clusterPolicy(3, vipPolicy+preferN1))
	dc := startAll(t, h)
	if r := h.running("vip"); dc != "n1" || len(r) != 1 || r[0] != "n1" {
		t.Fatalf("DC = %s, vip on %v; want both n1", dc, r)
	}
	mark := h.mark()
	if err := h.leave("n1"); err != nil {
		t.Fatalf("Shutdown(n1, the DC) = %v, want nil", err)
	}
	if h.eventIndex(mark, "stop", "n1", "vip") < 0 {
		t.Fatalf("vip was not stopped on n1 before it left")
	}
	var newDC string
	h.eventually(10*time.Second, "a new DC", func() bool { newDC = h.dc(); return newDC != "" && newDC != "n1" })
	h.settledWithout(newDC, "n1", "offline", mark)
	if r := h.running("vip"); len(r) != 1 || r[0] == "n1" {
		t.Errorf("running(vip) = %v, want one node other than n1", r)
	}
}

func TestDecodeLeaveMessages(t *testing.T) {
	boot := strings.Repeat("ab", 16)
	cases := []struct {
		m    message
		want bool // decodes
	}{
		{message{Kind: msgLeave, Term: 3, State: &nodeReport{Node: "n2", Boot: boot}}, true},
		{message{Kind: msgLeaveAck, Term: 3, State: &nodeReport{Node: "n2", Boot: boot}}, true},
		{message{Kind: msgLeave, Term: 3}, false},
		{message{Kind: msgLeave, Term: 3, State: &nodeReport{Node: "n2"}}, false},
		{message{Kind: msgLeaveAck, Term: 3, State: &nodeReport{Boot: boot}}, false},
		{message{Kind: msgLeave, Term: 0, State: &nodeReport{Node: "n2", Boot: boot}}, false},
	}
	for _, tc := range cases {
		b, err := encodeMessage(tc.m)
		if err != nil {
			t.Fatal(err)
		}
		_, err = decodeMessage(b)
		if got := err == nil; got != tc.want {
			t.Errorf("decodeMessage(%s %+v) = %v, want ok %v", tc.m.Kind, tc.m.State, err, tc.want)
		}
	}
}

func TestLeaveOfTheDCInTwoNodeIsNotFenced(t *testing.T) {
	src := strings.Replace(clusterPolicy(2, vipPolicy+preferN1), "[cluster]\n", "[cluster]\ntwo_node = true\n", 1)
	h := newHarness(t, src)
	dc := startAll(t, h)
	if r := h.running("vip"); dc != "n1" || len(r) != 1 || r[0] != "n1" {
		t.Fatalf("DC = %s, vip on %v; want both n1", dc, r)
	}
	mark := h.mark()
	if err := h.leave("n1"); err != nil {
		t.Fatalf("Shutdown(n1, the DC) = %v, want nil", err)
	}
	h.eventually(10*time.Second, "n2 DC alone", func() bool { return h.dc() == "n2" })
	h.settledWithout("n2", "n1", "offline", mark)
	if r := h.running("vip"); len(r) != 1 || r[0] != "n2" {
		t.Errorf("running(vip) = %v, want [n2]", r)
	}
}

func TestLeaveWithExpiredTimeoutStillAnnounces(t *testing.T) {
	h := newHarness(t, clusterPolicy(3, vipPolicy+preferN1))
	dc := startAll(t, h)
	mark := h.mark()
	ctx, cancel := context.WithCancel(context.Background())
	cancel() // --shutdown-timeout 0, or a second signal
	if err := h.nodes["n3"].ctrl.Shutdown(ctx); err != nil {
		t.Errorf("Shutdown(n3, expired) with nothing running = %v, want nil", err)
	}
	h.stop("n3")
	h.settledWithout(dc, "n3", "offline", mark)
}

func TestLeaveWhileManagedResourceRunsIsFenced(t *testing.T) {
	const slowStop = `
[[primitive.op]]
name = "stop"
timeout = "60s"
`
	h, _ := leaveHarness(t, slowStop)
	// The stop that would move vip away hangs.
	if err := os.WriteFile(filepath.Join(h.nodes["n2"].agentDir, "vip.fail-stop"), []byte("hang\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	mark := h.mark()
	ctx, cancel := context.WithTimeout(context.Background(), time.Second) // --shutdown-timeout 1s
	defer cancel()
	err := h.nodes["n2"].ctrl.Shutdown(ctx)
	if err == nil || !strings.Contains(err.Error(), "vip") {
		t.Errorf("Shutdown(n2, expired) with vip running = %v, want an error naming vip", err)
	}
	h.crash("n2") // vip keeps running there, as after a real daemon exit
	h.eventually(15*time.Second, "vip recovered off n2", func() bool {
		r := h.running("vip")
		return len(r) == 1 && r[0] != "n2"
	})
	fence, start := h.eventIndex(mark, "fence", "n2", ""), h.eventIndex(mark, "start", "", "vip")
	if fence < 0 || start < fence {
		t.Fatalf("fence of n2 at %d, start of vip at %d; want the fence first", fence, start)
	}
}
