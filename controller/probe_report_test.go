package controller

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/ward-ha/ward/heartbeat"
	"github.com/ward-ha/ward/heartbeat/quorum"
	"github.com/ward-ha/ward/policy"
	"github.com/ward-ha/ward/resources"
)

// runningAgent answers every probe "running" (vip left running by a
// daemon that crashed) and records the calls.
type runningAgent struct{ probes chan string }

func (a runningAgent) Do(_ context.Context, c resources.Call) resources.Outcome {
	if c.Action == resources.ActionMonitor {
		a.probes <- c.Resource
	}
	return resources.Outcome{Code: resources.OK}
}

func (a runningAgent) Metadata(context.Context) (*resources.Metadata, error) {
	return &resources.Metadata{}, nil
}

// msgRecorder is a Cluster that hands over every message sent.
type msgRecorder struct{ sent chan message }

func (s *msgRecorder) Membership() heartbeat.Membership   { return heartbeat.Membership{} }
func (s *msgRecorder) Changes() <-chan struct{}           { return nil }
func (s *msgRecorder) Messages() <-chan heartbeat.Message { return nil }
func (s *msgRecorder) SetTerm(uint64)                     {}
func (s *msgRecorder) SetEpoch(uint64)                    {}
func (s *msgRecorder) SendReliable(_ context.Context, _ string, b []byte) error {
	m, err := decodeMessage(b)
	if err != nil {
		return err
	}
	s.sent <- m
	return nil
}

// TestReportOnlyAfterProbes pins the fix of seed 5313 (two-active vip,
// docs/reliability.md): a daemon that just started and follows a DC it
// heard of sent a report before probing; the DC took it for the node's
// state (nothing runs here) while vip, left running by the crashed
// daemon, still ran. The first report must come after the probes.
func TestReportOnlyAfterProbes(t *testing.T) {
	cfg, err := policy.Parse("test.toml", []byte(clusterPolicy(3, vipPolicy)))
	if err != nil {
		t.Fatal(err)
	}
	st, err := OpenStore(t.TempDir(), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	agent := runningAgent{probes: make(chan string, 8)}
	ex, err := resources.New(resources.Config{Agents: oneAgent{agent}})
	if err != nil {
		t.Fatal(err)
	}
	rec := &msgRecorder{sent: make(chan message, 8)}
	c := &Controller{node: "n3", store: st, ex: ex, cl: rec, log: slog.New(slog.DiscardHandler),
		inbox: make(chan func(context.Context), 8)}
	c.loop.init(cfg, PolicyState{Epoch: 1})
	c.loop.mem = heartbeat.Membership{Self: "n3", Quorum: quorum.Result{Quorate: true, Total: 3}}
	ctx, cancel := context.WithCancel(context.Background())
	defer func() { cancel(); c.wg.Wait() }()
	if _, err := st.ObserveTerm(1); err != nil {
		t.Fatal(err)
	}
	c.follow("n1", 1) // a ping or a view of DC n1 arrived before its join request
	c.sendReportIfDirty(ctx)
	select {
	case m := <-rec.sent:
		t.Fatalf("sendReportIfDirty sent a %s before probing, want the probes first", m.Kind)
	case r := <-agent.probes:
		if r != "vip" {
			t.Fatalf("probed %q, want vip", r)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("sendReportIfDirty neither probed nor reported")
	}
	select {
	case f := <-c.inbox: // the probes are done: the loop runs what waited for them
		f(ctx)
	case <-time.After(5 * time.Second):
		t.Fatal("probes never handed back to the loop")
	}
	select {
	case m := <-rec.sent:
		if m.Kind != msgState || roleOf(m.State.Resources, "vip") != policy.RoleStarted {
			t.Errorf("first message after the probes = %s with vip %s, want a state report with vip started", m.Kind, roleOf(m.State.Resources, "vip"))
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no report after the probes")
	}
}
