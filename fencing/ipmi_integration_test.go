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
	"github.com/ward-ha/ward/policy"
)

// ipmiNS is the namespace (loopback only) where the simulated BMC runs.
const ipmiNS = "wardf-ipmi"

// startBMC builds github.com/bougou/go-ipmi's simulated BMC and runs it
// in a namespace of its own on 127.0.0.1:16623 (ADMIN/ADMIN). It returns
// a wrapper that runs fence_ipmilan, unmodified, in that namespace.
func startBMC(t *testing.T) string {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Fatal("the IPMI test needs root (a network namespace for the simulated BMC)")
	}
	needAgent(t, "fence_ipmilan")
	if _, err := exec.LookPath("ipmitool"); err != nil {
		t.Fatal("ipmitool is missing: fence_ipmilan needs it (apt-get install ipmitool)")
	}
	bin := t.TempDir()
	cmd := exec.Command("go", "install", "github.com/bougou/go-ipmi/cmd/goipmi-server@v0.9.1")
	cmd.Env = append(os.Environ(), "GOBIN="+bin, "GOFLAGS=-mod=mod")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("build the simulated BMC: %v\n%s", err, out)
	}
	exec.Command("ip", "netns", "del", ipmiNS).Run() // left by a crashed run
	if out, err := exec.Command("ip", "netns", "add", ipmiNS).CombinedOutput(); err != nil {
		t.Fatalf("ip netns add: %v %s", err, out)
	}
	t.Cleanup(func() { exec.Command("ip", "netns", "del", ipmiNS).Run() })
	if out, err := exec.Command("ip", "-n", ipmiNS, "link", "set", "lo", "up").CombinedOutput(); err != nil {
		t.Fatalf("lo up: %v %s", err, out)
	}
	srv := exec.Command("ip", "netns", "exec", ipmiNS, filepath.Join(bin, "goipmi-server"))
	srv.Env = append(os.Environ(), "GOIPMI_SERVER_PORT=16623")
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Process.Kill(); srv.Wait() })
	wrapper := filepath.Join(bin, "fence_ipmilan_in_ns")
	script := "#!/bin/sh\nexec ip netns exec " + ipmiNS + " /usr/sbin/fence_ipmilan \"$@\"\n"
	if err := os.WriteFile(wrapper, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	return wrapper
}

// TestFenceIPMILanSimulatedBMC proves the agent plugin with a real fence
// agent over a real IPMI session: fence_ipmilan against a simulated BMC.
func TestFenceIPMILanSimulatedBMC(t *testing.T) {
	agent := startBMC(t)
	a, err := fencing.NewAgent(policy.FenceDevice{ID: "bmc-n2", Agent: agent,
		Params:       map[string]string{"ip": "127.0.0.1", "ipport": "16623", "username": "ADMIN", "lanplus": "1"},
		SecretParams: map[string]string{"password": "ADMIN"}}, nil, fencing.NewMetadataCache())
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := a.Validate(ctx); err != nil {
		t.Fatalf("Validate() = %v", err)
	}
	// The BMC starts before its socket is bound: wait for a status.
	deadline := time.Now().Add(10 * time.Second)
	for {
		if _, err := a.Status(ctx, "n2", "n2"); err == nil {
			break
		} else if time.Now().After(deadline) {
			t.Fatalf("the simulated BMC never answered: %v", err)
		}
		time.Sleep(100 * time.Millisecond)
	}
	if err := a.On(ctx, "n2", "n2"); err != nil {
		t.Fatalf("On() = %v", err)
	}
	if p, err := a.Status(ctx, "n2", "n2"); p != fencing.PowerOn || err != nil {
		t.Fatalf("Status after on = %v, %v, want on", p, err)
	}
	start := time.Now()
	if err := a.Fence(ctx, "n2", "n2", "off"); err != nil {
		t.Fatalf("Fence(off) = %v", err)
	}
	t.Logf("fence_ipmilan off through the agent plugin: %v", time.Since(start).Round(time.Millisecond))
	if p, err := a.Status(ctx, "n2", "n2"); p != fencing.PowerOff || err != nil {
		t.Fatalf("Status after off = %v, %v, want off", p, err)
	}
	start = time.Now()
	if err := a.Fence(ctx, "n2", "n2", "reboot"); err != nil {
		t.Fatalf("Fence(reboot) = %v", err)
	}
	t.Logf("fence_ipmilan reboot through the agent plugin: %v", time.Since(start).Round(time.Millisecond))
	bad, _ := fencing.NewAgent(policy.FenceDevice{ID: "bmc-bad", Agent: agent,
		Params:       map[string]string{"ip": "127.0.0.1", "ipport": "16623", "username": "ADMIN", "lanplus": "1"},
		SecretParams: map[string]string{"password": "wrong-password"}}, nil, nil)
	if err := bad.Fence(ctx, "n2", "n2", "off"); err == nil {
		t.Fatal("Fence with a wrong password = nil, want an error")
	}
}
