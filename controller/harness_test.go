package controller

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ward-ha/ward/agents/registry"
	"github.com/ward-ha/ward/api"
	"github.com/ward-ha/ward/fencing"
	"github.com/ward-ha/ward/heartbeat"
	"github.com/ward-ha/ward/heartbeat/heartbeattest"
	"github.com/ward-ha/ward/policy"
	"github.com/ward-ha/ward/resources"
)

// This file is an in-process cluster for tests: several controllers in
// one process over heartbeattest's in-memory network, each with its own
// state directory, executor (built-in dummy and stateful agents in a
// temp dir) and fencer. The fencing device of the policy ("lab") is a
// fake that powers the victim off: it cuts the victim from the network,
// cancels its daemon and wipes its agent state (a reboot empties /run).

var testKeyring = heartbeat.Keyring{Primary: []byte("0123456789abcdef")}

// clusterPolicy returns a policy of n nodes with the given extra TOML.
func clusterPolicy(n int, extra string) string {
	var b strings.Builder
	b.WriteString("[cluster]\nname = \"test\"\nstonith_enabled = true\nno_quorum_policy = \"stop\"\n\n")
	var names []string
	for i := 1; i <= n; i++ {
		fmt.Fprintf(&b, "[[node]]\nname = \"n%d\"\naddresses = [\"10.1.0.%d:7946\"]\n\n", i, i)
		names = append(names, fmt.Sprintf("%q", fmt.Sprintf("n%d", i)))
	}
	fmt.Fprintf(&b, "[[fencing.device]]\nid = \"lab-power\"\nplugin = \"lab\"\nnodes = [%s]\nretries = 0\ntimeout = \"5s\"\n\n", strings.Join(names, ", "))
	b.WriteString(extra)
	return b.String()
}

const vipPolicy = `[[primitive]]
id = "vip"
agent = "dummy"

[[primitive.op]]
name = "monitor"
interval = "1s"
timeout = "5s"
`

type event struct {
	seq  int
	at   time.Time
	kind string // "fence", "start", "stop", "stop-noquorum"
	node string // where it happened (fence: the victim)
	what string // resource
}

type harness struct {
	t   testing.TB
	nw  *heartbeattest.Network
	src string
	dir string

	// mu guards the following.
	mu         sync.Mutex
	nodes      map[string]*tnode
	events     []event
	dcs        map[uint64]map[string]bool // term -> nodes that dispatched in it
	stale      []string
	fenceFails map[string]bool
	violations []string
	// saved, when set for a node before its first start, replaces the
	// bootstrap: the policies saved in its store, in epoch order from 1.
	saved map[string][]string
	// witness, when set, configures a witness vote in every node's
	// heartbeat and runs the function (a witness client) for each node
	// started, until the node stops (fence_witness_cluster_test.go).
	witness func(ctx context.Context, n *tnode)
}

type tnode struct {
	name     string
	addr     string
	stateDir string
	agentDir string

	ctrl   *Controller
	ex     *resources.Executor
	hb     *heartbeat.Cluster
	store  *Store
	cancel context.CancelFunc
	done   chan struct{} // closed once every component stopped
	exDone chan struct{} // closed once the executor stopped
	logs   *syncBuffer
	up     bool
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func newHarness(t testing.TB, src string) *harness {
	t.Helper()
	h := &harness{t: t, nw: heartbeattest.NewNetwork(), src: src, dir: t.TempDir(),
		nodes: map[string]*tnode{}, dcs: map[uint64]map[string]bool{}, fenceFails: map[string]bool{}, saved: map[string][]string{}}
	cfg, err := policy.Parse("test.toml", []byte(src))
	if err != nil {
		t.Fatalf("policy: %v", err)
	}
	for _, n := range cfg.Nodes {
		h.nodes[n.Name] = &tnode{name: n.Name, addr: n.Addresses[0],
			stateDir: filepath.Join(h.dir, n.Name, "state"), agentDir: filepath.Join(h.dir, n.Name, "agents")}
	}
	stopCheck := make(chan struct{})
	checkDone := make(chan struct{})
	go h.checkSafety(stopCheck, checkDone)
	t.Cleanup(func() {
		close(stopCheck)
		<-checkDone
		for _, n := range h.sortedNodes() {
			h.stop(n)
		}
		h.assertSafety()
		if t.Failed() {
			for _, n := range h.sortedNodes() {
				t.Logf("logs of %s:\n%s", n, h.nodes[n].logs)
			}
		}
	})
	return h
}

func (h *harness) sortedNodes() []string {
	var out []string
	for n := range h.nodes {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

func (h *harness) record(kind, node, what string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.events = append(h.events, event{seq: len(h.events), at: time.Now(), kind: kind, node: node, what: what})
}

// start boots node name (again): its store, heartbeat, executor, fencer
// and controller.
func (h *harness) start(name string) *tnode {
	t := h.t
	t.Helper()
	n := h.nodes[name]
	n.logs = &syncBuffer{}
	log := slog.New(slog.NewTextHandler(n.logs, &slog.HandlerOptions{Level: testLogLevel()})).With("node", name)
	st, err := OpenStore(n.stateDir, log)
	if err != nil {
		t.Fatal(err)
	}
	if st.Policy().Epoch == 0 {
		srcs := h.saved[name]
		if srcs == nil {
			srcs = []string{h.src}
		}
		for i, src := range srcs {
			if err := st.SavePolicy(uint64(i+1), []byte(src)); err != nil {
				t.Fatal(err)
			}
		}
	}
	cfg, err := policy.Parse("policy.toml", st.Policy().Source)
	if err != nil {
		t.Fatal(err)
	}
	timing, _ := heartbeat.Profile(heartbeat.ProfileLAN)
	timing.RejoinInterval = 200 * time.Millisecond
	hcfg := heartbeat.Config{ClusterName: "test", Self: name, Timing: timing, Keyring: &testKeyring, Logger: log,
		TwoNode: cfg.Cluster.TwoNode, WaitForAll: cfg.Cluster.TwoNode}
	for _, pn := range cfg.Nodes {
		hcfg.Nodes = append(hcfg.Nodes, heartbeat.NodeSpec{Name: pn.Name, Addresses: pn.Addresses, Votes: 1})
	}
	tr, err := h.nw.NewTransport(n.addr)
	if err != nil {
		t.Fatal(err)
	}
	hcfg.Transports = append(hcfg.Transports, tr)
	if h.witness != nil {
		hcfg.Witness = "witness"
	}
	hb, err := heartbeat.New(hcfg)
	if err != nil {
		t.Fatal(err)
	}
	reports := NewReports()
	ex, err := resources.New(resources.Config{
		Agents:   registry.New(registry.Options{StateDir: n.agentDir}, registry.Builtins()),
		NodeName: name,
		Reporter: resources.ReporterFunc(func(r resources.Result) {
			if r.Interval == 0 && r.Failure() == resources.SeverityNone && (r.Action == "start" || r.Action == "stop" || r.Action == "promote") {
				h.record(r.Action, name, r.Resource)
			}
			reports.Report(r)
		}),
		Logger: log,
	})
	if err != nil {
		t.Fatal(err)
	}
	fencer := fencing.New(fencing.Config{Node: name, Logger: log, Plugins: map[string]fencing.Plugin{
		"lab": func(policy.FenceDevice) (fencing.Device, error) { return labDevice{h}, nil },
	}})
	ctrl, err := New(Config{Node: name, Store: st, Policy: cfg, Cluster: hb, Executor: ex, Reports: reports,
		Fencer: fencer, Timing: timing, Logger: log,
		SelfFence: func() error {
			h.record("self-fence", name, "")
			return h.kill(name)
		},
		Hooks: Hooks{
			Dispatched: func(term uint64, a policy.Action) {
				h.mu.Lock()
				defer h.mu.Unlock()
				if h.dcs[term] == nil {
					h.dcs[term] = map[string]bool{}
				}
				h.dcs[term][name] = true
			},
			Executing: func(term, seen uint64, a policy.Action) {
				if term < seen {
					h.mu.Lock()
					h.stale = append(h.stale, fmt.Sprintf("%s ran %s of term %d after seeing %d", name, policy.FormatAction(a), term, seen))
					h.mu.Unlock()
				}
			},
		}})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	h.mu.Lock()
	n.ctrl, n.ex, n.hb, n.store, n.cancel, n.done, n.exDone, n.up = ctrl, ex, hb, st, cancel, make(chan struct{}), make(chan struct{}), true
	exDone := n.exDone
	h.mu.Unlock()
	var wg sync.WaitGroup
	wg.Go(func() {
		if err := hb.Run(ctx); err != nil {
			t.Errorf("heartbeat %s: %v", name, err)
		}
	})
	wg.Go(func() {
		_ = ex.Run(ctx)
		close(exDone)
	})
	wg.Go(func() { _ = ctrl.Run(ctx) })
	if h.witness != nil {
		wg.Go(func() { h.witness(ctx, n) })
	}
	done := n.done
	go func() {
		wg.Wait()
		st.Close()
		close(done)
	}()
	return n
}

// stop stops a node's daemon (if up) and waits for it.
func (h *harness) stop(name string) {
	n := h.nodes[name]
	h.mu.Lock()
	up, cancel, done := n.up, n.cancel, n.done
	n.up = false
	h.mu.Unlock()
	if !up {
		return
	}
	cancel()
	<-done
}

// crash cuts a node off the network and then stops its daemon, so the
// others see it vanish without a goodbye; its resources' state stays.
func (h *harness) crash(name string) {
	h.nw.Isolate(h.nodes[name].addr)
	h.stop(name)
}

// powerOff is what the fencing device does: the node is cut off, its
// daemon stops and its volatile agent state is gone.
func (h *harness) powerOff(name string) error {
	h.mu.Lock()
	fails := h.fenceFails[name]
	h.mu.Unlock()
	if fails {
		return errors.New("lab: power switch does not answer")
	}
	return h.kill(name)
}

// kill powers a node off (the device's work, or its own reset).
func (h *harness) kill(name string) error {
	// Power off is instant: the node is cut off and its executor (and
	// every agent process) stopped before the device answers. The rest
	// of the daemon winds down on its own: waiting for it here could
	// wait for a fence that node itself is running.
	n := h.nodes[name]
	h.nw.Isolate(n.addr)
	h.mu.Lock()
	up, cancel, exDone := n.up, n.cancel, n.exDone
	h.mu.Unlock()
	if up {
		cancel()
		<-exDone
	}
	if err := os.RemoveAll(n.agentDir); err != nil {
		return err
	}
	h.record("fence", name, "")
	return nil
}

// restart brings a fenced or crashed node back on a healed network.
func (h *harness) restart(name string) *tnode {
	h.stop(name)
	h.nw.Heal(h.nodes[name].addr)
	return h.start(name)
}

type labDevice struct{ h *harness }

func (d labDevice) Fence(ctx context.Context, target, port, action string) error {
	return d.h.powerOff(target)
}

// running returns the nodes whose dummy state says rsc runs there.
func (h *harness) running(rsc string) []string {
	var out []string
	for _, name := range h.sortedNodes() {
		if _, err := os.Stat(filepath.Join(h.nodes[name].agentDir, rsc+".state")); err == nil {
			out = append(out, name)
		}
	}
	return out
}

// checkSafety watches, until stop closes, that the non-clone resource
// vip never runs on two nodes at once. A fenced node's state is wiped
// by the device before the fence is reported, so "known fenced" nodes
// never count.
func (h *harness) checkSafety(stop <-chan struct{}, done chan<- struct{}) {
	defer close(done)
	t := time.NewTicker(5 * time.Millisecond)
	defer t.Stop()
	for {
		select {
		case <-stop:
			return
		case <-t.C:
		}
		if r := h.running("vip"); len(r) > 1 {
			h.mu.Lock()
			h.violations = append(h.violations, fmt.Sprintf("vip active on %v at once", r))
			h.mu.Unlock()
		}
	}
}

func (h *harness) assertSafety() {
	h.t.Helper()
	h.mu.Lock()
	defer h.mu.Unlock()
	for term, dcs := range h.dcs {
		if len(dcs) > 1 {
			h.t.Errorf("term %d: %d nodes dispatched as DC (%v), want at most 1", term, len(dcs), dcs)
		}
	}
	for _, s := range h.stale {
		h.t.Errorf("stale term executed: %s", s)
	}
	for i, v := range h.violations {
		if i < 5 {
			h.t.Errorf("safety: %s", v)
		}
	}
}

// eventually polls cond every 10 ms until it holds or limit passes.
func (h *harness) eventually(limit time.Duration, what string, cond func() bool) time.Duration {
	h.t.Helper()
	begin := time.Now()
	for !cond() {
		if time.Since(begin) > limit {
			h.t.Fatalf("after %v: %s did not happen", limit, what)
		}
		time.Sleep(10 * time.Millisecond) // polling interval, not synchronization
	}
	return time.Since(begin)
}

// status asks node name's controller for its status.
func (h *harness) status(name string) api.ClusterStatus {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	st, err := h.nodes[name].ctrl.Status(ctx)
	if err != nil {
		return api.ClusterStatus{}
	}
	return st
}

// dc returns the DC all up nodes agree on, or "".
func (h *harness) dc() string {
	dc := ""
	for _, name := range h.sortedNodes() {
		n := h.nodes[name]
		h.mu.Lock()
		up := n.up
		h.mu.Unlock()
		if !up {
			continue
		}
		st := h.status(name)
		if st.DC == "" || (dc != "" && st.DC != dc) {
			return ""
		}
		dc = st.DC
	}
	return dc
}

// placed returns where the DC's status says rsc is active.
func (h *harness) placed(dc, rsc string) []string {
	var out []string
	for _, r := range h.status(dc).Resources {
		if r.ID == rsc && r.Node != "" {
			out = append(out, r.Node)
		}
	}
	return out
}

// eventIndex returns the first event matching, after index from, or -1.
func (h *harness) eventIndex(from int, kind, node, what string) int {
	h.mu.Lock()
	defer h.mu.Unlock()
	for i := max(from, 0); i < len(h.events); i++ {
		e := h.events[i]
		if e.kind == kind && (node == "" || e.node == node) && (what == "" || e.what == what) {
			return i
		}
	}
	return -1
}

func (h *harness) event(i int) event {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.events[i]
}

func testLogLevel() slog.Level {
	if os.Getenv("WARD_TEST_DEBUG") != "" {
		return slog.LevelDebug
	}
	return slog.LevelInfo
}

// mark returns the index the next event will have.
func (h *harness) mark() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.events)
}
