package fencing_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ward-ha/ward/fencing"
	"github.com/ward-ha/ward/fencing/fencetest"
	"github.com/ward-ha/ward/policy"
)

// hosts makes a folder with one file per port, each "on".
func hosts(t *testing.T, ports ...string) (string, func(string) fencing.Power) {
	t.Helper()
	dir := t.TempDir()
	for _, p := range ports {
		if err := os.WriteFile(filepath.Join(dir, p), []byte("on"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir, func(port string) fencing.Power {
		b, err := os.ReadFile(filepath.Join(dir, port))
		switch {
		case err != nil:
			return fencing.PowerUnknown
		case strings.TrimSpace(string(b)) == "on":
			return fencing.PowerOn
		case strings.TrimSpace(string(b)) == "off":
			return fencing.PowerOff
		}
		return fencing.PowerUnknown
	}
}

func testdata(t *testing.T, name string) string {
	t.Helper()
	p, err := filepath.Abs(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestConformanceAgent(t *testing.T) {
	agent := testdata(t, "fence_wardtest")
	cache := fencing.NewMetadataCache()
	dev := func(t *testing.T, dir, mode string) fencing.Device {
		d, err := fencing.NewAgent(policy.FenceDevice{ID: "pdu-" + mode, Plugin: "agent", Agent: agent,
			Params:       map[string]string{"state_dir": dir, "mode": mode, "login": "admin"},
			SecretParams: map[string]string{"passwd": "s3cret"}}, nil, cache)
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	fencetest.Run(t, func(t *testing.T) fencetest.Rig {
		dir, power := hosts(t, "outlet-1", "outlet-2", "outlet-3")
		return fencetest.Rig{Device: dev(t, dir, "ok"), Ports: []string{"outlet-1", "outlet-2", "outlet-3"}, Power: power,
			RebootPowersOn: true, Failing: dev(t, dir, "fail"), Hanging: dev(t, dir, "hang")}
	})
}

func TestConformanceExec(t *testing.T) {
	cmd := testdata(t, "exec_fence.sh")
	dev := func(t *testing.T, dir, mode string) fencing.Device {
		d, err := fencing.NewExec(policy.FenceDevice{ID: "cmd-" + mode, Plugin: "exec", Command: []string{cmd},
			Params: map[string]string{"state_dir": dir, "mode": mode}})
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	fencetest.Run(t, func(t *testing.T) fencetest.Rig {
		dir, power := hosts(t, "n1", "n2")
		return fencetest.Rig{Device: dev(t, dir, "ok"), Ports: []string{"n1", "n2"}, Power: power,
			RebootPowersOn: true, Failing: dev(t, dir, "fail"), Hanging: dev(t, dir, "hang")}
	})
}

// BenchmarkAgentOff is one fence action through the agent plugin with
// the shell test agent (metadata cached): the plugin's own cost plus a
// shell start.
func BenchmarkAgentOff(b *testing.B) {
	dir := b.TempDir()
	agent, err := filepath.Abs(filepath.Join("testdata", "fence_wardtest"))
	if err != nil {
		b.Fatal(err)
	}
	a, err := fencing.NewAgent(policy.FenceDevice{ID: "pdu", Agent: agent, Params: map[string]string{"state_dir": dir}}, nil, fencing.NewMetadataCache())
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if err := os.WriteFile(filepath.Join(dir, "p1"), []byte("on"), 0o644); err != nil {
			b.Fatal(err)
		}
		if err := a.Fence(b.Context(), "n1", "p1", "off"); err != nil {
			b.Fatal(err)
		}
	}
}
