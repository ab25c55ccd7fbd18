package main

import (
	"strings"
	"testing"

	"github.com/ward-ha/ward/api"
	"github.com/ward-ha/ward/api/apitest"
)

func TestExplainLive(t *testing.T) {
	b := &apitest.Backend{ExplainAnswer: api.ExplainResult{Resource: "vip", Text: "vip (primitive) will run on n2.\n", Scores: []byte(`{"resource":"vip","nodes":[]}`)}}
	socket := apitest.Serve(t, b)
	code, out, errs := runWard(t, "explain", "vip", "--socket", socket)
	if code != 0 || !strings.Contains(out, "(live, from the daemon)") || !strings.Contains(out, "vip (primitive) will run on n2.") {
		t.Errorf("ward explain vip (live) = %d, %q, %q", code, out, errs)
	}
	code, out, _ = runWard(t, "explain", "vip", "-o", "json", "--socket", socket)
	if code != 0 || !strings.Contains(out, `"resource": "vip"`) {
		t.Errorf("ward explain vip -o json (live) = %d, %q", code, out)
	}
	b.Err = api.Errorf(api.CodeNotFound, `resource "nope" is not in the policy (epoch 3)`)
	code, _, errs = runWard(t, "explain", "nope", "--socket", socket)
	if code != 1 || !strings.Contains(errs, "not in the policy") {
		t.Errorf("ward explain nope (live) = %d, %q; want 1", code, errs)
	}
	if code, _, _ := runWard(t, "explain", "vip", "--at", "2026-01-01T00:00:00Z", "--socket", socket); code != 2 {
		t.Errorf("ward explain --at without files = %d, want 2", code)
	}
}
