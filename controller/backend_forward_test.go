package controller

import (
	"encoding/json"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/ward-ha/ward/api"
)

func TestClusterChangeOnMemberForwardedToDC(t *testing.T) {
	h := newHarness(t, clusterPolicy(3, vipPolicy))
	for _, n := range h.sortedNodes() {
		h.start(n)
	}
	var dc string
	h.eventually(15*time.Second, "a DC and vip running", func() bool { dc = h.dc(); return dc != "" && len(h.running("vip")) == 1 })
	servers := map[string]*api.Server{}
	for _, n := range h.sortedNodes() {
		servers[n] = api.NewServer(h.nodes[n].ctrl, nil)
		h.nodes[n].ctrl.SetForwardHandler(servers[n].ServeForwarded)
	}
	var member string
	for _, n := range h.sortedNodes() {
		if n != dc {
			member = n
			break
		}
	}
	rec := httptest.NewRecorder()
	servers[member].Handler().ServeHTTP(rec, httptest.NewRequest("POST", "/v1/resources/vip/stop", nil))
	var res api.ResourceResult
	if rec.Code != 200 || json.Unmarshal(rec.Body.Bytes(), &res) != nil || !res.Applied || res.Epoch != 2 {
		t.Fatalf("POST stop on member %s = %d %s, want applied at epoch 2 by the DC", member, rec.Code, rec.Body.String())
	}
	if got := rec.Header().Get("X-Ward-Forwarded-By-To"); got != dc {
		t.Errorf("answer came from %q, want the DC %s", got, dc)
	}
	h.eventually(15*time.Second, "vip stopped", func() bool { return len(h.running("vip")) == 0 })
	// A refusal by the DC comes back as is.
	rec = httptest.NewRecorder()
	servers[member].Handler().ServeHTTP(rec, httptest.NewRequest("POST", "/v1/resources/nope/stop", nil))
	if rec.Code != 404 || !strings.Contains(rec.Body.String(), "not_found") {
		t.Errorf("POST stop nope on a member = %d %s, want the DC's not_found", rec.Code, rec.Body.String())
	}
}
