package controller

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/ward-ha/ward/api"
)

func TestClusterCleanupClearsFailuresOnTheMembers(t *testing.T) {
	h := newHarness(t, clusterPolicy(3, vipPolicy))
	for _, n := range h.sortedNodes() {
		h.start(n)
	}
	var dc string
	h.eventually(15*time.Second, "a DC and vip running", func() bool { dc = h.dc(); return dc != "" && len(h.running("vip")) == 1 })
	on := h.running("vip")[0]
	// The monitor fails once (rc 7): ward recovers vip and counts the failure.
	if err := os.WriteFile(filepath.Join(h.nodes[on].agentDir, "vip.fail-monitor"), []byte("7"), 0o600); err != nil {
		t.Fatal(err)
	}
	failed := func() int {
		n := 0
		for _, f := range h.status(dc).FailedActions {
			if f.Resource == "vip" {
				n++
			}
		}
		return n
	}
	h.eventually(15*time.Second, "the monitor failure counted by the DC", func() bool { return failed() > 0 })
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	res, err := h.nodes[dc].ctrl.ResourceAction(ctx, api.ResourceRequest{Resource: "vip", Action: api.ResourceCleanup})
	if err != nil || len(res.Nodes) != 3 || res.Applied {
		t.Fatalf("ResourceAction(cleanup vip) = %+v, %v; want every node asked, no policy change", res, err)
	}
	h.eventually(15*time.Second, "no failure of vip counted after cleanup", func() bool { return failed() == 0 })
	h.eventually(15*time.Second, "vip running", func() bool { return len(h.running("vip")) == 1 })
}
