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
	"github.com/ward-ha/ward/internal/lab"
	"github.com/ward-ha/ward/policy"
)

// TestConformanceLab runs the lab plugin through the conformance suite:
// two lab hosts (namespaces wardft-n1, wardft-n2), each "on" while a
// process runs in it.
func TestConformanceLab(t *testing.T) {
	if err := lab.CheckRoot(); err != nil {
		t.Fatal(err)
	}
	fencetest.Run(t, func(t *testing.T) fencetest.Rig {
		l, err := lab.New(lab.Config{Dir: filepath.Join(t.TempDir(), "lab"), Prefix: "wardft-", Subnet: "10.218.0", Nodes: 2, Exe: "/bin/true"}, nil)
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		_ = l.Down(ctx, false) // left by a crashed run
		if err := l.Up(ctx); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = l.Down(context.Background(), true) })
		for i := 1; i <= 2; i++ {
			cmd := exec.Command("ip", "netns", "exec", l.NS(i), "sleep", "3600")
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			go cmd.Wait() // reaped here once the device kills it
			t.Cleanup(func() { _ = cmd.Process.Kill() })
		}
		dev := func(prefix string) fencing.Device {
			d, err := fencing.NewLab(policy.FenceDevice{ID: "lab", Plugin: "lab", Params: map[string]string{"prefix": prefix}})
			if err != nil {
				t.Fatal(err)
			}
			return d
		}
		power := func(port string) fencing.Power {
			ns := "wardft-" + port
			if _, err := os.Stat(filepath.Join(lab.NetnsDir, ns)); err != nil {
				return fencing.PowerUnknown
			}
			pids, err := lab.Pids(ns)
			if err != nil {
				return fencing.PowerUnknown
			}
			if len(pids) == 0 {
				return fencing.PowerOff
			}
			return fencing.PowerOn
		}
		deadline := time.Now().Add(10 * time.Second)
		for power("n1") != fencing.PowerOn || power("n2") != fencing.PowerOn {
			if time.Now().After(deadline) {
				t.Fatal("the lab hosts' processes did not start")
			}
			time.Sleep(10 * time.Millisecond)
		}
		// A reboot of a lab host powers it off: it comes back only
		// with ward lab boot. No hanging lab device exists.
		return fencetest.Rig{Device: dev("wardft-"), Ports: []string{"n1", "n2"}, Power: power,
			Failing: dev("wardft-nosuch-")}
	})
}
