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

const promotablePolicy = `
[[primitive]]
id = "db"
agent = "stateful"

[[primitive.op]]
name = "monitor"
interval = "1s"
role = "Unpromoted"

[[primitive.op]]
name = "monitor"
interval = "2s"
role = "Promoted"

[[clone]]
id = "db-clone"
resource = "db"
promotable = true
`

// promotedOn returns the nodes whose stateful state says db is promoted.
func (h *harness) promotedOn() []string {
	var out []string
	for _, name := range h.sortedNodes() {
		b, err := os.ReadFile(filepath.Join(h.nodes[name].agentDir, "db.state"))
		if err == nil && strings.TrimSpace(string(b)) == "promoted" {
			out = append(out, name)
		}
	}
	return out
}

func TestClusterPromotableOnePrimaryAndFailover(t *testing.T) {
	h := newHarness(t, clusterPolicy(3, promotablePolicy))
	for _, n := range h.sortedNodes() {
		h.start(n)
	}
	var primary string
	h.eventually(20*time.Second, "db running on 3 nodes, promoted on exactly one", func() bool {
		p := h.promotedOn()
		if len(p) != 1 || len(h.running("db")) != 3 {
			return false
		}
		primary = p[0]
		return true
	})
	// The promotion score the agent published reached the DC's status.
	dc := h.dc()
	var score string
	for _, n := range h.status(dc).Nodes {
		if n.Name == primary {
			score = n.Attributes["master-db"]
		}
	}
	if score == "" {
		t.Errorf("status of %s: node %s has no master-db attribute, want the agent's promotion score", dc, primary)
	}
	mark := h.mark()
	h.crash(primary)
	h.eventually(20*time.Second, "a survivor promoted after the old primary was fenced", func() bool {
		p := h.promotedOn()
		return len(p) == 1 && p[0] != primary
	})
	fence := h.eventIndex(mark, "fence", primary, "")
	promote := h.eventIndex(mark, "promote", "", "db")
	if fence < 0 || promote < fence {
		t.Fatalf("fence of %s at %d, promote at %d; want the fence first", primary, fence, promote)
	}
}

func TestClusterTwoNodeSurvivorFencesPeer(t *testing.T) {
	src := strings.Replace(clusterPolicy(2, vipPolicy+strings.Replace(preferN1, `"n1"`, `"n2"`, 1)), "[cluster]\n", "[cluster]\ntwo_node = true\n", 1)
	h := newHarness(t, src)
	for _, n := range h.sortedNodes() {
		h.start(n)
	}
	h.eventually(15*time.Second, "vip on n2 with a DC", func() bool {
		r := h.running("vip")
		return h.dc() != "" && len(r) == 1 && r[0] == "n2"
	})
	mark := h.mark()
	h.crash("n2")
	h.eventually(15*time.Second, "n1 alone fences n2 and runs vip", func() bool {
		r := h.running("vip")
		return len(r) == 1 && r[0] == "n1"
	})
	fence := h.eventIndex(mark, "fence", "n2", "")
	start := h.eventIndex(mark, "start", "n1", "vip")
	if fence < 0 || start < fence {
		t.Fatalf("fence of n2 at %d, start on n1 at %d; want the fence first", fence, start)
	}
}

func TestClusterStandbyMovesResourceAndStatusOnMembers(t *testing.T) {
	h := newHarness(t, clusterPolicy(3, vipPolicy+preferN1))
	dc := startAll(t, h)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	err := h.nodes["n2"].ctrl.SetNode(ctx, api.NodeRequest{Node: "n1", Action: api.ActionStandby})
	if ae, ok := err.(*api.Error); !ok || ae.Code != api.CodeNotDC {
		t.Errorf("SetNode on a non-DC = %v, want not_dc", err)
	}
	if err := h.nodes[dc].ctrl.SetNode(ctx, api.NodeRequest{Node: "nope", Action: api.ActionStandby}); err == nil {
		t.Errorf("SetNode(unknown node) = nil, want unknown_node")
	}
	if err := h.nodes[dc].ctrl.SetNode(ctx, api.NodeRequest{Node: "n1", Action: api.ActionStandby}); err != nil {
		t.Fatalf("SetNode(n1 standby) = %v", err)
	}
	h.eventually(10*time.Second, "vip leaves n1 in standby", func() bool {
		r := h.running("vip")
		return len(r) == 1 && r[0] != "n1"
	})
	// Any node answers the status from the DC's view.
	h.eventually(5*time.Second, "n3's status shows n1 in standby and vip placed", func() bool {
		st := h.status("n3")
		standby := false
		for _, n := range st.Nodes {
			standby = standby || (n.Name == "n1" && n.Standby)
		}
		r := h.running("vip")
		placed := h.placed("n3", "vip")
		return standby && st.DC == dc && len(placed) == 1 && len(r) == 1 && placed[0] == r[0]
	})
	if err := h.nodes[dc].ctrl.SetNode(ctx, api.NodeRequest{Node: "n1", Action: api.ActionOnline}); err != nil {
		t.Fatalf("SetNode(n1 online) = %v", err)
	}
	h.eventually(10*time.Second, "vip back on n1 (preferred, no stickiness)", func() bool {
		r := h.running("vip")
		return len(r) == 1 && r[0] == "n1"
	})
}

func TestClusterFreezeKeepsMinorityResources(t *testing.T) {
	src := strings.Replace(clusterPolicy(3, vipPolicy+preferN1), `no_quorum_policy = "stop"`, `no_quorum_policy = "freeze"`, 1)
	h := newHarness(t, src)
	startAll(t, h)
	h.mu.Lock()
	h.fenceFails["n1"] = true // the minority stays up: what does it do on its own?
	h.mu.Unlock()
	mark := h.mark()
	h.nw.Isolate(h.nodes["n1"].addr)
	h.eventually(10*time.Second, "n1 sees it has no quorum", func() bool { return !h.status("n1").Quorum.Quorate })
	time.Sleep(time.Second) // observation window: freeze must not stop anything
	if i := h.eventIndex(mark, "stop", "n1", "vip"); i >= 0 {
		t.Errorf("n1 stopped vip under no_quorum_policy = freeze")
	}
	if r := h.running("vip"); len(r) != 1 || r[0] != "n1" {
		t.Errorf("running(vip) = %v, want [n1] (frozen, and the majority cannot fence n1)", r)
	}
}

func TestClusterSuicideMinorityResetsItself(t *testing.T) {
	src := strings.Replace(clusterPolicy(3, vipPolicy+preferN1), `no_quorum_policy = "stop"`, `no_quorum_policy = "suicide"`, 1)
	h := newHarness(t, src)
	startAll(t, h)
	mark := h.mark()
	h.mu.Lock()
	h.fenceFails["n1"] = true // the majority cannot fence n1: it must reset itself
	h.mu.Unlock()
	h.nw.Isolate(h.nodes["n1"].addr)
	h.eventually(10*time.Second, "n1 resets itself", func() bool { return h.eventIndex(mark, "self-fence", "n1", "") >= 0 })
	if i := h.eventIndex(mark, "start", "", "vip"); i >= 0 {
		t.Fatalf("vip started (%+v) before n1 was fenced", h.event(i))
	}
	h.mu.Lock()
	h.fenceFails["n1"] = false
	h.mu.Unlock()
	h.eventually(15*time.Second, "vip recovered after n1 was fenced", func() bool {
		r := h.running("vip")
		return len(r) == 1 && r[0] != "n1"
	})
	fence := h.eventIndex(mark, "fence", "n1", "")
	start := h.eventIndex(mark, "start", "", "vip")
	if fence < 0 || start < fence {
		t.Fatalf("fence of n1 at %d, start at %d; want the fence first", fence, start)
	}
}
