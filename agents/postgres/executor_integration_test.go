//go:build integration

package postgres

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/ward-ha/ward/resources"
)

type oneAgent struct{ a resources.Agent }

func (o oneAgent) Lookup(name string) (resources.Agent, error) {
	if name != "postgres" {
		return nil, fmt.Errorf("no agent %q", name)
	}
	return o.a, nil
}

// TestIntegrationThroughExecutor drives the agent as the cluster does:
// through the executor, which passes on_node, records the promotion
// score with each result, and reports a recurring monitor's failure when
// the primary dies.
func TestIntegrationThroughExecutor(t *testing.T) {
	n := newNode(t, "alpha")
	reports := make(chan resources.Result, 64)
	e, err := resources.New(resources.Config{Agents: oneAgent{New(Options{})}, NodeName: "alpha",
		Reporter: resources.ReporterFunc(func(r resources.Result) {
			select {
			case reports <- r:
			default:
			}
		})})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- e.Run(ctx) }()
	defer func() { cancel(); <-done }()
	req := func(action string) resources.Result {
		t.Helper()
		r, err := e.Exec(ctx, resources.Request{Resource: "db:0", Agent: "postgres", Action: action, Params: n.params(), Timeout: 60 * time.Second})
		if err != nil {
			t.Fatalf("Exec(%s): %v", action, err)
		}
		return r
	}
	if r := req("start"); r.Code != resources.OK || r.Attributes["master-db"] != "1000" {
		t.Fatalf("start = %v %v %q, want success with master-db=1000", r.Code, r.Attributes, r.Output)
	}
	if r := req("promote"); r.Code != resources.OK || r.Attributes["master-db"] != "2000" {
		t.Fatalf("promote = %v %v %q, want success with master-db=2000", r.Code, r.Attributes, r.Output)
	}
	if err := e.StartMonitor(resources.MonitorSpec{Resource: "db:0", Agent: "postgres", Params: n.params(), Interval: 100 * time.Millisecond,
		Timeout: 10 * time.Second, Expect: resources.RunningPromoted}); err != nil {
		t.Fatal(err)
	}
	next := func(what string, ok func(resources.Result) bool) resources.Result {
		t.Helper()
		deadline := time.After(20 * time.Second)
		for {
			select {
			case r := <-reports:
				if r.Interval > 0 && ok(r) {
					return r
				}
			case <-deadline:
				t.Fatalf("no monitor result showed %s", what)
			}
		}
	}
	next("a healthy primary", func(r resources.Result) bool {
		return r.Code == resources.RunningPromoted && r.Failure() == resources.SeverityNone && r.Attributes["master-db"] == "2000"
	})
	n.kill(t)
	r := next("the failure", func(r resources.Result) bool { return r.Failure() != resources.SeverityNone })
	if r.Code != resources.FailedPromoted || r.Failure() != resources.SeveritySoft {
		t.Errorf("monitor after the primary died = %v (%v), want failed-promoted, a soft failure", r.Code, r.Failure())
	}
	e.StopMonitor("db:0", 100*time.Millisecond)
	if r := req("stop"); r.Code != resources.OK || r.Attributes == nil || r.Attributes["master-db"] != "" || r.Attributes["db_lag"] != "" || len(r.Attributes) != 2 {
		t.Errorf("stop = %v %v, want success deleting master-db and db_lag", r.Code, r.Attributes)
	}
}
