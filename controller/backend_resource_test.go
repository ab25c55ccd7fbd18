package controller

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ward-ha/ward/api"
)

// operatorNote is a comment in the policy the resource commands must
// keep (policy_text.go: they edit the text, not rewrite it).
const operatorNote = "# operator's note: vip is the service address\n"

func TestClusterResourceMoveBanClearStopStart(t *testing.T) {
	h := newHarness(t, clusterPolicy(3, operatorNote+vipPolicy))
	for _, n := range h.sortedNodes() {
		h.start(n)
	}
	var dc string
	h.eventually(15*time.Second, "a DC and vip running", func() bool { dc = h.dc(); return dc != "" && len(h.running("vip")) == 1 })
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	ctrl := h.nodes[dc].ctrl
	original := string(h.nodes[dc].store.Policy().Source)
	noteKept := func(step string) string {
		t.Helper()
		src := string(h.nodes[dc].store.Policy().Source)
		if !strings.Contains(src, operatorNote) {
			t.Fatalf("live policy after %s lost the operator's comment:\n%s", step, src)
		}
		return src
	}
	from := h.running("vip")[0]
	target := "n1"
	if from == target {
		target = "n2"
	}
	res, err := ctrl.ResourceAction(ctx, api.ResourceRequest{Resource: "vip", Action: api.ResourceMove, Node: target, For: "1h"})
	if err != nil || !res.Applied || !slices.Equal(res.Added, []string{"cli-prefer-vip"}) || res.Expires == nil {
		t.Fatalf("ResourceAction(move vip %s) = %+v, %v; want applied, cli-prefer-vip added with expires", target, res, err)
	}
	h.eventually(15*time.Second, "vip moved to "+target, func() bool { r := h.running("vip"); return len(r) == 1 && r[0] == target })
	if src := noteKept("move"); !strings.Contains(src, "cli-prefer-vip") || !strings.Contains(src, "expires") {
		t.Fatalf("live policy after move lacks the constraint:\n%s", src)
	}

	res, err = ctrl.ResourceAction(ctx, api.ResourceRequest{Resource: "vip", Action: api.ResourceBan})
	if err != nil || !slices.Equal(res.Added, []string{"cli-ban-vip-on-" + target}) || !slices.Equal(res.Removed, []string{"cli-prefer-vip"}) {
		t.Fatalf("ResourceAction(ban vip) = %+v, %v; want cli-ban-vip-on-%s added, cli-prefer-vip removed", res, err, target)
	}
	h.eventually(15*time.Second, "vip off "+target, func() bool { r := h.running("vip"); return len(r) == 1 && r[0] != target })
	noteKept("ban")

	res, err = ctrl.ResourceAction(ctx, api.ResourceRequest{Resource: "vip", Action: api.ResourceClear})
	if err != nil || !slices.Equal(res.Removed, []string{"cli-ban-vip-on-" + target}) {
		t.Fatalf("ResourceAction(clear vip) = %+v, %v; want the ban removed", res, err)
	}
	if src := noteKept("clear"); src != original {
		t.Fatalf("live policy after move, ban and clear:\n%s\nwant the original text back:\n%s", src, original)
	}

	if _, err := ctrl.ResourceAction(ctx, api.ResourceRequest{Resource: "vip", Action: api.ResourceStop}); err != nil {
		t.Fatalf("ResourceAction(stop vip) = %v", err)
	}
	h.eventually(15*time.Second, "vip stopped", func() bool { return len(h.running("vip")) == 0 })
	if src := noteKept("stop"); !strings.Contains(src, "agent = \"dummy\"\ntarget_role = \"Stopped\"\n") {
		t.Fatalf("live policy after stop lacks target_role under vip:\n%s", src)
	}
	if _, err := ctrl.ResourceAction(ctx, api.ResourceRequest{Resource: "vip", Action: api.ResourceStart}); err != nil {
		t.Fatalf("ResourceAction(start vip) = %v", err)
	}
	h.eventually(15*time.Second, "vip started again", func() bool { return len(h.running("vip")) == 1 })
	if src := noteKept("start"); src != original {
		t.Fatalf("live policy after stop and start:\n%s\nwant the original text back:\n%s", src, original)
	}

	ar, err := ctrl.SetCluster(ctx, api.ClusterRequest{Maintenance: new(true)})
	if err != nil || !ar.Applied {
		t.Fatalf("SetCluster(maintenance on) = %+v, %v", ar, err)
	}
	noteKept("maintenance on")
	if st := h.status(dc); len(st.Resources) == 0 || st.Resources[0].Managed {
		t.Fatalf("status in cluster maintenance: %+v, want vip unmanaged", st.Resources)
	}

	_, err = ctrl.ResourceAction(ctx, api.ResourceRequest{Resource: "nope", Action: api.ResourceStop})
	if ae, ok := err.(*api.Error); !ok || ae.Code != api.CodeNotFound {
		t.Fatalf("ResourceAction(stop nope) = %v, want not_found", err)
	}
	var member string
	for _, n := range h.sortedNodes() {
		if n != dc {
			member = n
			break
		}
	}
	_, err = h.nodes[member].ctrl.ResourceAction(ctx, api.ResourceRequest{Resource: "vip", Action: api.ResourceStop})
	if ae, ok := err.(*api.Error); !ok || ae.Code != api.CodeNotDC {
		t.Fatalf("ResourceAction on member %s = %v, want not_dc", member, err)
	}
	ex, err := h.nodes[member].ctrl.Explain(ctx, "vip")
	if err != nil || !strings.Contains(ex.Text, "vip") || len(ex.Scores) == 0 {
		t.Fatalf("Explain(vip) on a member = %+v, %v", ex, err)
	}
}
