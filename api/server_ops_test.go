package api

import (
	"encoding/json"
	"net/url"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestServeResourceActions(t *testing.T) {
	f := &fakeBackend{}
	rec := serve(t, f, "POST", "/v1/resources/db/move", `{"node":"n2","for":"90m"}`)
	var res ResourceResult
	if rec.Code != 200 || json.Unmarshal(rec.Body.Bytes(), &res) != nil || res.Resource != "db" || res.Action != ResourceMove {
		t.Fatalf("POST /v1/resources/db/move = %d %s", rec.Code, rec.Body.String())
	}
	want := []ResourceRequest{{Resource: "db", Action: ResourceMove, Node: "n2", For: "90m"}}
	if !reflect.DeepEqual(f.resourceCalls, want) {
		t.Errorf("backend got %+v, want %+v", f.resourceCalls, want)
	}
	if rec := serve(t, f, "POST", "/v1/resources/db/cleanup", ""); rec.Code != 200 {
		t.Errorf("POST cleanup without a body = %d %s", rec.Code, rec.Body.String())
	}
	for _, tc := range []struct {
		method, path, body string
		status             int
		code, msg          string
	}{
		{"POST", "/v1/resources/db/explode", "", 404, CodeNotFound, "unknown action"},
		{"GET", "/v1/resources/db/move", "", 405, CodeMethod, "use POST"},
		{"POST", "/v1/resources/db/move", `{"nod":"n2"}`, 400, CodeBadRequest, `unknown field "nod"`},
		{"POST", "/v1/resources/db/move", `{"for":"soon"}`, 400, CodeBadRequest, `"for" "soon"`},
		{"POST", "/v1/resources/db/clear", `{"for":"1h"}`, 400, CodeBadRequest, "move and ban only"},
		{"POST", "/v1/resources/d%20b/stop", "", 400, CodeBadRequest, "resource ID"},
		{"POST", "/v1/resources/db/move", `{"node":"n 2"}`, 400, CodeBadRequest, "node name"},
		{"POST", "/v1/resources/db/move", `{"node":"` + strings.Repeat("x", MaxBody) + `"}`, 413, CodeTooLarge, "over the limit"},
		{"POST", "/v1/cluster", `{}`, 400, CodeBadRequest, `"maintenance" is missing`},
		{"POST", "/v1/cluster", `{"maintenance":"yes"}`, 400, CodeBadRequest, `field "maintenance"`},
		{"GET", "/v1/events?limit=-1", "", 503, CodeUnavailable, "no event log"},
	} {
		rec := serve(t, f, tc.method, tc.path, tc.body)
		e := errorOf(t, rec)
		if rec.Code != tc.status || e.Code != tc.code || !strings.Contains(e.Message, tc.msg) {
			t.Errorf("%s %s %.40q = %d %s %q, want %d %s containing %q", tc.method, tc.path, tc.body, rec.Code, e.Code, e.Message, tc.status, tc.code, tc.msg)
		}
	}
	rec = serve(t, f, "POST", "/v1/cluster", `{"maintenance":true}`)
	if rec.Code != 200 || len(f.clusterCalls) != 1 || !*f.clusterCalls[0].Maintenance {
		t.Errorf("POST /v1/cluster = %d %s, calls %+v", rec.Code, rec.Body.String(), f.clusterCalls)
	}
	rec = serve(t, f, "GET", "/v1/explain/db", "")
	var ex ExplainResult
	if rec.Code != 200 || json.Unmarshal(rec.Body.Bytes(), &ex) != nil || ex.Text != "explained db" || string(ex.Scores) != `{"resource":"db"}` {
		t.Errorf("GET /v1/explain/db = %d %s", rec.Code, rec.Body.String())
	}
}

func TestParseEventQuery(t *testing.T) {
	since := time.Date(2026, 11, 26, 7, 0, 0, 0, time.UTC)
	q := EventQuery{After: 4, Since: since, Resource: "db", Node: "n1", Kind: EventFencing, Limit: 10}
	got, err := ParseEventQuery(q.Values())
	if err != nil || !reflect.DeepEqual(got, q) {
		t.Fatalf("ParseEventQuery(Values(%+v)) = %+v, %v", q, got, err)
	}
	for _, bad := range []string{"after=x", "since=yesterday", "limit=-2", "kind=gossip", "colour=red"} {
		v, _ := url.ParseQuery(bad)
		if _, err := ParseEventQuery(v); err == nil {
			t.Errorf("ParseEventQuery(%q) = nil error, want one", bad)
		}
	}
}

func FuzzDecodeResourceRequest(f *testing.F) {
	f.Add([]byte(`{"node":"n2","for":"2h"}`), "db", "move")
	f.Add([]byte(``), "web:1", "cleanup")
	f.Add([]byte(`{"for":"-1s"}`), "db", "ban")
	f.Fuzz(func(t *testing.T, body []byte, id, action string) {
		req, err := DecodeResourceRequest(strings.NewReader(string(body)), id, action)
		if err == nil && (req.Resource != id || !req.Action.Valid() || req.Check() != nil) {
			t.Fatalf("DecodeResourceRequest(%q, %q, %q) = %+v accepted an invalid request", body, id, action, req)
		}
	})
}

func FuzzDecodeClusterRequest(f *testing.F) {
	f.Add([]byte(`{"maintenance":true}`))
	f.Add([]byte(`{}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		req, err := DecodeClusterRequest(strings.NewReader(string(body)))
		if err == nil && req.Maintenance == nil {
			t.Fatalf("DecodeClusterRequest(%q) accepted no maintenance", body)
		}
	})
}

func FuzzParseEventQuery(f *testing.F) {
	f.Add("after=3&since=2026-11-26T07:00:00Z&kind=node&limit=5")
	f.Add("kind=x&limit=-1")
	f.Fuzz(func(t *testing.T, raw string) {
		v, err := url.ParseQuery(raw)
		if err != nil {
			return
		}
		q, err := ParseEventQuery(v)
		if err == nil && q.Limit < 0 {
			t.Fatalf("ParseEventQuery(%q) = limit %d", raw, q.Limit)
		}
	})
}
