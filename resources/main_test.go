package resources_test

import (
	"context"
	"errors"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/ward-ha/ward/internal/clock/clocktest"
	"github.com/ward-ha/ward/resources"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

var t0 = time.Date(2026, 11, 26, 8, 0, 0, 0, time.UTC)

// fakeAgent is a scripted Agent: it records calls, answers codes per
// action, and can hold calls until a test releases them.
type fakeAgent struct {
	mu      sync.Mutex
	calls   []resources.Call
	codes   map[string][]resources.Code // per action, consumed in order; last one sticks
	hold    bool                        // Do blocks until release or ctx done
	release chan struct{}
	entered chan string // receives the resource of each call entering Do (if non-nil)
	active  map[string]int
	maxPer  int
	total   int
	maxAll  int
}

func newFakeAgent() *fakeAgent {
	return &fakeAgent{codes: map[string][]resources.Code{}, release: make(chan struct{}), active: map[string]int{}}
}

func (a *fakeAgent) setCodes(action string, codes ...resources.Code) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.codes[action] = codes
}

func (a *fakeAgent) Do(ctx context.Context, c resources.Call) resources.Outcome {
	a.mu.Lock()
	a.calls = append(a.calls, c)
	a.active[c.Resource]++
	a.total++
	a.maxPer = max(a.maxPer, a.active[c.Resource])
	a.maxAll = max(a.maxAll, a.total)
	code := resources.OK
	if cs := a.codes[c.Action]; len(cs) > 0 {
		code = cs[0]
		if len(cs) > 1 {
			a.codes[c.Action] = cs[1:]
		}
	}
	hold := a.hold
	a.mu.Unlock()
	defer func() {
		a.mu.Lock()
		a.active[c.Resource]--
		a.total--
		a.mu.Unlock()
	}()
	if a.entered != nil {
		a.entered <- c.Resource
	}
	if hold {
		select {
		case <-a.release:
		case <-ctx.Done():
			return resources.Outcome{Code: resources.ErrGeneric, Output: "interrupted"}
		}
	}
	return resources.Outcome{Code: code, Output: c.Action + " done"}
}

func (a *fakeAgent) Metadata(context.Context) (*resources.Metadata, error) {
	return &resources.Metadata{Name: "fake"}, nil
}

func (a *fakeAgent) numCalls() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return len(a.calls)
}

// resolver maps names to agents.
type resolver map[string]resources.Agent

func (r resolver) Lookup(name string) (resources.Agent, error) {
	if a, ok := r[name]; ok {
		return a, nil
	}
	return nil, errors.New("no agent " + name)
}

// harness runs an Executor on a fake clock and collects reports.
type harness struct {
	t       *testing.T
	clock   *clocktest.Fake
	exec    *resources.Executor
	reports chan resources.Result
	cancel  context.CancelFunc
	done    chan error
}

func newHarness(t *testing.T, agents resolver, maxConc int) *harness {
	t.Helper()
	h := &harness{t: t, clock: clocktest.NewFake(t0), reports: make(chan resources.Result, 1000), done: make(chan error, 1)}
	e, err := resources.New(resources.Config{
		Agents:        agents,
		NodeName:      "n1",
		Reporter:      resources.ReporterFunc(func(r resources.Result) { h.reports <- r }),
		Clock:         h.clock,
		MaxConcurrent: maxConc,
		HistoryLimit:  4,
	})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	h.exec = e
	ctx, cancel := context.WithCancel(context.Background())
	h.cancel = cancel
	go func() { h.done <- e.Run(ctx) }()
	t.Cleanup(h.stop)
	return h
}

func (h *harness) stop() {
	h.cancel()
	if err := <-h.done; err != nil {
		h.t.Errorf("Run() = %v, want nil", err)
	}
	h.done <- nil // make stop idempotent
}

// report waits for the next report.
func (h *harness) report() resources.Result {
	h.t.Helper()
	select {
	case r := <-h.reports:
		return r
	case <-time.After(10 * time.Second):
		h.t.Fatalf("no report within 10s")
		return resources.Result{}
	}
}

// waitTimers waits until the executor has armed n timers.
func (h *harness) waitTimers(n int) {
	h.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if !h.clock.WaitForTimers(ctx, n) {
		h.t.Fatalf("executor armed %d timers within 10s, want %d", h.clock.Timers(), n)
	}
}

// exec runs Exec and fails the test on error.
func (h *harness) exec1(req resources.Request) resources.Result {
	h.t.Helper()
	r, err := h.exec.Exec(context.Background(), req)
	if err != nil {
		h.t.Errorf("Exec(%s %s) error: %v", req.Resource, req.Action, err)
	}
	return r
}

// waitUntil polls an outside effect (a process's state, a file) until
// cond holds, failing after 10 s.
func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// processGone reports whether pid no longer runs (absent or a zombie
// waiting for PID 1 to reap it).
func processGone(pid string) bool {
	b, err := os.ReadFile("/proc/" + strings.TrimSpace(pid) + "/stat")
	if err != nil {
		return true
	}
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	return i > 0 && i+2 < len(s) && (s[i+2] == 'Z' || s[i+2] == 'X')
}
