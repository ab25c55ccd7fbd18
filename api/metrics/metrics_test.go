package metrics

import (
	"context"
	"errors"
	"io"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/ward-ha/ward/api"
)

type src struct {
	st  api.ClusterStatus
	err error
}

func (s src) Status(context.Context) (api.ClusterStatus, error) { return s.st, s.err }

func scrape(t *testing.T, m *Metrics) string {
	t.Helper()
	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	b, _ := io.ReadAll(rec.Body)
	return string(b)
}

func TestMetricsFromStatusAndEvents(t *testing.T) {
	st := api.ClusterStatus{Node: "n1", DC: "n1", Term: 4, PolicyEpoch: 2, Quorum: api.Quorum{Quorate: true, Votes: 2, Needed: 2, Expected: 3},
		Nodes:         []api.NodeInfo{{Name: "n1", State: "online"}, {Name: "n2", State: "unclean", Standby: true}},
		Resources:     []api.ResourceInfo{{ID: "db", Role: "Promoted", Node: "n1", Managed: true}, {ID: "web", Role: "Stopped"}},
		FailedActions: []api.FailedAction{{Resource: "db", Node: "n2", Op: "monitor"}},
		Transition:    &api.TransitionInfo{ID: 9, State: "running", Done: 1, Total: 3}}
	m := New(src{st: st})
	t0 := time.Unix(1000, 0)
	m.Observe(api.Event{Kind: api.EventTransition, To: "running", Message: "transition 9: 3 actions (0 done)", At: t0})
	m.Observe(api.Event{Kind: api.EventTransition, From: "running", To: "failed", Message: "transition 9 failed: 1 of 3", At: t0.Add(2 * time.Second)})
	// A transition first seen already complete: two events, one count.
	m.Observe(api.Event{Kind: api.EventTransition, To: "complete", Message: "transition 10: 1 actions (1 done)", At: t0})
	m.Observe(api.Event{Kind: api.EventTransition, From: "running", To: "complete", Message: "transition 10 complete: 1 of 1", At: t0})
	m.Observe(api.Event{Kind: api.EventFencing, Node: "n2", To: "ok"})
	m.Observe(api.Event{Kind: api.EventFencing, Node: "n2", To: "device pdu: timeout"})
	m.Observe(api.Event{Kind: api.EventFailure, Resource: "db", To: "monitor"})
	m.ObserveOperation("db", "monitor", 10*time.Second, 30*time.Millisecond, true)
	out := scrape(t, m)
	for _, want := range []string{
		"ward_up 1", `ward_node_state{node="n2",state="unclean"} 1`, `ward_node_standby{node="n2"} 1`,
		"ward_quorum_quorate 1", "ward_quorum_votes 2", "ward_is_dc 1", `ward_dc_info{dc="n1"} 1`, "ward_policy_epoch 2",
		`ward_resource_active{node="n1",resource="db",role="Promoted"} 1`, `ward_resource_stopped{resource="web"} 1`,
		`ward_fail_count{node="n2",resource="db"} 1`, `ward_transition_actions{count="total"} 3`,
		`ward_transitions_total{result="failed"} 1`, `ward_transitions_total{result="complete"} 1`, "ward_transition_duration_seconds_sum 2",
		`ward_fencing_total{node="n2",result="ok"} 1`, `ward_fencing_total{node="n2",result="failed"} 1`,
		`ward_operation_failures_total{op="monitor",resource="db"} 1`,
		`ward_operation_duration_seconds_count{op="monitor_10000ms",resource="db",result="ok"} 1`,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("scrape lacks %q", want)
		}
	}
	if t.Failed() {
		t.Logf("scrape:\n%s", out)
	}
	if out := scrape(t, New(src{err: errors.New("down")})); !strings.Contains(out, "ward_up 0") {
		t.Errorf("scrape with a failing status lacks ward_up 0:\n%s", out)
	}
}
