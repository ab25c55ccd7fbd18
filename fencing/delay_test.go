package fencing

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/ward-ha/ward/internal/clock/clocktest"
	"github.com/ward-ha/ward/policy"
)

func TestRandomDeterministicPerNode(t *testing.T) {
	a1, a2, b := NewRandom("a", 7), NewRandom("a", 7), NewRandom("b", 7)
	same := true
	for i := 0; i < 20; i++ {
		x, y, z := a1.Duration(time.Second), a2.Duration(time.Second), b.Duration(time.Second)
		if x != y {
			t.Fatalf("NewRandom(a, 7) draw %d = %v and %v, want equal (same node and seed)", i, x, y)
		}
		if x < 0 || x >= time.Second {
			t.Fatalf("Duration(1s) = %v, want in [0, 1s)", x)
		}
		same = same && x == z
	}
	if same {
		t.Fatal("NewRandom(a, 7) and NewRandom(b, 7) drew the same 20 delays, want different nodes to differ")
	}
	if d := a1.Duration(0); d != 0 {
		t.Fatalf("Duration(0) = %v, want 0", d)
	}
}

func TestPriorityDelay(t *testing.T) {
	cfg := testConfig(t, `
[cluster.resource_defaults]
priority = 1

[[primitive]]
id = "db"
agent = "dummy"
priority = 10

[[primitive]]
id = "vip"
agent = "dummy"

[[clone]]
id = "pg"
resource = "db"
promotable = true
`)
	cfg.Cluster.PriorityFencingDelay = policy.Duration(5 * time.Second)
	if got := ResourcePriority(cfg, "pg:1"); got != 10 {
		t.Errorf("ResourcePriority(pg:1) = %d, want 10 (from db)", got)
	}
	if got := ResourcePriority(cfg, "vip"); got != 1 {
		t.Errorf("ResourcePriority(vip) = %d, want 1 (resource_defaults)", got)
	}
	a := NodePriority(cfg, []string{"vip"}, []string{"pg:0"}) // 1 + 10 + 1
	b := NodePriority(cfg, []string{"pg:1"}, nil)             // 10
	if a != 12 || b != 10 {
		t.Fatalf("NodePriority = %d, %d, want 12, 10", a, b)
	}
	totals := map[string]int{"a": a, "b": b}
	if got := PriorityDelay(cfg, totals, "a"); got != 5*time.Second {
		t.Errorf("PriorityDelay(a) = %v, want 5s (a runs the primary)", got)
	}
	if got := PriorityDelay(cfg, totals, "b"); got != 0 {
		t.Errorf("PriorityDelay(b) = %v, want 0", got)
	}
	if got := PriorityDelay(cfg, map[string]int{"a": 3, "b": 3}, "a"); got != 0 {
		t.Errorf("PriorityDelay(tie) = %v, want 0", got)
	}
}

// raceDevice powers off the victim unless the fencer itself is already
// off: a dead node fences nobody.
type raceDevice struct {
	mu  *sync.Mutex
	off map[string]bool
	by  string
	// kill cancels the fencing of a node that was powered off.
	kill map[string]context.CancelFunc
	// calls receives one value per call.
	calls chan struct{}
}

func (d *raceDevice) Fence(ctx context.Context, target, port, action string) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	defer func() { d.calls <- struct{}{} }()
	if d.off[d.by] {
		return context.Canceled
	}
	d.off[target] = true
	d.kill[target]()
	return nil
}

// race runs a two-node fence race on the fake clock and returns who is
// still on.
func race(t *testing.T, extra string, seed uint64, prio map[string]time.Duration) []string {
	t.Helper()
	cfg := testConfig(t, extra)
	clk := clocktest.NewFake(time.Unix(0, 0))
	var mu sync.Mutex
	calls := make(chan struct{}, 16)
	off := map[string]bool{}
	kill := map[string]context.CancelFunc{}
	ctxs := map[string]context.Context{}
	for _, n := range []string{"a", "b"} {
		ctxs[n], kill[n] = context.WithCancel(context.Background())
		defer kill[n]()
	}
	var wg sync.WaitGroup
	for _, pair := range [][2]string{{"a", "b"}, {"b", "a"}} {
		me, peer := pair[0], pair[1]
		f := New(Config{Node: me, Clock: clk, Random: NewRandom(me, seed), Plugins: map[string]Plugin{"lab": func(policy.FenceDevice) (Device, error) {
			return &raceDevice{mu: &mu, off: off, by: me, kill: kill, calls: calls}, nil
		}}})
		wg.Add(1)
		go func() {
			defer wg.Done()
			f.FenceWith(ctxs[me], cfg, peer, Options{ExtraDelay: prio[peer]})
		}()
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	// Both fencers arm their first delay before time moves.
	wctx, wcancel := context.WithTimeout(context.Background(), 5*time.Second)
	if !clk.WaitForTimers(wctx, 2) {
		t.Fatal("the two fencers did not both arm a delay")
	}
	wcancel()
	for {
		select {
		case <-done:
			var on []string
			for _, n := range []string{"a", "b"} {
				if !off[n] {
					on = append(on, n)
				}
			}
			return on
		default:
		}
		at, ok := clk.NextDeadline()
		if !ok {
			// Someone fenced; the other fencer is returning.
			select {
			case <-done:
				continue
			case <-time.After(5 * time.Second):
				t.Fatal("race: no delay armed and the fencers did not return")
			}
		}
		clk.Set(at)
		// Let whoever's delay ended reach its device before time moves on.
		select {
		case <-calls:
		case <-done:
		case <-time.After(5 * time.Second):
			t.Fatal("race: a delay ended but no device was called")
		}
	}
}

func TestFenceRaceStaticDelay(t *testing.T) {
	// The device that fences a waits 5s: a wins every race.
	on := race(t, `
[[fencing.device]]
id = "fence-a"
plugin = "lab"
nodes = ["a"]
delay = "5s"

[[fencing.device]]
id = "fence-b"
plugin = "lab"
nodes = ["b"]
delay = "1s"
`, 1, nil)
	if len(on) != 1 || on[0] != "a" {
		t.Fatalf("race with delay on fence-a: nodes on = %v, want [a]", on)
	}
}

func TestFenceRaceRandomDelay(t *testing.T) {
	winners := map[string]int{}
	for seed := uint64(0); seed < 20; seed++ {
		on := race(t, `
[[fencing.device]]
id = "pdu"
plugin = "lab"
nodes = ["a", "b"]
delay_max = "10s"
`, seed, nil)
		if len(on) != 1 {
			t.Fatalf("race with delay_max, seed %d: nodes on = %v, want exactly one", seed, on)
		}
		winners[on[0]]++
		if again := race(t, `
[[fencing.device]]
id = "pdu"
plugin = "lab"
nodes = ["a", "b"]
delay_max = "10s"
`, seed, nil); len(again) != 1 || again[0] != on[0] {
			t.Fatalf("race with seed %d twice: %v then %v, want the same survivor (seeded)", seed, on, again)
		}
	}
	if winners["a"] == 0 || winners["b"] == 0 {
		t.Errorf("random delays over 20 seeds: winners %v, want both nodes to win some", winners)
	}
}

func TestFenceRacePriorityDelay(t *testing.T) {
	// b runs the primary: fencing b waits the priority delay, so b wins.
	on := race(t, `
[[fencing.device]]
id = "pdu"
plugin = "lab"
nodes = ["a", "b"]
delay = "1s"
`, 3, map[string]time.Duration{"b": 5 * time.Second})
	if len(on) != 1 || on[0] != "b" {
		t.Fatalf("race with priority delay on b: nodes on = %v, want [b]", on)
	}
}
