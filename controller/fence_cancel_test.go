package controller

import (
	"strings"
	"testing"
	"time"
)

// TestClusterTwoNodeFenceCancelledWhenPeerReboots: in a two_node pair
// the survivor starts fencing its lost peer (through a device with a 2 s
// delay); the peer reboots and rejoins within the delay. The boot to be
// fenced is gone, so the fence is cancelled: the rebooted peer is not
// powered off.
func TestClusterTwoNodeFenceCancelledWhenPeerReboots(t *testing.T) {
	src := clusterPolicy(2, vipPolicy+strings.Replace(preferN1, `"n1"`, `"n2"`, 1))
	src = strings.Replace(src, "[cluster]\n", "[cluster]\ntwo_node = true\n", 1)
	src = strings.Replace(src, "timeout = \"5s\"\n", "timeout = \"5s\"\ndelay = \"2s\"\n", 1)
	h := newHarness(t, src)
	for _, n := range h.sortedNodes() {
		h.start(n)
	}
	h.eventually(15*time.Second, "vip on n2 with DC n1", func() bool {
		r := h.running("vip")
		return h.dc() == "n1" && len(r) == 1 && r[0] == "n2"
	})
	mark := h.mark()
	h.crash("n1")
	h.eventually(10*time.Second, "n2 starts fencing n1", func() bool {
		return strings.Contains(h.nodes["n2"].logs.String(), "fencing it before acting alone")
	})
	h.restart("n1")
	h.eventually(10*time.Second, "n2 cancels the fence", func() bool {
		return strings.Contains(h.nodes["n2"].logs.String(), "cancelling a fence")
	})
	time.Sleep(3 * time.Second) // observation window: the 2 s delay has passed
	if i := h.eventIndex(mark, "fence", "n1", ""); i >= 0 {
		t.Fatalf("n1 was powered off after it came back: %+v", h.event(i))
	}
	h.eventually(15*time.Second, "both online, vip once", func() bool {
		dc := h.dc()
		return dc != "" && len(h.running("vip")) == 1 && len(h.status(dc).Nodes) == 2
	})
}
