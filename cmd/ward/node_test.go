package main

import (
	"reflect"
	"strings"
	"testing"

	"github.com/ward-ha/ward/api"
	"github.com/ward-ha/ward/api/apitest"
)

func TestNodeActions(t *testing.T) {
	for _, a := range []api.NodeAction{api.ActionStandby, api.ActionOnline, api.ActionMaintenance, api.ActionReady} {
		b := &apitest.Backend{}
		socket := apitest.Serve(t, b)
		code, out, errs := runWardLive(t, "node", string(a), "n2", "--socket", socket)
		want := []api.NodeRequest{{Node: "n2", Action: a}}
		if code != 0 || !strings.HasPrefix(out, "n2 ") || !reflect.DeepEqual(b.NodeCalls, want) {
			t.Errorf("ward node %s n2 = %d, %q, %q, calls %+v; want 0 and %+v", a, code, out, errs, b.NodeCalls, want)
		}
	}
}

func TestNodeRefused(t *testing.T) {
	b := &apitest.Backend{Err: api.Errorf(api.CodeUnknownNode, "node n9 is not in the policy (nodes: n1, n2)")}
	socket := apitest.Serve(t, b)
	code, out, errs := runWardLive(t, "node", "standby", "n9", "--socket", socket)
	if code != 1 || out != "" || !strings.Contains(errs, "the daemon refused: node n9 is not in the policy (nodes: n1, n2) (unknown_node)") {
		t.Errorf("ward node standby n9 = %d, %q, %q; want 1 and the daemon's message", code, out, errs)
	}
}

func TestNodeUsage(t *testing.T) {
	for _, args := range [][]string{
		{"node"}, {"node", "standby"}, {"node", "standby", "a", "b"}, {"node", "reboot", "n1"}, {"node", "online", "n1", "-o", "xml"},
	} {
		if code, _, errs := runWardLive(t, args...); code != 2 {
			t.Errorf("ward %v = %d, %q; want 2", args, code, errs)
		}
	}
}
