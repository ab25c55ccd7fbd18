package controller

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/ward-ha/ward/heartbeat"
	"github.com/ward-ha/ward/heartbeat/quorum"
	"github.com/ward-ha/ward/policy"
	"github.com/ward-ha/ward/resources"
)

// gateAgent is an agent whose calls wait for release (a hung or frozen
// agent) and which records the calls that reached it.
type gateAgent struct {
	release chan struct{}
	entered chan struct{} // a monitor reached the agent
	// mu guards calls.
	mu    sync.Mutex
	calls []string
}

func (a *gateAgent) Do(ctx context.Context, c resources.Call) resources.Outcome {
	a.mu.Lock()
	a.calls = append(a.calls, c.Action)
	a.mu.Unlock()
	if c.Action == resources.ActionMonitor {
		a.entered <- struct{}{}
		select {
		case <-a.release:
		case <-ctx.Done():
		}
	}
	return resources.Outcome{Code: resources.OK}
}

func (a *gateAgent) Metadata(context.Context) (*resources.Metadata, error) {
	return &resources.Metadata{}, nil
}

func (a *gateAgent) reached(action string) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	for _, c := range a.calls {
		if c == action {
			return true
		}
	}
	return false
}

type oneAgent struct{ a resources.Agent }

func (r oneAgent) Lookup(string) (resources.Agent, error) { return r.a, nil }

// guardController returns a member controller with a real executor
// over agent, quorate or not.
func guardController(t *testing.T, agent resources.Agent) (*Controller, *resources.Executor) {
	t.Helper()
	cfg, err := policy.Parse("test.toml", []byte(clusterPolicy(3, promotablePolicy)))
	if err != nil {
		t.Fatal(err)
	}
	st, err := OpenStore(t.TempDir(), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	ex, err := resources.New(resources.Config{Agents: oneAgent{agent}})
	if err != nil {
		t.Fatal(err)
	}
	c := &Controller{node: "n1", store: st, ex: ex, log: slog.New(slog.DiscardHandler)}
	c.loop.init(cfg, PolicyState{Epoch: 1})
	c.loop.mem = heartbeat.Membership{Self: "n1", Quorum: quorum.Result{Quorate: true, Total: 3}}
	return c, ex
}

// TestGuardQueuedPromoteAbortedOnQuorumLoss: a promotion accepted while
// quorate waits behind a hung monitor of the same resource; the node
// loses quorum; when the monitor ends, the promotion must not reach its
// agent (no_quorum_policy = stop).
func TestGuardQueuedPromoteAbortedOnQuorumLoss(t *testing.T) {
	agent := &gateAgent{release: make(chan struct{}), entered: make(chan struct{}, 1)}
	c, ex := guardController(t, agent)
	ctx := context.Background()
	monitor := make(chan struct{})
	go func() {
		defer close(monitor)
		_, _ = ex.Exec(ctx, resources.Request{Resource: "db", Agent: "x", Action: resources.ActionMonitor, Timeout: time.Minute})
	}()
	<-agent.entered

	gctx, release := c.guardStart(ctx, 3, &actionMsg{Kind: policy.ActionPromote, Resource: "db"})
	defer release()
	promote := make(chan error, 1)
	go func() {
		_, err := ex.Exec(gctx, resources.Request{Resource: "db", Agent: "x", Action: resources.ActionPromote, Timeout: time.Minute, Term: 3})
		promote <- err
	}()
	c.checkGuards() // quorate: nothing to abort
	if gctx.Err() != nil {
		t.Fatalf("checkGuards(quorate) cancelled the promotion: %v", context.Cause(gctx))
	}
	c.loop.mem.Quorum.Quorate = false
	c.checkGuards()
	close(agent.release)
	<-monitor
	if err := <-promote; err == nil {
		t.Errorf("Exec(promote queued before quorum loss) = nil error, want it abandoned")
	}
	if agent.reached(resources.ActionPromote) {
		t.Errorf("promote reached the agent after this node lost quorum, want never")
	}
}

// TestGuardStaleTermRefusedAtAgentCall: a stop of term 3 waits behind a
// hung monitor; the node then sees term 4; the executor must refuse the
// stop when its agent call would begin.
func TestGuardStaleTermRefusedAtAgentCall(t *testing.T) {
	agent := &gateAgent{release: make(chan struct{}), entered: make(chan struct{}, 1)}
	c, ex := guardController(t, agent)
	ctx := context.Background()
	if _, err := c.store.ObserveTerm(3); err != nil {
		t.Fatal(err)
	}
	c.checkGuards()
	monitor := make(chan struct{})
	go func() {
		defer close(monitor)
		_, _ = ex.Exec(ctx, resources.Request{Resource: "db", Agent: "x", Action: resources.ActionMonitor, Timeout: time.Minute})
	}()
	<-agent.entered
	stop := make(chan error, 1)
	go func() {
		_, err := ex.Exec(ctx, resources.Request{Resource: "db", Agent: "x", Action: resources.ActionStop, Timeout: time.Minute, Term: 3})
		stop <- err
	}()
	if _, err := c.store.ObserveTerm(4); err != nil {
		t.Fatal(err)
	}
	c.checkGuards()
	close(agent.release)
	<-monitor
	if err := <-stop; !errors.Is(err, resources.ErrStaleTerm) {
		t.Errorf("Exec(stop of term 3 queued, term 4 seen) = %v, want ErrStaleTerm", err)
	}
	if agent.reached(resources.ActionStop) {
		t.Errorf("a stop of superseded term 3 reached the agent, want never")
	}
}

// TestSettleMaybe: a report that may predate a promotion the DC sent
// (it shows db unpromoted) must not settle it; the promotion's own
// result, or a report showing db promoted, does.
func TestSettleMaybe(t *testing.T) {
	var l loopState
	l.init(&policy.Config{}, PolicyState{})
	pending := func() {
		l.maybe["n1"] = map[string]policy.ResourceStatus{"db": {ID: "db", Role: policy.RolePromoted}}
	}
	for _, tc := range []struct {
		name   string
		rs     policy.ResourceStatus
		exact  bool
		settle bool
	}{
		{"report before the action arrived", policy.ResourceStatus{ID: "db", Role: policy.RoleUnpromoted}, false, false},
		{"late result of an older action", policy.ResourceStatus{ID: "db", Role: policy.RoleStopped}, false, false},
		{"report shows it promoted", policy.ResourceStatus{ID: "db", Role: policy.RolePromoted}, false, true},
		{"the promotion's own result (failed)", policy.ResourceStatus{ID: "db", Role: policy.RoleUnpromoted}, true, true},
		{"another resource", policy.ResourceStatus{ID: "vip", Role: policy.RoleStarted}, true, false},
	} {
		pending()
		l.settleMaybe("n1", tc.rs, tc.exact)
		_, still := l.maybe["n1"]["db"]
		if still == tc.settle {
			t.Errorf("settleMaybe(%s) pending promotion kept = %v, want %v", tc.name, still, !tc.settle)
		}
	}
}
