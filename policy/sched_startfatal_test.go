package policy_test

import (
	"testing"
	"time"

	"github.com/ward-ha/ward/policy"
)

// TestScheduleFailedStartStaysFatal: with start_failure_is_fatal (the
// default), a start that failed bans the node until a cleanup, also
// once the recovery's stop succeeded and the instance is no longer
// marked failed (docs/catalogue.md, Bug B: the start was retried about
// once a second for ever).
func TestScheduleFailedStartStaysFatal(t *testing.T) {
	src := `[cluster]
name = "t"
stonith_enabled = false

[[node]]
name = "n1"
addresses = ["10.0.0.1"]

[[node]]
name = "n2"
addresses = ["10.0.0.2"]

[[primitive]]
id = "db"
agent = "dummy"

[[location]]
id = "db-prefers-n1"
resource = "db"
node = "n1"
score = "100"
`
	at := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	failedStart := policy.OpRecord{Op: "start", RC: 1, At: &at}
	cases := []struct {
		name     string
		fatal    bool
		failures []policy.OpRecord
		want     string // node db is placed on
	}{
		{"failed start, stopped since", true, []policy.OpRecord{failedStart}, "n2"},
		{"failed start, not fatal", false, []policy.OpRecord{failedStart}, "n1"},
		{"failed monitor only", true, []policy.OpRecord{{Op: "monitor", Interval: policy.Duration(10 * time.Second), RC: 7, At: &at}}, "n1"},
	}
	for _, tc := range cases {
		cfg, err := policy.Parse("t.toml", []byte(fixFatal(src, tc.fatal)))
		if err != nil {
			t.Fatalf("%s: Parse = %v", tc.name, err)
		}
		st := policy.Status{Quorate: true, Nodes: []policy.NodeStatus{
			{Name: "n1", State: policy.NodeOnline, Resources: []policy.ResourceStatus{
				{ID: "db", Role: policy.RoleStopped, FailCount: 1, LastFailure: &at, Failures: tc.failures}}},
			{Name: "n2", State: policy.NodeOnline},
		}}
		tr := policy.Schedule(cfg, st, at.Add(time.Minute))
		got := ""
		for _, p := range tr.Placements {
			if p.Resource == "db" {
				got = p.Node
			}
		}
		if got != tc.want {
			t.Errorf("Schedule(%s) places db on %q, want %q", tc.name, got, tc.want)
		}
	}
}

// fixFatal sets start_failure_is_fatal in the [cluster] table of src.
func fixFatal(src string, fatal bool) string {
	if fatal {
		return src
	}
	return "[cluster]\nstart_failure_is_fatal = false\n" + src[len("[cluster]\n"):]
}
