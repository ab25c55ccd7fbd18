package resources_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ward-ha/ward/resources"
)

func TestExecRecordsHistoryAndReports(t *testing.T) {
	a := newFakeAgent()
	a.setCodes("start", resources.OK)
	a.setCodes("promote", resources.ErrNotConfigured)
	h := newHarness(t, resolver{"fake": a}, 0)
	r := h.exec1(resources.Request{Resource: "db", Agent: "fake", Action: "start", Params: map[string]string{"x": "1"}, Timeout: time.Second})
	if r.Code != resources.OK || r.Kind != resources.KindDone || r.Failure() != resources.SeverityNone || r.Output != "start done" {
		t.Errorf("Exec(start) = %+v, want OK done", r)
	}
	if c := a.calls[0]; c.Meta["on_node"] != "n1" || c.Params["x"] != "1" || c.Timeout != time.Second {
		t.Errorf("agent call = %+v, want meta on_node=n1, param x=1, timeout 1s", c)
	}
	if got := h.report(); got.Seq != r.Seq || got.Action != "start" {
		t.Errorf("report = %+v, want the start result", got)
	}
	r = h.exec1(resources.Request{Resource: "db", Agent: "fake", Action: "promote"})
	if r.Code != resources.ErrNotConfigured || r.Failure() != resources.SeverityFatal {
		t.Errorf("Exec(promote) = rc %v severity %v, want not-configured fatal", r.Code, r.Failure())
	}
	h.report()
	r = h.exec1(resources.Request{Resource: "db", Agent: "nosuch", Action: "start"})
	if r.Code != resources.ErrNotInstalled || r.Kind != resources.KindError || r.Failure() != resources.SeverityHard || !strings.Contains(r.Error, "no agent nosuch") {
		t.Errorf("Exec(unknown agent) = %+v, want not-installed error, hard", r)
	}
	h.report()
	hist, ok := h.exec.History("db")
	if !ok || hist.FailCount != 2 || !hist.LastFailure.Equal(t0) || len(hist.Failures) != 2 {
		t.Fatalf("History(db) = %+v, want 2 failures at %v", hist, t0)
	}
	if len(hist.Last) != 2 || hist.Last[0].Key() != "promote_0" || hist.Last[1].Key() != "start_0" || hist.Last[1].Kind != resources.KindError {
		t.Errorf("History(db).Last keys = %v, want promote_0 and start_0 (latest: the error)", hist.Last)
	}
	for i := 0; i < 5; i++ {
		h.exec1(resources.Request{Resource: "db", Agent: "fake", Action: "stop"})
		h.report()
	}
	hist, _ = h.exec.History("db")
	if len(hist.Log) != 4 || hist.Log[3].Action != "stop" {
		t.Errorf("History(db).Log has %d entries, want the bounded 4", len(hist.Log))
	}
	h.exec.ClearFailures("db")
	if hist, _ = h.exec.History("db"); hist.FailCount != 0 || len(hist.Failures) != 0 {
		t.Errorf("after ClearFailures FailCount = %d, want 0", hist.FailCount)
	}
	if got := h.exec.Resources(); len(got) != 1 || got[0] != "db" {
		t.Errorf("Resources() = %v, want [db]", got)
	}
	if err := h.exec.Forget("db"); err != nil {
		t.Errorf("Forget(db) = %v", err)
	}
	if _, ok := h.exec.History("db"); ok {
		t.Errorf("History(db) after Forget found it")
	}
}

func TestExecBadRequestsAndNotRunning(t *testing.T) {
	a := newFakeAgent()
	e, err := resources.New(resources.Config{Agents: resolver{"fake": a}})
	if err != nil {
		t.Fatal(err)
	}
	if r, err := e.Exec(context.Background(), resources.Request{Resource: "a", Agent: "fake", Action: "start"}); err != nil || r.Code != resources.OK {
		t.Errorf("Exec before Run = %+v, %v, want OK (Exec needs no Run)", r, err)
	}
	for _, req := range []resources.Request{
		{Agent: "fake", Action: "start"},
		{Resource: "../etc", Agent: "fake", Action: "start"},
		{Resource: "a", Action: "start"},
		{Resource: "a", Agent: "fake"},
		{Resource: "a", Agent: "fake", Action: "start", Timeout: -1},
	} {
		if _, err := e.Exec(context.Background(), req); err == nil || errors.Is(err, resources.ErrStopped) {
			t.Errorf("Exec(%+v) = %v, want a request error", req, err)
		}
	}
	if _, err := resources.New(resources.Config{}); err == nil {
		t.Errorf("New(no agents) error = nil, want one")
	}
	if err := e.StartMonitor(resources.MonitorSpec{Resource: "a", Agent: "fake"}); err == nil {
		t.Errorf("StartMonitor(interval 0) error = nil, want one")
	}
}

func TestExecSerializesOneResource(t *testing.T) {
	a := newFakeAgent()
	a.hold = true
	a.entered = make(chan string, 10)
	h := newHarness(t, resolver{"fake": a}, 8)
	var wg sync.WaitGroup
	for i := 0; i < 4; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			h.exec1(resources.Request{Resource: "db", Agent: "fake", Action: "monitor"})
		}()
	}
	// Another resource is not held up by db's queue.
	wg.Add(1)
	go func() {
		defer wg.Done()
		h.exec1(resources.Request{Resource: "web", Agent: "fake", Action: "monitor"})
	}()
	seen := map[string]int{}
	for i := 0; i < 2; i++ {
		seen[<-a.entered]++
	}
	if seen["db"] != 1 || seen["web"] != 1 {
		t.Fatalf("first two calls entering the agent = %v, want one db and one web", seen)
	}
	for i := 0; i < 5; i++ {
		a.release <- struct{}{}
	}
	wg.Wait()
	if n := len(a.entered); n != 3 {
		t.Errorf("later calls = %d, want the 3 remaining db calls", n)
	}
	if a.maxPer != 1 {
		t.Errorf("max concurrent operations of one resource = %d, want 1", a.maxPer)
	}
	if a.maxAll < 2 {
		t.Errorf("max concurrent operations overall = %d, want 2 (db and web together)", a.maxAll)
	}
}

func TestExecNodeConcurrencyLimit(t *testing.T) {
	a := newFakeAgent()
	a.hold = true
	a.entered = make(chan string, 10)
	h := newHarness(t, resolver{"fake": a}, 2)
	var wg sync.WaitGroup
	for _, id := range []string{"r1", "r2", "r3", "r4", "r5"} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			h.exec1(resources.Request{Resource: id, Agent: "fake", Action: "start"})
		}()
	}
	<-a.entered
	<-a.entered
	for i := 0; i < 5; i++ {
		a.release <- struct{}{}
	}
	wg.Wait()
	if a.maxAll != 2 {
		t.Errorf("max concurrent operations = %d, want 2 (MaxConcurrent)", a.maxAll)
	}
}

func TestExecTimeoutOnInjectedClock(t *testing.T) {
	a := newFakeAgent()
	a.hold = true
	h := newHarness(t, resolver{"fake": a}, 0)
	done := make(chan resources.Result)
	go func() {
		done <- h.exec1(resources.Request{Resource: "db", Agent: "fake", Action: "start", Timeout: 30 * time.Second})
	}()
	h.waitTimers(1)
	h.clock.Advance(29 * time.Second)
	select {
	case r := <-done:
		t.Fatalf("Exec returned %+v before its timeout", r)
	default:
	}
	h.clock.Advance(time.Second)
	r := <-done
	if r.Kind != resources.KindTimeout || r.Code != resources.ErrGeneric || r.Failure() != resources.SeveritySoft {
		t.Errorf("Exec(hanging start) = kind %q rc %v, want timeout generic-error soft", r.Kind, r.Code)
	}
	if r.Duration() != 30*time.Second || !strings.Contains(r.Error, "timed out after 30s") {
		t.Errorf("Exec(hanging start) duration %v error %q, want 30s and a timeout message", r.Duration(), r.Error)
	}
}

func TestExecCanceledByShutdown(t *testing.T) {
	a := newFakeAgent()
	a.hold = true
	a.entered = make(chan string, 1)
	h := newHarness(t, resolver{"fake": a}, 0)
	done := make(chan resources.Result)
	go func() { done <- h.exec1(resources.Request{Resource: "db", Agent: "fake", Action: "stop"}) }()
	<-a.entered
	h.stop()
	r := <-done
	if r.Kind != resources.KindCanceled || !strings.Contains(r.Error, "executor stopped") {
		t.Errorf("Exec during shutdown = kind %q error %q, want canceled by executor stop", r.Kind, r.Error)
	}
	if _, err := h.exec.Exec(context.Background(), resources.Request{Resource: "db", Agent: "fake", Action: "stop"}); !errors.Is(err, resources.ErrStopped) {
		t.Errorf("Exec after Run returned = %v, want ErrStopped", err)
	}
	if err := h.exec.Run(context.Background()); err == nil {
		t.Errorf("second Run() = nil, want an error")
	}
}

func TestExecCallerGivesUpInQueue(t *testing.T) {
	a := newFakeAgent()
	a.hold = true
	a.entered = make(chan string, 1)
	h := newHarness(t, resolver{"fake": a}, 0)
	go h.exec1(resources.Request{Resource: "db", Agent: "fake", Action: "start"})
	<-a.entered
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := h.exec.Exec(ctx, resources.Request{Resource: "db", Agent: "fake", Action: "stop"}); !errors.Is(err, context.Canceled) {
		t.Errorf("Exec(canceled ctx, queued) = %v, want context.Canceled", err)
	}
	a.release <- struct{}{}
	h.report()
}

func TestProbeAll(t *testing.T) {
	a := newFakeAgent()
	a.setCodes("monitor", resources.NotRunning, resources.OK, resources.RunningPromoted, resources.ErrNotInstalled)
	h := newHarness(t, resolver{"fake": a}, 2)
	reqs := []resources.Request{
		{Resource: "a", Agent: "fake"}, {Resource: "b", Agent: "fake"}, {Resource: "c", Agent: "fake"}, {Resource: "d", Agent: "fake"},
		{Resource: "e", Agent: "none"}, {Agent: "fake"},
	}
	res := h.exec.ProbeAll(context.Background(), reqs)
	if len(res) != len(reqs) {
		t.Fatalf("ProbeAll returned %d results, want %d", len(res), len(reqs))
	}
	codes := map[resources.Code]int{}
	fails := 0
	for i, r := range res[:4] {
		if r.Resource != reqs[i].Resource || r.Action != "monitor" || !r.Probe() {
			t.Errorf("ProbeAll()[%d] = %s %s, want a probe of %s", i, r.Resource, r.Key(), reqs[i].Resource)
		}
		codes[r.Code]++
		if r.Failure() != resources.SeverityNone {
			fails++
		}
	}
	// Codes go to whichever probe runs first; what matters is that 7, 0
	// and 8 are states, and 5 alone is a (hard) failure.
	if len(codes) != 4 || fails != 1 {
		t.Errorf("probe codes %v with %d failures, want 4 distinct codes and 1 failure", codes, fails)
	}
	if r := res[4]; r.Code != resources.ErrNotInstalled || r.Failure() != resources.SeverityHard {
		t.Errorf("probe with unknown agent = %v %v, want not-installed hard", r.Code, r.Failure())
	}
	if r := res[5]; r.Kind != resources.KindError || !strings.Contains(r.Error, "resource id is empty") {
		t.Errorf("probe without resource = %+v, want an error result", r)
	}
	for i := 0; i < 5; i++ {
		h.report()
	}
}

func TestExecRefusesStaleTerms(t *testing.T) {
	a := newFakeAgent()
	a.hold = true
	a.entered = make(chan string, 4)
	h := newHarness(t, resolver{"fake": a}, 0)
	if got := h.exec.ObserveTerm(5); got != 5 {
		t.Fatalf("ObserveTerm(5) = %d, want 5", got)
	}
	if got := h.exec.ObserveTerm(3); got != 5 {
		t.Fatalf("ObserveTerm(3) = %d, want 5 (never lowered)", got)
	}
	if _, err := h.exec.Exec(context.Background(), resources.Request{Resource: "db", Agent: "fake", Action: "start", Term: 4}); !errors.Is(err, resources.ErrStaleTerm) {
		t.Errorf("Exec(term 4 after 5) = %v, want ErrStaleTerm", err)
	}
	// A term-6 start holds the queue; a term-6 stop waits behind it;
	// then term 7 is seen: the queued stop must not run.
	first := make(chan resources.Result)
	go func() {
		first <- h.exec1(resources.Request{Resource: "db", Agent: "fake", Action: "start", Term: 6})
	}()
	<-a.entered
	second := make(chan error)
	go func() {
		_, err := h.exec.Exec(context.Background(), resources.Request{Resource: "db", Agent: "fake", Action: "stop", Term: 6})
		second <- err
	}()
	// Term 7 arrives while the stop waits (or before it reaches the
	// queue: refused either way, and never run).
	h.exec.ObserveTerm(7)
	a.release <- struct{}{}
	if r := <-first; r.Term != 6 || r.Code != resources.OK {
		t.Errorf("term-6 start = term %d rc %v, want term 6 OK", r.Term, r.Code)
	}
	if err := <-second; !errors.Is(err, resources.ErrStaleTerm) {
		t.Errorf("queued term-6 stop after term 7 = %v, want ErrStaleTerm", err)
	}
	if n := a.numCalls(); n != 1 {
		t.Errorf("agent calls = %d, want 1 (the stale stop never ran)", n)
	}
	h.report()
	// A local call (term 0) is never checked.
	a.hold = false
	if r := h.exec1(resources.Request{Resource: "db", Agent: "fake", Action: "monitor"}); r.Code != resources.OK {
		t.Errorf("local monitor (term 0) = %v, want OK", r.Code)
	}
	h.report()
}

// bigAgent answers with a large output.
type bigAgent struct{}

func (bigAgent) Do(context.Context, resources.Call) resources.Outcome {
	return resources.Outcome{Code: resources.ErrGeneric, Output: strings.Repeat("x", 100_000) + "the end"}
}

func (bigAgent) Metadata(context.Context) (*resources.Metadata, error) {
	return &resources.Metadata{Name: "big"}, nil
}

func TestHistoryKeepsBoundedOutput(t *testing.T) {
	h := newHarness(t, resolver{"big": bigAgent{}}, 0)
	r := h.exec1(resources.Request{Resource: "b", Agent: "big", Action: "start"})
	if len(r.Output) != 100_007 {
		t.Errorf("Exec result output = %d bytes, want all 100007", len(r.Output))
	}
	h.report()
	hist, _ := h.exec.History("b")
	for _, e := range append(append(hist.Log, hist.Last...), hist.Failures...) {
		if len(e.Output) > 5000 || !strings.HasSuffix(e.Output, "the end") || !e.Truncated {
			t.Errorf("history entry output = %d bytes (truncated %v), want at most about 4 KiB ending with the tail", len(e.Output), e.Truncated)
		}
	}
}

type panicAgent struct{}

func (panicAgent) Do(context.Context, resources.Call) resources.Outcome { panic("boom") }

func (panicAgent) Metadata(context.Context) (*resources.Metadata, error) {
	return &resources.Metadata{Name: "panic"}, nil
}

func TestExecSurvivesAgentPanic(t *testing.T) {
	h := newHarness(t, resolver{"p": panicAgent{}}, 0)
	r := h.exec1(resources.Request{Resource: "x", Agent: "p", Action: "start"})
	if r.Code != resources.ErrGeneric || r.Kind != resources.KindError || !strings.Contains(r.Error, "panicked") {
		t.Errorf("Exec(panicking agent) = rc %v kind %q error %q, want a failed operation", r.Code, r.Kind, r.Error)
	}
	h.report()
	// The resource's queue was released.
	h.exec1(resources.Request{Resource: "x", Agent: "p", Action: "stop"})
	h.report()
}
