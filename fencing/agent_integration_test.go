//go:build integration

package fencing_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/ward-ha/ward/fencing"
	"github.com/ward-ha/ward/fencing/fencetest"
	"github.com/ward-ha/ward/policy"
)

// needAgent fails (never skips) when Debian's fence-agents is missing:
// scripts/deps.sh installs it.
func needAgent(t testing.TB, name string) {
	t.Helper()
	if _, err := exec.LookPath("/usr/sbin/" + name); err != nil {
		t.Fatalf("%s is missing: install Debian's fence-agents package (scripts/deps.sh does): %v", name, err)
	}
}

// dummyRig is fence_dummy: one host whose power is its status file.
func dummyRig(t *testing.T) fencetest.Rig {
	needAgent(t, "fence_dummy")
	file := filepath.Join(t.TempDir(), "status")
	if err := os.WriteFile(file, []byte("on"), 0o644); err != nil {
		t.Fatal(err)
	}
	dev := func(params map[string]string) fencing.Device {
		params["status_file"] = file
		d, err := fencing.NewAgent(policy.FenceDevice{ID: "dummy", Plugin: "agent", Agent: "fence_dummy", Params: params}, nil, nil)
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	return fencetest.Rig{
		Device: dev(map[string]string{}), Ports: []string{"node1"}, RebootPowersOn: true,
		Power: func(string) fencing.Power {
			b, _ := os.ReadFile(file)
			switch string(b) {
			case "on":
				return fencing.PowerOn
			case "off":
				return fencing.PowerOff
			}
			return fencing.PowerUnknown
		},
		Failing: dev(map[string]string{"type": "fail", "power_timeout": "1"}),
		Hanging: dev(map[string]string{"random_sleep_range": "60"}),
	}
}

func TestConformanceFenceDummy(t *testing.T) {
	fencetest.Run(t, dummyRig)
}

// TestFenceDummyThroughFencer fences through the Fencer with topology:
// level 1 (fence_dummy type=fail) fails, level 2 (fence_dummy) succeeds.
func TestFenceDummyThroughFencer(t *testing.T) {
	needAgent(t, "fence_dummy")
	file := filepath.Join(t.TempDir(), "status")
	if err := os.WriteFile(file, []byte("on"), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg, err := policy.Parse("t.toml", []byte(`[cluster]
name = "t"
[[node]]
name = "a"
addresses = ["10.0.0.1"]
[[node]]
name = "b"
addresses = ["10.0.0.2"]
[[fencing.device]]
id = "broken"
plugin = "agent"
agent = "fence_dummy"
nodes = ["a", "b"]
params = { type = "fail", power_timeout = "1", status_file = "`+file+`" }
retries = 0
timeout = "10s"
[[fencing.device]]
id = "dummy"
plugin = "agent"
agent = "fence_dummy"
nodes = ["a", "b"]
action = "off"
params = { status_file = "`+file+`" }
[[fencing.level]]
node = "b"
index = 1
devices = ["broken"]
[[fencing.level]]
node = "b"
index = 2
devices = ["dummy"]
`))
	if err != nil {
		t.Fatal(err)
	}
	f := fencing.New(fencing.Config{Node: "a"})
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	r := f.Fence(ctx, cfg, "b")
	if !r.OK || r.Device != "dummy" || r.Action != "off" {
		t.Fatalf("Fence(b) = %+v, want OK through dummy (level 2) after broken (level 1) failed", r)
	}
	if b, _ := os.ReadFile(file); string(b) != "off" {
		t.Fatalf("status file = %q, want off", b)
	}
}

// BenchmarkFenceDummyOff is the latency of one fence action through the
// agent plugin, fence_dummy off (metadata cached).
func BenchmarkFenceDummyOff(b *testing.B) {
	needAgent(b, "fence_dummy")
	file := filepath.Join(b.TempDir(), "status")
	a, err := fencing.NewAgent(policy.FenceDevice{ID: "dummy", Agent: "fence_dummy", Params: map[string]string{"status_file": file}},
		nil, fencing.NewMetadataCache())
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	for b.Loop() {
		if err := os.WriteFile(file, []byte("on"), 0o644); err != nil {
			b.Fatal(err)
		}
		if err := a.Fence(ctx, "b", "b", "off"); err != nil {
			b.Fatal(err)
		}
	}
}
