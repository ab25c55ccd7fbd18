package fencing

import (
	"context"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ward-ha/ward/internal/clock/clocktest"
	"github.com/ward-ha/ward/policy"
)

// node is a minority node with a simulated watchdog: it is quorate until
// cut, and runs resources until it manages to stop them.
type wdNode struct {
	quorate atomic.Bool
	active  atomic.Int32
	reset   atomic.Int64 // fake time (ns since start) of the reset, 0: none
}

func (n *wdNode) health() (bool, string) {
	if n.quorate.Load() || n.active.Load() == 0 {
		return true, ""
	}
	return false, "no quorum and resources still active"
}

// watchdogScenario runs a node with a watchdog (reset time T/2) and the
// quorate side's watchdog fencing (T) on one fake clock. stopAfter is
// when the cut-off node manages to stop its resources (<0: never);
// hung means its feeder never runs after the cut. It returns the fake
// time at which the node was reset (0: never) and at which fencing
// reported success.
func watchdogScenario(t *testing.T, stopAfter time.Duration, hung bool) (reset, fenced time.Duration) {
	t.Helper()
	const T = 8 * time.Second
	start := time.Unix(1000, 0)
	clk := clocktest.NewFake(start)
	n := &wdNode{}
	n.quorate.Store(true)
	n.active.Store(2)
	wd := NewSimWatchdog(clk, T/2, func() { n.reset.Store(int64(clk.Now().Sub(start))) })
	var dev WatchdogDevice = wd
	if hung {
		dev = noDisarm{wd} // a hung process never disarms
	}
	feeder := NewFeeder(dev, T, n.health, clk, nil)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	fctx, fcancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { defer wg.Done(); _ = feeder.Run(fctx) }()
	step := func(d time.Duration) {
		wctx, c := context.WithTimeout(ctx, 5*time.Second)
		defer c()
		if !clk.WaitForTimers(wctx, 2) { // feeder tick + watchdog countdown
			t.Fatal("the feeder and the watchdog did not both arm")
		}
		clk.Advance(d)
	}
	// Healthy for a while: fed, never reset.
	for i := 0; i < 16; i++ {
		step(T / 8)
	}
	if n.reset.Load() != 0 {
		t.Fatal("a healthy, fed node was reset")
	}
	// The cut: the node loses quorum; the quorate side starts fencing it.
	if hung {
		fcancel() // the feeder stops without disarming
		wg.Wait()
	}
	n.quorate.Store(false)
	cut := clk.Now().Sub(start)
	cfg := &policy.Config{Cluster: policy.Cluster{WatchdogTimeout: policy.Duration(T)},
		Fencing: policy.Fencing{Devices: []policy.FenceDevice{{ID: "wd", Plugin: "watchdog", Nodes: []string{"m"}}}}}
	f := New(Config{Node: "q", Clock: clk, Random: NewRandom("q", 1)})
	res := make(chan Result, 1)
	go func() { res <- f.Fence(ctx, cfg, "m") }()
	for {
		select {
		case r := <-res:
			if !r.OK {
				t.Fatalf("watchdog Fence(m) = %+v, want OK", r)
			}
			fenced = clk.Now().Sub(start) - cut
			fcancel()
			wg.Wait()
			if at := n.reset.Load(); at != 0 {
				reset = time.Duration(at) - cut
			}
			return reset, fenced
		default:
		}
		if stopAfter >= 0 && clk.Now().Sub(start)-cut >= stopAfter {
			n.active.Store(0)
		}
		// Every armed timer is back before time moves: the fencer's
		// wait, the feeder's tick (unless hung), the watchdog (unless
		// it fired).
		want := 0
		if clk.Now().Sub(start)-cut < T {
			want++
		}
		if !hung {
			want++
		}
		if !wd.Fired() {
			want++
		}
		wctx, c := context.WithTimeout(ctx, 5*time.Second)
		if !clk.WaitForTimers(wctx, want) {
			c()
			t.Fatalf("%d timers armed, want %d", clk.Timers(), want)
		}
		c()
		if want == 0 {
			// Only the fencer's result is pending.
			select {
			case r := <-res:
				res <- r
				continue
			case <-time.After(5 * time.Second):
				t.Fatal("the watchdog wait ended but Fence did not return")
			}
		}
		clk.Advance(T / 16)
	}
}

type noDisarm struct{ WatchdogDevice }

func (noDisarm) Disarm() error { return nil }

func TestWatchdogNodeThatCannotStopIsResetBeforeFenced(t *testing.T) {
	reset, fenced := watchdogScenario(t, -1, false)
	if reset == 0 || reset > 4*time.Second || reset >= fenced {
		t.Fatalf("node stuck with resources: reset %v after the cut, fenced %v; want a reset within T/2 = 4s, before fencing", reset, fenced)
	}
	if fenced < 8*time.Second {
		t.Fatalf("fenced %v after the cut, want at least watchdog_timeout 8s", fenced)
	}
}

func TestWatchdogHungNodeIsReset(t *testing.T) {
	reset, fenced := watchdogScenario(t, -1, true)
	if reset == 0 || reset > 4*time.Second || reset >= fenced {
		t.Fatalf("hung node: reset %v after the cut, fenced %v; want a reset within 4s, before fencing", reset, fenced)
	}
}

func TestWatchdogNodeThatStopsInTimeLives(t *testing.T) {
	reset, fenced := watchdogScenario(t, time.Second, false)
	if reset != 0 {
		t.Fatalf("node that stopped its resources 1s after the cut was reset %v after it, want no reset", reset)
	}
	if fenced < 8*time.Second {
		t.Fatalf("fenced %v after the cut, want at least 8s", fenced)
	}
}

func TestWatchdogWaitNeedsTimeout(t *testing.T) {
	cfg := &policy.Config{Fencing: policy.Fencing{Devices: []policy.FenceDevice{{ID: "wd", Plugin: "watchdog", Nodes: []string{"m"}}}}}
	r := New(Config{Node: "q"}).Fence(context.Background(), cfg, "m")
	if r.OK {
		t.Fatalf("Fence with watchdog_timeout 0 = %+v, want a failure", r)
	}
}

func TestWatchdogRefusedUnderTwoNode(t *testing.T) {
	cfg := &policy.Config{Cluster: policy.Cluster{TwoNode: true, WatchdogTimeout: policy.Duration(time.Second)},
		Fencing: policy.Fencing{Devices: []policy.FenceDevice{{ID: "wd", Plugin: "watchdog", Nodes: []string{"m"}}}}}
	r := New(Config{Node: "q"}).Fence(context.Background(), cfg, "m")
	if r.OK || !strings.Contains(r.Err, "two_node") {
		t.Fatalf("watchdog Fence under two_node = %+v, want refused naming two_node", r)
	}
}
