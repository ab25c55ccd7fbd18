package controller

import (
	"strings"
	"testing"
	"time"

	"github.com/ward-ha/ward/api"
)

// TestClusterFencedNodeComesBackNoFenceLoop: in a two_node pair, n1
// fences n2; n2 reboots while the link is still down. With wait_for_all
// it is not quorate until it has seen n1, so it neither fences n1 in
// return nor starts anything; once the link heals it rejoins and vip
// stays where it is, once.
func TestClusterFencedNodeComesBackNoFenceLoop(t *testing.T) {
	src := strings.Replace(clusterPolicy(2, vipPolicy+strings.Replace(preferN1, `"n1"`, `"n2"`, 1)), "[cluster]\n", "[cluster]\ntwo_node = true\n", 1)
	h := newHarness(t, src)
	for _, n := range h.sortedNodes() {
		h.start(n)
	}
	h.eventually(15*time.Second, "vip on n2 with a DC", func() bool {
		r := h.running("vip")
		return h.dc() != "" && len(r) == 1 && r[0] == "n2"
	})
	h.crash("n2")
	h.eventually(15*time.Second, "n1 fences n2 and runs vip", func() bool {
		r := h.running("vip")
		return len(r) == 1 && r[0] == "n1"
	})
	mark := h.mark()
	// n2 boots again, still cut off from n1.
	h.start("n2")
	time.Sleep(3 * time.Second) // observation window: n2 must do nothing
	if i := h.eventIndex(mark, "fence", "n1", ""); i >= 0 {
		t.Fatalf("n2 came back alone and fenced n1 (%+v): a fence loop", h.event(i))
	}
	if i := h.eventIndex(mark, "start", "n2", ""); i >= 0 {
		t.Fatalf("n2 came back alone and started %s before seeing its peer", h.event(i).what)
	}
	if st := h.status("n2"); st.Quorum.Quorate {
		t.Fatalf("n2 back alone: quorate, want not quorate (wait_for_all)")
	}
	// The link heals: n2 rejoins, nobody is fenced, vip runs once.
	h.nw.Heal(h.nodes["n2"].addr)
	h.eventually(20*time.Second, "n2 rejoins", func() bool {
		dc := h.dc()
		if dc == "" {
			return false
		}
		online := 0
		for _, n := range h.status(dc).Nodes {
			if n.State == api.StateOnline {
				online++
			}
		}
		return online == 2 && len(h.running("vip")) == 1
	})
	if i := h.eventIndex(mark, "fence", "", ""); i >= 0 {
		t.Fatalf("a fence after n2 came back: %+v", h.event(i))
	}
}

// TestClusterFencingFailureRetriedAndShown: n1's device does not answer;
// the DC retries with backoff, keeps vip off every other node, and every
// failed attempt is in the history that status shows.
func TestClusterFencingFailureRetriedAndShown(t *testing.T) {
	h := newHarness(t, clusterPolicy(3, vipPolicy+preferN1))
	startAll(t, h)
	mark := h.mark()
	h.mu.Lock()
	h.fenceFails["n1"] = true
	h.mu.Unlock()
	h.crash("n1")
	var failed int
	h.eventually(20*time.Second, "two failed fencing attempts of n1 in the DC's status", func() bool {
		dc := h.dc()
		if dc == "" || dc == "n1" {
			return false
		}
		failed = 0
		for _, f := range h.status(dc).Fencing {
			if f.Node == "n1" && f.Result != "ok" && strings.Contains(f.Result, "does not answer") {
				failed++
			}
		}
		return failed >= 2
	})
	if i := h.eventIndex(mark, "start", "", "vip"); i >= 0 {
		t.Fatalf("vip started (%+v) while n1's fencing kept failing", h.event(i))
	}
	h.mu.Lock()
	h.fenceFails["n1"] = false
	h.mu.Unlock()
	h.eventually(20*time.Second, "vip recovered once n1 is fenced", func() bool {
		r := h.running("vip")
		return len(r) == 1 && r[0] != "n1"
	})
}
