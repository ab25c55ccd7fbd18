package policy_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/cockroachdb/datadriven"
	"github.com/ward-ha/ward/policy"
	"github.com/ward-ha/ward/policy/policytest"
)

// defaultNow is the scheduling instant of scenarios that give no at=.
var defaultNow = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// schedEnv is the state one scenario file builds up.
type schedEnv struct {
	cfg  *policy.Config
	st   policy.Status
	last *policy.Transition
}

// TestSchedule runs the scenario files in testdata/schedule. Regenerate
// the expected output with: go test ./policy -run TestSchedule -rewrite
func TestSchedule(t *testing.T) {
	datadriven.Walk(t, "testdata/schedule", func(t *testing.T, path string) {
		env := &schedEnv{st: policy.Status{Quorate: true}}
		datadriven.RunTest(t, path, func(t *testing.T, d *datadriven.TestData) string {
			return env.handle(t, d)
		})
	})
}

func (e *schedEnv) handle(t *testing.T, d *datadriven.TestData) string {
	switch d.Cmd {
	case "policy":
		// policy
		// <TOML>
		return e.handlePolicy(d)
	case "status":
		// status
		// node n1 online
		// rsc db n1 Started
		return e.handleStatus(d)
	case "node":
		// node down n1
		return e.handleNode(d)
	case "op-result":
		// op-result db n1 monitor interval=10s rc=7 [at=RFC3339]
		return e.handleOpResult(d)
	case "schedule":
		// schedule [at=RFC3339]
		return e.handleSchedule(d)
	case "apply":
		// apply: the status becomes the last transition's outcome.
		return e.handleApply()
	case "explain":
		// explain db [at=RFC3339]
		return e.handleExplain(d)
	}
	t.Fatalf("%s: unknown command %q", d.Pos, d.Cmd)
	return ""
}

func (e *schedEnv) handlePolicy(d *datadriven.TestData) string {
	cfg, err := policy.Parse("policy.toml", []byte(d.Input))
	if err != nil {
		return "error: " + err.Error()
	}
	e.cfg = cfg
	return "ok"
}

func (e *schedEnv) handleStatus(d *datadriven.TestData) string {
	st, err := policytest.ParseStatus(d.Input)
	if err != nil {
		return "error: " + err.Error()
	}
	e.st = st
	return "ok"
}

func (e *schedEnv) handleNode(d *datadriven.TestData) string {
	if len(d.CmdArgs) != 2 {
		return "error: want node up|down|unclean|standby|online NAME"
	}
	n := policytest.Node(&e.st, d.CmdArgs[1].Key)
	switch d.CmdArgs[0].Key {
	case "up":
		n.State = policy.NodeOnline
	case "down":
		n.State = policy.NodeOffline
	case "unclean":
		n.State = policy.NodeUnclean
	case "standby":
		n.Standby = true
	case "online":
		n.Standby = false
	default:
		return "error: want node up|down|unclean|standby|online NAME"
	}
	return "ok"
}

func argValue(d *datadriven.TestData, key string) (string, bool) {
	for _, a := range d.CmdArgs {
		if a.Key == key && len(a.Vals) > 0 {
			return a.Vals[0], true
		}
	}
	return "", false
}

func (e *schedEnv) now(d *datadriven.TestData) time.Time {
	if v, ok := argValue(d, "at"); ok {
		t, err := time.Parse(time.RFC3339, v)
		if err == nil {
			return t
		}
	}
	return defaultNow
}

func (e *schedEnv) handleOpResult(d *datadriven.TestData) string {
	if len(d.CmdArgs) < 3 {
		return "error: want op-result RSC NODE OP [interval=D] rc=N [at=T]"
	}
	rsc, node, op := d.CmdArgs[0].Key, d.CmdArgs[1].Key, d.CmdArgs[2].Key
	rec := policy.OpRecord{Op: op}
	if v, ok := argValue(d, "interval"); ok {
		iv, err := policy.ParseDuration(v)
		if err != nil {
			return "error: " + err.Error()
		}
		rec.Interval = iv
	}
	if v, ok := argValue(d, "rc"); ok {
		fmt.Sscanf(v, "%d", &rec.RC)
	}
	at := e.now(d)
	rec.At = &at
	r := policytest.Resource(&e.st, node, rsc)
	r.Ops = append(r.Ops, rec)
	ok := rec.RC == 0 || (op == "monitor" && rec.RC == 8) || (op == "monitor" && rec.Interval == 0 && rec.RC == 7)
	if ok {
		switch op {
		case "start":
			r.Role, r.Failed = policy.RoleStarted, false
		case "stop":
			r.Role, r.Failed = policy.RoleStopped, false
		case "promote":
			r.Role = policy.RolePromoted
		case "demote":
			r.Role = policy.RoleUnpromoted
		case "monitor":
			if rec.RC == 8 {
				r.Role = policy.RolePromoted
			} else if rec.RC == 7 {
				r.Role = policy.RoleStopped
			}
		}
		return "ok"
	}
	r.Failed = true
	r.FailCount++
	r.LastFailure = &at
	r.Failures = append(r.Failures, rec)
	switch op {
	case "stop":
		r.FailedStop = true
	case "start":
		r.Role = policy.RoleStarted
		r.FailCount = int(policy.Infinity)
	}
	if r.Role == policy.RoleStopped {
		r.Role = policy.RoleStarted
	}
	return "ok"
}

func (e *schedEnv) schedule(d *datadriven.TestData) policy.Transition {
	tr := policy.Schedule(e.cfg, e.st, e.now(d))
	e.last = &tr
	return tr
}

func (e *schedEnv) handleSchedule(d *datadriven.TestData) string {
	if e.cfg == nil {
		return "error: no policy yet"
	}
	return policytest.FormatTransition(e.schedule(d))
}

func (e *schedEnv) handleApply() string {
	if e.last == nil {
		return "error: nothing scheduled yet"
	}
	e.st = e.last.Apply(e.st)
	return "ok"
}

func (e *schedEnv) handleExplain(d *datadriven.TestData) string {
	if e.cfg == nil || len(d.CmdArgs) == 0 {
		return "error: want a policy and explain RESOURCE"
	}
	tr := e.schedule(d)
	out, err := tr.Explain(d.CmdArgs[0].Key)
	if err != nil {
		return "error: " + err.Error()
	}
	return strings.TrimRight(out, "\n")
}
