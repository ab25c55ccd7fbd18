package main

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ward-ha/ward/api"
	"github.com/ward-ha/ward/api/apitest"
)

// fenceBackend is a scripted daemon that also fences on request.
type fenceBackend struct {
	*apitest.Backend
	mu     sync.Mutex
	calls  []api.FenceRequest
	answer api.FenceResult
	err    error
}

func (f *fenceBackend) Fence(_ context.Context, req api.FenceRequest) (api.FenceResult, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, req)
	return f.answer, f.err
}

func (f *fenceBackend) requests() []api.FenceRequest {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]api.FenceRequest(nil), f.calls...)
}

func TestFenceThroughCluster(t *testing.T) {
	now := time.Now()
	fb := &fenceBackend{Backend: &apitest.Backend{}, answer: api.FenceResult{Node: "b", Action: "off", Device: "pdu",
		Executor: "a", OK: true, Started: now, Completed: now.Add(time.Second)}}
	sock := apitest.Serve(t, fb)
	code, out, errs := runFenceCmd(t, "", "b", "--off", "--yes", "--socket", sock, "--node", "c")
	if code != 0 || !strings.Contains(out, "node b fenced (off) by device pdu, run by a") {
		t.Fatalf("ward fence b --off --yes = %d, %q, %q; want 0 and fenced by a", code, out, errs)
	}
	if r := fb.requests(); len(r) != 1 || r[0].Node != "b" || r[0].Action != "off" || !strings.HasPrefix(r[0].RequestedBy, "operator") || !strings.HasSuffix(r[0].RequestedBy, " on c") {
		t.Fatalf("requests = %+v, want one off of b requested by an operator on c", r)
	}
	// Not confirmed: nothing asked.
	if code, _, errs := runFenceCmd(t, "x\n", "b", "--socket", sock); code != 1 || !strings.Contains(errs, "not confirmed") || len(fb.requests()) != 1 {
		t.Fatalf("ward fence b (typed x) = %d, %q, %d requests; want 1, not confirmed, none sent", code, errs, len(fb.requests()))
	}
	// A fencing that failed.
	fb.mu.Lock()
	fb.answer = api.FenceResult{Node: "b", Executor: "a", Error: "no answer from pdu", Started: now, Completed: now}
	fb.mu.Unlock()
	if code, _, errs := runFenceCmd(t, "b\n", "b", "--socket", sock); code != 1 || !strings.Contains(errs, "FENCING b FAILED") || !strings.Contains(errs, "no answer from pdu") {
		t.Fatalf("ward fence b (device fails) = %d, %q; want 1, FENCING b FAILED", code, errs)
	}
	// Refused by the DC.
	fb.mu.Lock()
	fb.err = api.Errorf(api.CodeNoQuorum, "the DC has no quorum")
	fb.mu.Unlock()
	if code, _, errs := runFenceCmd(t, "", "b", "--yes", "--socket", sock); code != 1 || !strings.Contains(errs, "no_quorum") {
		t.Fatalf("ward fence b (no quorum) = %d, %q; want 1, no_quorum", code, errs)
	}
}

// TestFencePendingFollowsHistory: a DC that answers Pending (slow
// devices); the command waits for the record in the fencing history.
func TestFencePendingFollowsHistory(t *testing.T) {
	now := time.Now().Add(-time.Second)
	fb := &fenceBackend{Backend: &apitest.Backend{}}
	fb.answer = api.FenceResult{Node: "b", Executor: "a", RequestedBy: requester("c"), Pending: true, Started: now}
	fb.StatusAnswer.Fencing = []api.FenceEvent{
		{Node: "b", Action: "reboot", Result: "ok", RequestedBy: "a", At: now.Add(-time.Hour)}, // an older fencing
		{Node: "b", Action: "off", Device: "pdu", Result: "ok", RequestedBy: requester("c"), At: now.Add(2 * time.Second)},
	}
	sock := apitest.Serve(t, fb)
	code, out, errs := runFenceCmd(t, "", "b", "--yes", "--socket", sock, "--node", "c")
	if code != 0 || !strings.Contains(out, "node b fenced (off) by device pdu") {
		t.Fatalf("ward fence b (pending) = %d, %q, %q; want 0 once the history shows it", code, out, errs)
	}
}

// TestFenceConfirm: `ward fence confirm NODE` asks for the node's name,
// sends a confirm request naming the operator, and reports the DC's
// refusal (the node is up) with exit 1.
func TestFenceConfirm(t *testing.T) {
	now := time.Now()
	fb := &fenceBackend{Backend: &apitest.Backend{}, answer: api.FenceResult{Node: "b", Action: api.FenceConfirm, Device: "manual confirmation",
		Executor: "a", OK: true, Started: now, Completed: now}}
	sock := apitest.Serve(t, fb)
	if code, _, errs := runFenceCmd(t, "c\n", "confirm", "b", "--socket", sock); code != 1 || !strings.Contains(errs, "not confirmed") || len(fb.requests()) != 0 {
		t.Fatalf("ward fence confirm b (typed c) = %d, %q, %d requests; want 1, not confirmed, none sent", code, errs, len(fb.requests()))
	}
	code, out, errs := runFenceCmd(t, "b\n", "confirm", "b", "--socket", sock, "--node", "c")
	if code != 0 || !strings.Contains(out, "node b recorded as fenced") || !strings.Contains(errs, "will run twice") {
		t.Fatalf("ward fence confirm b = %d, %q, %q; want 0, recorded as fenced, after a warning", code, out, errs)
	}
	if r := fb.requests(); len(r) != 1 || r[0].Node != "b" || r[0].Action != api.FenceConfirm || !strings.HasSuffix(r[0].RequestedBy, " on c") {
		t.Fatalf("requests = %+v, want one confirm of b requested by an operator on c", r)
	}
	fb.mu.Lock()
	fb.err = api.Errorf(api.CodeConflict, "fence confirm: node b is up")
	fb.mu.Unlock()
	if code, _, errs := runFenceCmd(t, "", "confirm", "b", "--yes", "--socket", sock); code != 1 || !strings.Contains(errs, "node b is up") {
		t.Fatalf("ward fence confirm b (node up) = %d, %q; want 1 and the DC's refusal", code, errs)
	}
}
