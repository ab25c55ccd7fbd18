package api

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
	"time"
)

func serve(t *testing.T, f *fakeBackend, method, path, body string) *httptest.ResponseRecorder {
	t.Helper()
	var req *http.Request
	if body == "" {
		req = httptest.NewRequest(method, path, nil)
	} else {
		req = httptest.NewRequest(method, path, strings.NewReader(body))
	}
	rec := httptest.NewRecorder()
	NewServer(f, nil).Handler().ServeHTTP(rec, req)
	return rec
}

// errorOf decodes an error envelope and fails the test if the answer is
// not one.
func errorOf(t *testing.T, rec *httptest.ResponseRecorder) *Error {
	t.Helper()
	var eb errorBody
	if err := json.Unmarshal(rec.Body.Bytes(), &eb); err != nil || eb.Error == nil {
		t.Fatalf("answer %d %q is not a JSON error envelope: %v", rec.Code, rec.Body.String(), err)
	}
	if ct := rec.Header().Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type = %q, want application/json", ct)
	}
	return eb.Error
}

func TestServerStatus(t *testing.T) {
	at := time.Date(2026, 11, 26, 7, 0, 0, 0, time.UTC)
	f := &fakeBackend{status: ClusterStatus{
		Cluster: "c1", Node: "n1", DC: "n2", Term: 7, PolicyEpoch: 3, At: at,
		Quorum:    Quorum{Quorate: true, Votes: 2, Needed: 2, Expected: 3},
		Nodes:     []NodeInfo{{Name: "n1", State: StateOnline}, {Name: "n3", State: StateUnclean}},
		Resources: []ResourceInfo{{ID: "db", Primitive: "dummy", Role: "Started", Node: "n1", Managed: true}},
	}}
	rec := serve(t, f, http.MethodGet, "/v1/status", "")
	if rec.Code != http.StatusOK {
		t.Fatalf("GET /v1/status = %d %s, want 200", rec.Code, rec.Body)
	}
	var got ClusterStatus
	if err := json.Unmarshal(rec.Body.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, f.status) {
		t.Errorf("GET /v1/status = %+v, want %+v", got, f.status)
	}
}

func TestServerErrors(t *testing.T) {
	tests := []struct {
		name, method, path, body string
		backendErr               error
		status                   int
		code                     string
		msgHas                   string
	}{
		{"unknown path", "GET", "/v1/nope", "", nil, 404, CodeNotFound, "/v1/nope"},
		{"status by POST", "POST", "/v1/status", "", nil, 405, CodeMethod, "use GET"},
		{"policy by DELETE", "DELETE", "/v1/policy", "", nil, 405, CodeMethod, "GET or POST"},
		{"node by GET", "GET", "/v1/nodes/n1/standby", "", nil, 405, CodeMethod, "use POST"},
		{"unknown node action", "POST", "/v1/nodes/n1/explode", "", nil, 404, CodeNotFound, `"explode"`},
		{"node path too short", "POST", "/v1/nodes/n1", "", nil, 404, CodeNotFound, "NAME/ACTION"},
		{"node path too long", "POST", "/v1/nodes/n1/standby/x", "", nil, 404, CodeNotFound, "NAME/ACTION"},
		{"bad node name", "POST", "/v1/nodes/n%20x/standby", "", nil, 400, CodeBadRequest, "only letters"},
		{"node unknown field", "POST", "/v1/nodes/n1/standby", `{"force":true}`, nil, 400, CodeBadRequest, `unknown field "force"`},
		{"apply unknown field", "POST", "/v1/policy", `{"source":"x","dryrun":true}`, nil, 400, CodeBadRequest, `unknown field "dryrun"`},
		{"apply wrong type", "POST", "/v1/policy", `{"source":1}`, nil, 400, CodeBadRequest, `field "source"`},
		{"apply empty source", "POST", "/v1/policy", `{"dry_run":true}`, nil, 400, CodeBadRequest, `"source" is missing`},
		{"apply empty body", "POST", "/v1/policy", "", nil, 400, CodeBadRequest, "empty"},
		{"apply trailing data", "POST", "/v1/policy", `{"source":"x"} {}`, nil, 400, CodeBadRequest, "after the JSON object"},
		{"apply syntax", "POST", "/v1/policy", `{"source":`, nil, 400, CodeBadRequest, "truncated"},
		{"backend refuses", "POST", "/v1/policy", `{"source":"x"}`, Errorf(CodeNoQuorum, "partition has 1 of 2 votes"), 503, CodeNoQuorum, "1 of 2 votes"},
		{"backend invalid policy", "POST", "/v1/policy", `{"source":"x"}`, Errorf(CodeInvalidPolicy, "policy.toml:3: bad"), 422, CodeInvalidPolicy, "policy.toml:3"},
		{"backend unknown node", "POST", "/v1/nodes/n9/online", "", Errorf(CodeUnknownNode, "no node n9"), 404, CodeUnknownNode, "n9"},
		{"backend plain error", "GET", "/v1/status", "", errors.New("disk on fire"), 500, CodeInternal, "disk on fire"},
		{"backend wrapped Error", "GET", "/v1/policy", "", wrapErr(Errorf(CodeNotDC, "no DC")), 503, CodeNotDC, "no DC"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := &fakeBackend{err: tt.backendErr}
			rec := serve(t, f, tt.method, tt.path, tt.body)
			e := errorOf(t, rec)
			if rec.Code != tt.status || e.Code != tt.code || !strings.Contains(e.Message, tt.msgHas) {
				t.Errorf("%s %s = %d %s %q, want %d %s containing %q", tt.method, tt.path, rec.Code, e.Code, e.Message, tt.status, tt.code, tt.msgHas)
			}
		})
	}
}

func wrapErr(err error) error { return errors.Join(errors.New("context"), err) }

func TestServerBodyLimits(t *testing.T) {
	big := `{"source":"` + strings.Repeat("a", MaxPolicyBody) + `"}`
	rec := serve(t, &fakeBackend{}, "POST", "/v1/policy", big)
	if e := errorOf(t, rec); rec.Code != 413 || e.Code != CodeTooLarge {
		t.Errorf("POST /v1/policy (%d bytes) = %d %s, want 413 %s", len(big), rec.Code, e.Code, CodeTooLarge)
	}
	big = `{` + strings.Repeat(" ", MaxBody) + `}`
	rec = serve(t, &fakeBackend{}, "POST", "/v1/nodes/n1/standby", big)
	if e := errorOf(t, rec); rec.Code != 413 || e.Code != CodeTooLarge {
		t.Errorf("POST /v1/nodes/n1/standby (%d bytes) = %d %s, want 413 %s", len(big), rec.Code, e.Code, CodeTooLarge)
	}
	// A policy just under the limit is accepted.
	ok := `{"source":"` + strings.Repeat("a", MaxPolicyBody-20) + `"}`
	f := &fakeBackend{}
	if rec := serve(t, f, "POST", "/v1/policy", ok); rec.Code != 200 {
		t.Errorf("POST /v1/policy (%d bytes) = %d %s, want 200", len(ok), rec.Code, rec.Body)
	}
}

func TestServerApplyAndNode(t *testing.T) {
	f := &fakeBackend{apply: ApplyResult{Applied: true, Epoch: 4, Diff: "-a\n+b\n",
		Actions: []PlannedAction{{ID: 1, Kind: "start", Resource: "db", Node: "n2"}}}}
	rec := serve(t, f, "POST", "/v1/policy", `{"source":"[cluster]\nname=\"c\"\n","dry_run":true}`)
	if rec.Code != 200 {
		t.Fatalf("POST /v1/policy = %d %s, want 200", rec.Code, rec.Body)
	}
	var res ApplyResult
	if err := json.Unmarshal(rec.Body.Bytes(), &res); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(res, f.apply) {
		t.Errorf("POST /v1/policy = %+v, want %+v", res, f.apply)
	}
	want := []ApplyRequest{{Source: "[cluster]\nname=\"c\"\n", DryRun: true}}
	if !reflect.DeepEqual(f.applied, want) {
		t.Errorf("backend got %+v, want %+v", f.applied, want)
	}
	for _, body := range []string{"", "{}", " {} \n"} {
		f := &fakeBackend{}
		rec := serve(t, f, "POST", "/v1/nodes/node-2.a/maintenance", body)
		wantReq := []NodeRequest{{Node: "node-2.a", Action: ActionMaintenance}}
		if rec.Code != 200 || !reflect.DeepEqual(f.nodeCalls, wantReq) {
			t.Errorf("POST /v1/nodes/node-2.a/maintenance body %q = %d, calls %+v, want 200, %+v", body, rec.Code, f.nodeCalls, wantReq)
		}
	}
}
