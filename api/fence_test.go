package api

import (
	"context"
	"encoding/json"
	"net/http/httptest"
	"strings"
	"testing"
)

// fenceFake is fakeBackend that also fences on request.
type fenceFake struct {
	fakeBackend
	calls []FenceRequest
}

func (f *fenceFake) Fence(_ context.Context, req FenceRequest) (FenceResult, error) {
	f.calls = append(f.calls, req)
	if req.Node == "n9" {
		return FenceResult{}, Errorf(CodeUnknownNode, "fence: node %q is not in the policy", req.Node)
	}
	return FenceResult{Node: req.Node, Action: "off", Executor: "n1", RequestedBy: req.RequestedBy, OK: true}, nil
}

func TestServeFence(t *testing.T) {
	f := &fenceFake{}
	do := func(method, body string) *httptest.ResponseRecorder {
		req := httptest.NewRequest(method, "/v1/fence", strings.NewReader(body))
		rec := httptest.NewRecorder()
		NewServer(f, nil).Handler().ServeHTTP(rec, req)
		return rec
	}
	rec := do("POST", `{"node":"n2","action":"off","requested_by":"operator on n3"}`)
	var res FenceResult
	if rec.Code != 200 || json.Unmarshal(rec.Body.Bytes(), &res) != nil || !res.OK || res.Node != "n2" || res.RequestedBy != "operator on n3" {
		t.Fatalf("POST /v1/fence = %d %s, want 200 with n2 fenced", rec.Code, rec.Body.String())
	}
	for _, tc := range []struct {
		method, body string
		status       int
		want         string
	}{
		{"GET", "", 405, "use POST"},
		{"POST", `{"node":"n2","action":"on"}`, 400, "use off, reboot"},
		{"POST", `{"node":"n 2"}`, 400, "node name"},
		{"POST", `{"node":"n2","force":true}`, 400, "unknown field"},
		{"POST", `{"node":"n2","requested_by":"a\nb"}`, 400, "control character"},
		{"POST", `{"node":"n9"}`, 404, "not in the policy"},
	} {
		rec := do(tc.method, tc.body)
		if rec.Code != tc.status || !strings.Contains(rec.Body.String(), tc.want) {
			t.Errorf("%s /v1/fence %s = %d %s, want %d with %q", tc.method, tc.body, rec.Code, rec.Body.String(), tc.status, tc.want)
		}
	}
	if len(f.calls) != 2 {
		t.Errorf("backend got %d calls, want 2 (refused requests never reach it)", len(f.calls))
	}
	// A backend that does not fence answers not_found.
	req := httptest.NewRequest("POST", "/v1/fence", strings.NewReader(`{"node":"n2"}`))
	rec = httptest.NewRecorder()
	NewServer(&fakeBackend{}, nil).Handler().ServeHTTP(rec, req)
	if rec.Code != 404 || !strings.Contains(rec.Body.String(), "does not fence") {
		t.Errorf("POST /v1/fence to a backend without Fence = %d %s, want 404", rec.Code, rec.Body.String())
	}
}

func FuzzDecodeFenceRequest(f *testing.F) {
	f.Add([]byte(`{"node":"n2","action":"off","requested_by":"operator on n1"}`))
	f.Add([]byte(`{"node":""}`))
	f.Add([]byte(`{"node":"n2"}{}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		req, err := DecodeFenceRequest(strings.NewReader(string(body)))
		if err != nil {
			return
		}
		if err := req.Check(); err != nil {
			t.Fatalf("DecodeFenceRequest(%q) = %+v that fails Check: %v", body, req, err)
		}
		if req.Action != "" && req.Action != FenceOff && req.Action != FenceReboot {
			t.Fatalf("DecodeFenceRequest(%q) accepted action %q", body, req.Action)
		}
	})
}
