package fencing

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ward-ha/ward/internal/clock/clocktest"
	"github.com/ward-ha/ward/policy"
)

// fake is a Device that records calls and fails the first fails ones.
type fake struct {
	mu    sync.Mutex
	calls []string
	fails int
}

func (f *fake) Fence(ctx context.Context, target, port, action string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, target+"/"+port+"/"+action)
	if f.fails > 0 {
		f.fails--
		return errors.New("no answer")
	}
	return nil
}

func testConfig(t *testing.T, extra string) *policy.Config {
	t.Helper()
	src := `[cluster]
name = "t"
stonith_enabled = false

[[node]]
name = "a"
addresses = ["10.0.0.1"]

[[node]]
name = "b"
addresses = ["10.0.0.2"]
` + extra
	cfg, err := policy.Parse("t.toml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

func TestFenceUsesDeviceRetriesAndHostMap(t *testing.T) {
	dev := &fake{fails: 1}
	cfg := testConfig(t, `
[[fencing.device]]
id = "pdu"
plugin = "lab"
nodes = ["a", "b"]
host_map = { b = "outlet-7" }
action = "off"
retries = 1
`)
	clk := clocktest.NewFake(time.Unix(0, 0))
	f := New(Config{Node: "a", Clock: clk, Plugins: map[string]Plugin{"lab": func(policy.FenceDevice) (Device, error) { return dev, nil }}})
	done := make(chan Result, 1)
	go func() { done <- f.Fence(context.Background(), cfg, "b") }()
	// The retry waits one second on the injected clock.
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if !clk.WaitForTimers(ctx, 1) {
		t.Fatal("no retry timer armed")
	}
	clk.Advance(time.Second)
	r := <-done
	if !r.OK || r.Device != "pdu" || r.Action != "off" || r.Executor != "a" {
		t.Fatalf("Fence(b) = %+v, want OK through pdu, action off, run by a", r)
	}
	if len(dev.calls) != 2 || dev.calls[1] != "b/outlet-7/off" {
		t.Errorf("device calls = %v, want two calls b/outlet-7/off", dev.calls)
	}
}

func TestFenceFailsWithoutDeviceOrOnSelf(t *testing.T) {
	cfg := testConfig(t, "")
	f := New(Config{Node: "a"})
	cfg.Fencing.Devices = nil
	if r := f.Fence(context.Background(), cfg, "b"); r.OK || !strings.Contains(r.Err, "no device") {
		t.Errorf("Fence(b) without devices = %+v, want a failure naming the missing device", r)
	}
	if r := f.Fence(context.Background(), cfg, "a"); r.OK || !strings.Contains(r.Err, "itself") {
		t.Errorf("Fence(self) = %+v, want a refusal", r)
	}
}

func TestFenceLevelsInOrder(t *testing.T) {
	first, second := &fake{fails: 5}, &fake{}
	cfg := testConfig(t, `
[[fencing.device]]
id = "ipmi"
plugin = "lab"
nodes = ["b"]
retries = 0

[[fencing.device]]
id = "pdu"
plugin = "agent"
agent = "fence_pdu"
nodes = ["b"]
retries = 0

[[fencing.level]]
node = "b"
index = 2
devices = ["pdu"]

[[fencing.level]]
node = "b"
index = 1
devices = ["ipmi"]
`)
	f := New(Config{Node: "a", Plugins: map[string]Plugin{
		"lab":   func(policy.FenceDevice) (Device, error) { return first, nil },
		"agent": func(policy.FenceDevice) (Device, error) { return second, nil },
	}})
	r := f.Fence(context.Background(), cfg, "b")
	if !r.OK || r.Device != "pdu" || len(first.calls) != 1 || len(second.calls) != 1 {
		t.Fatalf("Fence(b) = %+v (ipmi calls %v, pdu calls %v), want level 1 (ipmi) tried once, then level 2 (pdu) OK", r, first.calls, second.calls)
	}
}

func TestExecPlugin(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "out")
	script := filepath.Join(dir, "fence.sh")
	if err := os.WriteFile(script, []byte("#!/bin/sh\necho \"$1 $WARD_FENCE_TARGET $WARD_FENCE_ACTION $WARD_FENCE_PARAM_ZONE\" > "+out+"\n[ \"$1\" = b ] || { echo refusing >&2; exit 3; }\n"), 0o700); err != nil {
		t.Fatal(err)
	}
	e, err := NewExec(policy.FenceDevice{ID: "x", Plugin: "exec", Command: []string{"/bin/sh", script}, Params: map[string]string{"zone": "z1"}})
	if err != nil {
		t.Fatal(err)
	}
	if err := e.Fence(context.Background(), "b", "b", "off"); err != nil {
		t.Fatalf("exec Fence(b) = %v, want nil", err)
	}
	if got, _ := os.ReadFile(out); strings.TrimSpace(string(got)) != "b b off z1" {
		t.Errorf("exec got %q, want %q", got, "b b off z1")
	}
	err = e.Fence(context.Background(), "c", "c", "off")
	if err == nil || !strings.Contains(err.Error(), "exited with 3") || !strings.Contains(err.Error(), "refusing") {
		t.Errorf("exec Fence(c) = %v, want exit 3 with the output", err)
	}
	slow, _ := NewExec(policy.FenceDevice{ID: "s", Plugin: "exec", Command: []string{"/bin/sh", "-c", "sleep 10", "fence"}})
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	if err := slow.Fence(ctx, "b", "b", "off"); err == nil || !strings.Contains(err.Error(), "in time") {
		t.Errorf("exec Fence past its timeout = %v, want a timeout error", err)
	}
	if _, err := NewExec(policy.FenceDevice{ID: "e", Plugin: "exec"}); err == nil {
		t.Errorf("NewExec without command = nil error")
	}
}
