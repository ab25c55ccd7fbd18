package controller

import (
	"testing"
	"time"

	"github.com/ward-ha/ward/policy"
	"github.com/ward-ha/ward/resources"
)

func res(seq uint64, action string, iv time.Duration, code resources.Code, kind resources.Kind) resources.Result {
	r := resources.Result{Seq: seq, Resource: "db", Action: action, Interval: iv, Code: code, Kind: kind}
	if action == resources.ActionMonitor && iv > 0 {
		r.Expect = resources.OK
	}
	return r
}

func TestStatusFromHistory(t *testing.T) {
	ok, nr := resources.OK, resources.NotRunning
	for _, tc := range []struct {
		name       string
		last       []resources.Result
		role       policy.Role
		failed     bool
		failedStop bool
	}{
		{"nothing", nil, policy.RoleStopped, false, false},
		{"probe not running", []resources.Result{res(1, "monitor", 0, nr, "")}, policy.RoleStopped, false, false},
		{"probe running", []resources.Result{res(1, "monitor", 0, ok, "")}, policy.RoleStarted, false, false},
		{"probe promoted", []resources.Result{res(1, "monitor", 0, resources.RunningPromoted, "")}, policy.RolePromoted, false, false},
		{"probe error", []resources.Result{res(1, "monitor", 0, resources.ErrGeneric, "")}, policy.RoleStarted, true, false},
		{"started", []resources.Result{res(1, "monitor", 0, nr, ""), res(2, "start", 0, ok, "")}, policy.RoleStarted, false, false},
		{"start failed", []resources.Result{res(2, "start", 0, resources.ErrGeneric, "")}, policy.RoleStarted, true, false},
		{"stopped", []resources.Result{res(2, "start", 0, ok, ""), res(3, "stop", 0, ok, "")}, policy.RoleStopped, false, false},
		{"stop timed out", []resources.Result{res(2, "start", 0, ok, ""), res(3, "stop", 0, resources.ErrGeneric, resources.KindTimeout)}, policy.RoleStopped, false, true},
		{"monitor found it dead", []resources.Result{res(2, "start", 0, ok, ""), res(3, "monitor", time.Second, nr, "")}, policy.RoleStarted, true, false},
		{"old monitor failure before restart", []resources.Result{res(3, "monitor", time.Second, nr, ""), res(4, "start", 0, ok, "")}, policy.RoleStarted, false, false},
		{"promoted", []resources.Result{res(2, "start", 0, ok, ""), res(3, "promote", 0, ok, "")}, policy.RolePromoted, false, false},
		{"demoted", []resources.Result{res(3, "promote", 0, ok, ""), res(4, "demote", 0, ok, "")}, policy.RoleUnpromoted, false, false},
		{"demote failed", []resources.Result{res(3, "promote", 0, ok, ""), res(4, "demote", 0, resources.ErrGeneric, "")}, policy.RolePromoted, true, false},
		// OCF 7 on a start, promote or demote: the agent says it is not
		// running (seed 637: the DC demoted a stopped instance for ever).
		{"demote not running", []resources.Result{res(3, "promote", 0, ok, ""), res(4, "stop", 0, ok, ""), res(5, "demote", 0, nr, "")}, policy.RoleStopped, false, false},
		{"promote not running", []resources.Result{res(3, "stop", 0, ok, ""), res(4, "promote", 0, nr, "")}, policy.RoleStopped, false, false},
		{"start not running", []resources.Result{res(4, "start", 0, nr, "")}, policy.RoleStopped, false, false},
		{"promote timed out", []resources.Result{res(4, "promote", 0, resources.ErrGeneric, resources.KindTimeout)}, policy.RolePromoted, true, false},
	} {
		rs := statusFromHistory(resources.History{Resource: "db", Last: tc.last})
		if rs.Role != tc.role || rs.Failed != tc.failed || rs.FailedStop != tc.failedStop {
			t.Errorf("%s: statusFromHistory = role %s failed %v failed_stop %v, want %s %v %v", tc.name, rs.Role, rs.Failed, rs.FailedStop, tc.role, tc.failed, tc.failedStop)
		}
		if len(rs.Ops) != len(tc.last) {
			t.Errorf("%s: %d op records, want %d", tc.name, len(rs.Ops), len(tc.last))
		}
	}
}

func TestLineDiff(t *testing.T) {
	for _, tc := range []struct{ a, b, want string }{
		{"x\ny", "x\ny", ""},
		{"a\nb\nc", "a\nc", " a\n-b\n c\n"},
		{"a\nc", "a\nb\nc", " a\n+b\n c\n"},
		{"a", "b", "+b\n-a\n"},
	} {
		if got := lineDiff(tc.a, tc.b); got != tc.want {
			t.Errorf("lineDiff(%q, %q) = %q, want %q", tc.a, tc.b, got, tc.want)
		}
	}
}

func TestInstances(t *testing.T) {
	cfg, err := policy.Parse("p.toml", []byte(clusterPolicy(3, `
[[primitive]]
id = "ip"
agent = "dummy"

[[primitive]]
id = "web"
agent = "dummy"

[[clone]]
id = "web-clone"
resource = "web"
globally_unique = true
clone_max = 2
`)))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, i := range instances(cfg) {
		got = append(got, i.id)
	}
	want := []string{"ip", "web:0", "web:1"}
	if len(got) != len(want) || got[0] != want[0] || got[1] != want[1] || got[2] != want[2] {
		t.Errorf("instances = %v, want %v", got, want)
	}
	s := resourceSpec(cfg, "web:1")
	if s == nil || s.agent != "dummy" || s.meta["clone_max"] != "2" || s.meta["globally_unique"] != "true" {
		t.Errorf("resourceSpec(web:1) = %+v, want the dummy agent with clone meta", s)
	}
	if resourceSpec(cfg, "nope") != nil {
		t.Errorf("resourceSpec(nope) != nil")
	}
}
