package main

import (
	"reflect"
	"strings"
	"testing"

	"github.com/ward-ha/ward/api"
	"github.com/ward-ha/ward/api/apitest"
)

// liveStatus returns a settled status with vip on node, transition id.
func liveStatus(node string, id uint64, epoch uint64) api.ClusterStatus {
	return api.ClusterStatus{Cluster: "c", Node: "n1", DC: "n1", PolicyEpoch: epoch,
		Quorum:     api.Quorum{Quorate: true, Votes: 3, Needed: 2, Expected: 3},
		Nodes:      []api.NodeInfo{{Name: "n1", State: "online"}, {Name: "n2", State: "online"}, {Name: "n3", State: "online"}},
		Resources:  []api.ResourceInfo{{ID: "vip", Primitive: "dummy", Role: "Started", Node: node, Managed: true}},
		Transition: &api.TransitionInfo{ID: id, State: "complete"}}
}

func TestResourceMoveWait(t *testing.T) {
	b := &apitest.Backend{StatusAnswer: liveStatus("n1", 5, 1),
		ResourceAnswer: api.ResourceResult{Resource: "vip", Action: api.ResourceMove, Applied: true, Epoch: 2, Added: []string{"cli-prefer-vip"},
			Actions: []api.PlannedAction{{ID: 0, Kind: "stop", Resource: "vip", Node: "n1"}, {ID: 1, Kind: "start", Resource: "vip", Node: "n2"}}}}
	b.OnChange = func(b *apitest.Backend) {
		// The transition runs: first the stop, then everything.
		st := liveStatus("", 6, 2)
		st.Resources[0].Role = "Stopped"
		st.Transition = &api.TransitionInfo{ID: 6, State: "running", Done: 1, Total: 2}
		b.StatusQueue = []api.ClusterStatus{st}
		b.StatusAnswer = liveStatus("n2", 7, 2)
	}
	socket := apitest.Serve(t, b)
	code, out, errs := runWardLive(t, "resource", "move", "vip", "n2", "--for", "2h", "--wait", "--socket", socket)
	want := []api.ResourceRequest{{Resource: "vip", Action: api.ResourceMove, Node: "n2", For: "2h"}}
	if code != 0 || !reflect.DeepEqual(b.ResourceCalls, want) {
		t.Fatalf("ward resource move vip n2 --wait = %d, %q, %q; calls %+v, want 0 and %+v", code, out, errs, b.ResourceCalls, want)
	}
	for _, s := range []string{"vip: added cli-prefer-vip", "live policy is now epoch 2", "stop vip on n1", "✓ vip Started on n2", "settled: nothing left to do (transition 7)"} {
		if !strings.Contains(out, s) {
			t.Errorf("ward resource move --wait output lacks %q:\n%s", s, out)
		}
	}
}

func TestResourceWaitTimeoutShowsFailure(t *testing.T) {
	b := &apitest.Backend{StatusAnswer: liveStatus("n1", 5, 1),
		ResourceAnswer: api.ResourceResult{Resource: "vip", Action: api.ResourceMove, Applied: true, Epoch: 2}}
	b.OnChange = func(b *apitest.Backend) {
		st := liveStatus("n1", 6, 2)
		st.Transition = &api.TransitionInfo{ID: 6, State: "failed", Done: 1, Total: 2, Failed: 1}
		st.FailedActions = []api.FailedAction{{Resource: "vip", Node: "n2", Op: "start", RC: 1, RCName: "error", Output: "address in use"}}
		b.StatusAnswer = st
	}
	socket := apitest.Serve(t, b)
	code, out, errs := runWardLive(t, "resource", "move", "vip", "n2", "--wait", "--wait-timeout", "600ms", "--socket", socket)
	if code != 1 || !strings.Contains(out, "✗ vip start on n2 failed: address in use (rc 1)") || !strings.Contains(out, "transition 6: 1 of 2 actions done, 1 failed (failed)") ||
		!strings.Contains(errs, "not settled after 600ms") {
		t.Fatalf("ward resource move --wait (failing) = %d, %q, %q; want 1, the failure and not settled", code, out, errs)
	}
}

func TestResourceActionsSent(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want api.ResourceRequest
	}{
		{[]string{"ban", "vip", "n1", "--for", "30m"}, api.ResourceRequest{Resource: "vip", Action: api.ResourceBan, Node: "n1", For: "30m"}},
		{[]string{"clear", "vip"}, api.ResourceRequest{Resource: "vip", Action: api.ResourceClear}},
		{[]string{"stop", "vip"}, api.ResourceRequest{Resource: "vip", Action: api.ResourceStop}},
		{[]string{"start", "vip"}, api.ResourceRequest{Resource: "vip", Action: api.ResourceStart}},
		{[]string{"cleanup", "vip", "n2"}, api.ResourceRequest{Resource: "vip", Action: api.ResourceCleanup, Node: "n2"}},
	} {
		b := &apitest.Backend{StatusAnswer: liveStatus("n1", 5, 1)}
		socket := apitest.Serve(t, b)
		code, out, errs := runWardLive(t, append(append([]string{"resource"}, tc.args...), "--socket", socket)...)
		if code != 0 || !reflect.DeepEqual(b.ResourceCalls, []api.ResourceRequest{tc.want}) {
			t.Errorf("ward resource %v = %d, %q, %q, calls %+v; want 0 and %+v", tc.args, code, out, errs, b.ResourceCalls, tc.want)
		}
	}
}

func TestResourceRefusedAndUsage(t *testing.T) {
	b := &apitest.Backend{StatusAnswer: liveStatus("n1", 5, 1), Err: api.Errorf(api.CodeNotDC, "this node (n3) is not the DC; run the command on n1")}
	socket := apitest.Serve(t, b)
	code, _, errs := runWardLive(t, "resource", "stop", "vip", "--socket", socket)
	if code != 1 || !strings.Contains(errs, "run the command on n1 (not_dc)") {
		t.Errorf("ward resource stop (member) = %d, %q; want 1 and not_dc", code, errs)
	}
	for _, args := range [][]string{
		{"resource"}, {"resource", "move"}, {"resource", "move", "vip", "n2", "--for", "soon"}, {"resource", "clear", "vip", "--for", "1h"},
		{"resource", "stop", "vip", "n1"}, {"resource", "move", "bad/id"}, {"cluster", "maintenance", "maybe"}, {"resource", "explode", "vip"},
	} {
		if code, _, errs := runWardLive(t, args...); code != 2 {
			t.Errorf("ward %v = %d, %q; want 2", args, code, errs)
		}
	}
}

const listPolicy = `[cluster]
name = "c"
stonith_enabled = false

[[node]]
name = "n1"
addresses = ["10.0.0.1"]

[[node]]
name = "n2"
addresses = ["10.0.0.2"]

[[primitive]]
id = "vip"
agent = "dummy"

[[location]]
id = "cli-ban-vip-on-n1"
resource = "vip"
node = "n1"
score = "-INFINITY"
expires = "2026-01-01T00:00:00Z"

[[location]]
id = "cli-prefer-vip"
resource = "vip"
node = "n2"
score = "INFINITY"

[[location]]
id = "mine"
resource = "vip"
node = "n2"
score = 10
`

func TestResourceList(t *testing.T) {
	b := &apitest.Backend{StatusAnswer: liveStatus("n2", 5, 3), PolicyAnswer: api.PolicyInfo{Epoch: 3, Source: listPolicy}}
	socket := apitest.Serve(t, b)
	code, out, errs := runWardLive(t, "resource", "list", "--socket", socket)
	if code != 0 || !strings.Contains(out, "cli-ban-vip-on-n1  vip       n1    ban     2026-01-01T00:00:00Z (lapsed)") ||
		!strings.Contains(out, "cli-prefer-vip     vip       n2    prefer  never") || strings.Contains(out, "mine") {
		t.Errorf("ward resource list = %d, %q, %q; want the two cli constraints only", code, out, errs)
	}
}

func TestClusterMaintenance(t *testing.T) {
	b := &apitest.Backend{StatusAnswer: liveStatus("n2", 5, 3), ClusterAnswer: api.ApplyResult{Applied: true, Epoch: 4}}
	socket := apitest.Serve(t, b)
	code, out, errs := runWardLive(t, "cluster", "maintenance", "on", "--socket", socket)
	if code != 0 || !strings.Contains(out, "cluster maintenance on") || len(b.ClusterCalls) != 1 || !*b.ClusterCalls[0].Maintenance {
		t.Errorf("ward cluster maintenance on = %d, %q, %q, calls %+v", code, out, errs, b.ClusterCalls)
	}
}

func TestResourceWaitOnMember(t *testing.T) {
	// A member's view keeps the last real transition (complete, with
	// actions): the command's own condition decides.
	before := liveStatus("n1", 5, 1)
	before.Node = "n2"
	after := liveStatus("n3", 6, 2)
	after.Node = "n2"
	after.Transition = &api.TransitionInfo{ID: 6, State: "complete", Done: 2, Total: 2}
	b := &apitest.Backend{StatusAnswer: before, ResourceAnswer: api.ResourceResult{Resource: "vip", Action: api.ResourceMove, Applied: true, Epoch: 2}}
	b.OnChange = func(b *apitest.Backend) { b.StatusAnswer = after }
	socket := apitest.Serve(t, b)
	code, out, errs := runWardLive(t, "resource", "move", "vip", "n3", "--wait", "--wait-timeout", "5s", "--socket", socket)
	if code != 0 || !strings.Contains(out, "settled") {
		t.Errorf("ward resource move --wait on a member = %d, %q, %q; want settled", code, out, errs)
	}
}
