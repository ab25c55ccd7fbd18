package api

import (
	"context"
	"encoding/json"
	"net/http/httptest"
	"strings"
	"testing"
)

// memberBackend refuses changes as a member and forwards them to dc.
type memberBackend struct {
	fakeBackend
	dc       *Server
	forwards int
}

func (m *memberBackend) Forward(ctx context.Context, req []byte) ([]byte, error) {
	m.forwards++
	return m.dc.ServeForwarded(ctx, req), nil
}

func TestForwardToDC(t *testing.T) {
	dcBackend := &fakeBackend{status: ClusterStatus{Node: "n1", DC: "n1"}}
	dc := NewServer(dcBackend, nil)
	member := &memberBackend{dc: dc}
	member.err = Errorf(CodeNotDC, "this node (n2) is not the DC; run the command on n1")
	h := NewServer(member, nil).Handler()

	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("POST", "/v1/resources/db/move", strings.NewReader(`{"node":"n3"}`)))
	var res ResourceResult
	if rec.Code != 200 || json.Unmarshal(rec.Body.Bytes(), &res) != nil || res.Resource != "db" || rec.Header().Get(forwardedHeader+"-To") != "n1" {
		t.Fatalf("POST on a member = %d %s %v, want the DC's answer", rec.Code, rec.Body.String(), rec.Header())
	}
	if len(dcBackend.resourceCalls) != 1 || dcBackend.resourceCalls[0].Node != "n3" || member.forwards != 1 {
		t.Errorf("DC calls %+v, forwards %d; want the move served once by the DC", dcBackend.resourceCalls, member.forwards)
	}
	// The DC's refusal comes back as is.
	dcBackend.err = Errorf(CodeNoQuorum, "this partition has no quorum")
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("POST", "/v1/nodes/n3/standby", nil))
	if e := errorOf(t, rec); rec.Code != 503 || e.Code != CodeNoQuorum {
		t.Errorf("forwarded standby = %d %+v, want the DC's no_quorum", rec.Code, e)
	}
	// A request already forwarded is not forwarded again; GETs never are.
	rec = httptest.NewRecorder()
	r := httptest.NewRequest("POST", "/v1/nodes/n3/standby", nil)
	r.Header.Set(forwardedHeader, "1")
	h.ServeHTTP(rec, r)
	if e := errorOf(t, rec); e.Code != CodeNotDC || member.forwards != 2 {
		t.Errorf("re-forwarded request = %+v after %d forwards, want not_dc without forwarding", e, member.forwards)
	}
	// Bad input is refused locally, never forwarded.
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("POST", "/v1/resources/db/move", strings.NewReader(`{"nope":1}`)))
	if e := errorOf(t, rec); e.Code != CodeBadRequest || member.forwards != 2 {
		t.Errorf("bad request on a member = %+v after %d forwards", e, member.forwards)
	}
	if out := dc.ServeForwarded(context.Background(), []byte("junk")); !strings.Contains(string(out), `"status":400`) {
		t.Errorf("ServeForwarded(junk) = %s, want a 400 answer", out)
	}
}
