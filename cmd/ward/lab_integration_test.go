//go:build integration

package main

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// buildWardWithLab builds ward; until root.go registers `ward lab`
// (newLabCmd), through an overlay that does.
func buildWardWithLab(t *testing.T, dir string) string {
	t.Helper()
	bin := filepath.Join(dir, "ward")
	args := []string{"build", "-o", bin}
	root, err := os.ReadFile("root.go")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(root), "newLabCmd()") {
		abs, _ := filepath.Abs("root.go")
		ov := filepath.Join(dir, "root.go")
		patched := strings.Replace(string(root), "root.AddCommand(", "root.AddCommand(\n\t\tnewLabCmd(),", 1)
		os.WriteFile(ov, []byte(patched), 0o600)
		js, _ := json.Marshal(map[string]map[string]string{"Replace": {abs: ov}})
		ovf := filepath.Join(dir, "overlay.json")
		os.WriteFile(ovf, js, 0o600)
		args = append(args, "-overlay", ovf)
	}
	if out, err := exec.Command("go", append(args, ".")...).CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// TestIntegrationLabCmd drives ward lab from up to down with a policy
// without resources: status, cuts, freeze, power off, boot, x.
func TestIntegrationLabCmd(t *testing.T) {
	dir := t.TempDir()
	bin := buildWardWithLab(t, dir)
	labDir := filepath.Join(dir, "lab")
	pol := filepath.Join(dir, "policy.toml")
	os.WriteFile(pol, []byte(`[cluster]
name = "labcmd"
stonith_enabled = false
two_node = true

[[node]]
name = "n1"
addresses = ["10.215.0.11"]

[[node]]
name = "n2"
addresses = ["10.215.0.12"]
`), 0o600)
	ward := func(args ...string) string {
		t.Helper()
		cmd := exec.Command(bin, append([]string{"lab", "--dir", labDir}, args...)...)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("ward lab %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		return string(out)
	}
	t.Cleanup(func() { exec.Command(bin, "lab", "--dir", labDir, "down").Run() })
	out := ward("up", "--nodes", "2", "--no-postgres", "--policy", pol, "--exe", bin)
	if !strings.Contains(out, "Lab up") {
		t.Fatalf("ward lab up printed %q, want Lab up", out)
	}
	check := func(what string, want ...string) {
		t.Helper()
		st := ward("status")
		for _, w := range want {
			if !strings.Contains(st, w) {
				t.Errorf("after %s: ward lab status =\n%s\nwant %q in it", what, st, w)
			}
		}
	}
	check("up", "n1", "10.215.0.12")
	ward("cut", "n1", "--mode", "drop")
	check("cut n1 --mode drop", "drop in, drop out")
	ward("heal", "n1")
	ward("cut", "n2", "--mode", "link")
	check("cut n2", "link down")
	ward("heal", "n2")
	ward("freeze", "n2")
	check("freeze n2", "frozen")
	ward("thaw", "n2")
	ward("kill", "n2")
	check("kill n2", "off")
	ward("boot", "n2")
	if st := ward("status"); strings.Contains(st, "off") || strings.Contains(st, "drop") {
		t.Errorf("after boot n2 and heals: status =\n%s\nwant every host up, no cuts", st)
	}
	if out := ward("x", "n1", "ip", "-br", "addr", "show", "dev", "eth0"); !strings.Contains(out, "10.215.0.11/24") {
		t.Errorf("ward lab x n1 ip -br addr = %q, want 10.215.0.11/24", out)
	}
	ward("down")
	if out, _ := exec.Command("ip", "netns", "list").Output(); strings.Contains(string(out), "wardlab-") {
		t.Errorf("after ward lab down, namespaces remain:\n%s", out)
	}
	if _, err := os.Stat(labDir); !os.IsNotExist(err) {
		t.Errorf("after ward lab down, %s remains (%v)", labDir, err)
	}
}
