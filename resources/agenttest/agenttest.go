// Package agenttest is the conformance suite every ward agent must pass,
// in the manner of testing/slogtest: an agent package calls Run from its
// tests with a function that builds a fresh agent and the parameters of
// a resource it can drive on this machine.
package agenttest

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/ward-ha/ward/resources"
)

// Setup is what Factory returns: an agent and the parameters of one
// resource it can manage here (state files in a temporary folder, ...).
type Setup struct {
	Agent  resources.Agent
	Params map[string]string
	// Meta is passed in every Call (clone meta attributes, ...).
	Meta map[string]string
}

// Factory builds a fresh Setup for one subtest. It may use t.TempDir.
type Factory func(t *testing.T) Setup

// timeout bounds each action of the suite.
const timeout = 30 * time.Second

// Run runs the conformance checks as subtests:
//   - monitor before start is 7 (not running), and so is a probe;
//   - start, then monitor is 0; a second start is 0;
//   - stop, then monitor is 7; a second stop is 0;
//   - an unknown action is 3 (unimplemented);
//   - meta-data parses (both Metadata and the meta-data action), names
//     the agent, declares start, stop and monitor with a timeout;
//   - if the agent declares promote: promote then monitor is 8, demote
//     then monitor is 0.
func Run(t *testing.T, newAgent Factory) {
	t.Run("MonitorBeforeStart", func(t *testing.T) {
		s := newAgent(t)
		expect(t, s, "r-mbs", resources.ActionMonitor, resources.NotRunning)
	})
	t.Run("StartMonitorStop", func(t *testing.T) {
		s := newAgent(t)
		id := "r-sms"
		expect(t, s, id, resources.ActionStart, resources.OK)
		expect(t, s, id, resources.ActionMonitor, resources.OK)
		expect(t, s, id, resources.ActionStart, resources.OK)
		expect(t, s, id, resources.ActionMonitor, resources.OK)
		expect(t, s, id, resources.ActionStop, resources.OK)
		expect(t, s, id, resources.ActionMonitor, resources.NotRunning)
		expect(t, s, id, resources.ActionStop, resources.OK)
		expect(t, s, id, resources.ActionMonitor, resources.NotRunning)
	})
	t.Run("StopTwiceWithoutStart", func(t *testing.T) {
		s := newAgent(t)
		expect(t, s, "r-stop2", resources.ActionStop, resources.OK)
		expect(t, s, "r-stop2", resources.ActionStop, resources.OK)
	})
	t.Run("UnknownAction", func(t *testing.T) {
		s := newAgent(t)
		expect(t, s, "r-unk", "frobnicate", resources.ErrUnimplemented)
	})
	t.Run("MetaData", func(t *testing.T) {
		s := newAgent(t)
		ctx, cancel := context.WithTimeout(context.Background(), timeout)
		defer cancel()
		md, err := s.Agent.Metadata(ctx)
		if err != nil {
			t.Fatalf("Metadata() error: %v", err)
		}
		checkMetadata(t, "Metadata()", md)
		out := s.Agent.Do(ctx, resources.Call{Resource: "r-md", Action: resources.ActionMetaData, Params: s.Params, Meta: s.Meta, Timeout: timeout})
		if out.Code != resources.OK {
			t.Fatalf("Do(meta-data) = %v (%s), want success", out.Code, out.Output)
		}
		md2, err := resources.ParseMetadata([]byte(out.Output))
		if err != nil {
			t.Fatalf("ParseMetadata(output of meta-data) error: %v", err)
		}
		checkMetadata(t, "Do(meta-data)", md2)
		if md2.Name != md.Name || len(md2.Params) != len(md.Params) {
			t.Errorf("Do(meta-data) describes %s with %d params, Metadata() %s with %d", md2.Name, len(md2.Params), md.Name, len(md.Params))
		}
		if err := md.CheckParams("r-md", s.Params); err != nil {
			t.Errorf("the suite's own params do not pass CheckParams: %v", err)
		}
	})
	t.Run("Promotable", func(t *testing.T) {
		s := newAgent(t)
		ctx, cancel := context.WithTimeout(context.Background(), timeout)
		defer cancel()
		md, err := s.Agent.Metadata(ctx)
		if err != nil {
			t.Fatalf("Metadata() error: %v", err)
		}
		if !md.HasAction(resources.ActionPromote) {
			t.Logf("agent %s is not promotable (no promote action): nothing to check", md.Name)
			return
		}
		id := "r-prom"
		expect(t, s, id, resources.ActionStart, resources.OK)
		expect(t, s, id, resources.ActionMonitor, resources.OK)
		expect(t, s, id, resources.ActionPromote, resources.OK)
		expect(t, s, id, resources.ActionMonitor, resources.RunningPromoted)
		expect(t, s, id, resources.ActionDemote, resources.OK)
		expect(t, s, id, resources.ActionMonitor, resources.OK)
		expect(t, s, id, resources.ActionStop, resources.OK)
		expect(t, s, id, resources.ActionMonitor, resources.NotRunning)
	})
}

func checkMetadata(t *testing.T, what string, md *resources.Metadata) {
	t.Helper()
	if md == nil || md.Name == "" {
		t.Fatalf("%s = %+v, want a named agent", what, md)
	}
	for _, a := range []string{resources.ActionStart, resources.ActionStop, resources.ActionMonitor} {
		if !md.HasAction(a) {
			t.Errorf("%s declares no %s action", what, a)
		} else if md.ActionTimeout(a) <= 0 {
			t.Errorf("%s: action %s has no timeout", what, a)
		}
	}
}

// expect runs one action and checks its code.
func expect(t *testing.T, s Setup, id, action string, want resources.Code) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	out := s.Agent.Do(ctx, resources.Call{Resource: id, Action: action, Params: s.Params, Meta: s.Meta, Timeout: timeout})
	if out.Code != want {
		t.Fatalf("Do(%s %s) = %d %v, want %d %v%s", id, action, int(out.Code), out.Code, int(want), want, detail(out))
	}
}

func detail(o resources.Outcome) string {
	s := ""
	if o.Err != nil {
		s += fmt.Sprintf("\nerror: %v", o.Err)
	}
	if o.Output != "" {
		s += "\noutput:\n" + o.Output
	}
	return s
}
