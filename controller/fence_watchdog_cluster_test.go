package controller

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ward-ha/ward/fencing"
	"github.com/ward-ha/ward/internal/clock"
)

// watchdogPolicy is a three-node policy whose only fencing is the
// watchdog (watchdog_timeout 4s: each node's watchdog resets it 2s after
// it was last fed).
func watchdogPolicy() string {
	src := clusterPolicy(3, vipPolicy+preferN1)
	src = strings.Replace(src, "[cluster]\n", "[cluster]\nwatchdog_timeout = \"4s\"\n", 1)
	return strings.Replace(src, `plugin = "lab"`, `plugin = "watchdog"`, 1)
}

// startWatchdogs gives every node a simulated watchdog (reset time 2s,
// reset = power off) fed by a Feeder with WatchdogHealth, as the daemon
// does. It returns a function that reports the nodes that were reset.
func startWatchdogs(t *testing.T, h *harness) func() []string {
	t.Helper()
	var mu sync.Mutex
	var reset []string
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	t.Cleanup(func() { cancel(); wg.Wait() })
	for _, name := range h.sortedNodes() {
		n := h.nodes[name]
		wd := fencing.NewSimWatchdog(clock.Real(), 2*time.Second, func() {
			mu.Lock()
			reset = append(reset, name)
			mu.Unlock()
			h.record("watchdog-reset", name, "")
			go func() { _ = h.powerOff(name) }()
		})
		f := fencing.NewFeeder(wd, 4*time.Second, WatchdogHealth(n.hb, n.ex), clock.Real(), nil)
		wg.Go(func() { _ = f.Run(ctx) })
	}
	return func() []string {
		mu.Lock()
		defer mu.Unlock()
		return append([]string(nil), reset...)
	}
}

// TestClusterWatchdogMinorityStopsInTime: n1 (running vip) is cut off;
// it stops vip on its own within half of watchdog_timeout, so its
// watchdog never fires; the majority counts it fenced after
// watchdog_timeout and only then starts vip.
func TestClusterWatchdogMinorityStopsInTime(t *testing.T) {
	h := newHarness(t, watchdogPolicy())
	startAll(t, h)
	resets := startWatchdogs(t, h)
	mark := len(h.events)
	cut := time.Now()
	h.nw.Isolate(h.nodes["n1"].addr)
	h.eventually(20*time.Second, "vip recovered on the majority", func() bool {
		r := h.running("vip")
		return len(r) == 1 && r[0] != "n1"
	})
	stop := h.eventIndex(mark, "stop", "n1", "vip")
	start := h.eventIndex(mark, "start", "", "vip")
	if stop < 0 || start < stop {
		t.Fatalf("n1 stopped vip at event %d, vip started elsewhere at %d; want the stop first", stop, start)
	}
	if waited := h.event(start).at.Sub(cut); waited < 4*time.Second {
		t.Fatalf("vip started %v after the cut, before watchdog_timeout (4s)", waited)
	}
	if r := resets(); len(r) != 0 {
		t.Fatalf("watchdog resets %v, want none (n1 stopped in time)", r)
	}
}

// TestClusterWatchdogResetsNodeThatCannotStop: n1's stop of vip hangs;
// its watchdog starves and resets it before the majority, after
// watchdog_timeout, starts vip elsewhere.
func TestClusterWatchdogResetsNodeThatCannotStop(t *testing.T) {
	h := newHarness(t, watchdogPolicy())
	startAll(t, h)
	resets := startWatchdogs(t, h)
	if err := os.WriteFile(filepath.Join(h.nodes["n1"].agentDir, "vip.fail-stop"), []byte("hang sticky"), 0o644); err != nil {
		t.Fatal(err)
	}
	mark := len(h.events)
	h.nw.Isolate(h.nodes["n1"].addr)
	h.eventually(20*time.Second, "vip recovered on the majority", func() bool {
		r := h.running("vip")
		return len(r) == 1 && r[0] != "n1"
	})
	reset := h.eventIndex(mark, "watchdog-reset", "n1", "")
	start := h.eventIndex(mark, "start", "", "vip")
	if reset < 0 || start < reset {
		t.Fatalf("n1's watchdog reset at event %d, vip started elsewhere at %d; want the reset first (resets: %v)", reset, start, resets())
	}
}
