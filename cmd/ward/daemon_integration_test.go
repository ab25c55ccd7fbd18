//go:build integration

package main

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ward-ha/ward/api"
)

// TestIntegrationDaemonKillDC runs three `ward daemon` processes on
// loopback, kills the DC (which runs the resource) with SIGKILL, and
// checks that the survivors fence it through the exec fencer before
// starting the resource elsewhere. Run several times for figures:
//
//	go test -tags integration -run TestIntegrationDaemonKillDC -count=5 -v ./cmd/ward
func TestIntegrationDaemonKillDC(t *testing.T) {
	dir := t.TempDir()
	bin := buildWard(t, dir)
	key := filepath.Join(dir, "gossip.key")
	k := make([]byte, 32)
	rand.Read(k)
	if err := os.WriteFile(key, []byte(base64.StdEncoding.EncodeToString(k)+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	fence := filepath.Join(dir, "fence.sh")
	// The fencing device: kill -9 the node's daemon, wipe its volatile
	// agent state (a reboot empties /run), record when.
	script := fmt.Sprintf(`#!/bin/sh
set -e
n="$1"
pid=$(cat %[1]s/"$n"/pid 2>/dev/null || true)
[ -n "$pid" ] && kill -9 "$pid" 2>/dev/null || true
rm -rf %[1]s/"$n"/agents
date +%%s%%N > %[1]s/"$n"/fenced-at
touch %[1]s/"$n"/fenced-mark
`, dir)
	if err := os.WriteFile(fence, []byte(script), 0o700); err != nil {
		t.Fatal(err)
	}
	names := []string{"n1", "n2", "n3"}
	var b strings.Builder
	b.WriteString("[cluster]\nname = \"itest\"\nstonith_enabled = true\ntiming = \"lan\"\n\n")
	for _, n := range names {
		fmt.Fprintf(&b, "[[node]]\nname = %q\naddresses = [\"127.0.0.1:%d\"]\n\n", n, freePort(t))
	}
	fmt.Fprintf(&b, `[[primitive]]
id = "web"
agent = "dummy"

[[primitive.op]]
name = "monitor"
interval = "1s"
timeout = "5s"

[[location]]
id = "web-prefers-n1"
resource = "web"
node = "n1"
score = "100"

[[fencing.device]]
id = "kill"
plugin = "exec"
command = ["/bin/sh", %q]
nodes = ["n1", "n2", "n3"]
action = "off"
retries = 0
timeout = "10s"
`, fence)
	pol := filepath.Join(dir, "policy.toml")
	if err := os.WriteFile(pol, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	procs := map[string]*exec.Cmd{}
	for _, n := range names {
		nd := filepath.Join(dir, n)
		os.MkdirAll(nd, 0o700)
		logf, err := os.Create(filepath.Join(nd, "log"))
		if err != nil {
			t.Fatal(err)
		}
		cmd := exec.Command(bin, "daemon", "--policy", pol, "--node", n, "--state-dir", filepath.Join(nd, "state"),
			"--key", key, "--socket", filepath.Join(nd, "ward.sock"), "--agent-state-dir", filepath.Join(nd, "agents"))
		cmd.Stdout, cmd.Stderr = logf, logf
		cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		logf.Close()
		os.WriteFile(filepath.Join(nd, "pid"), []byte(strconv.Itoa(cmd.Process.Pid)), 0o600)
		procs[n] = cmd
		go cmd.Wait()
	}
	t.Cleanup(func() {
		for _, c := range procs {
			syscall.Kill(c.Process.Pid, syscall.SIGTERM)
		}
		time.Sleep(300 * time.Millisecond) // let them leave and remove their sockets
		for _, c := range procs {
			syscall.Kill(-c.Process.Pid, syscall.SIGKILL)
		}
		if t.Failed() {
			for _, n := range names {
				out, _ := os.ReadFile(filepath.Join(dir, n, "log"))
				t.Logf("log of %s:\n%s", n, out)
			}
		}
	})
	running := func() []string {
		var out []string
		for _, n := range names {
			if _, err := os.Stat(filepath.Join(dir, n, "agents", "web.state")); err == nil {
				out = append(out, n)
			}
		}
		return out
	}
	status := func(n string) api.ClusterStatus {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		st, _ := api.NewClient(filepath.Join(dir, n, "ward.sock")).Status(ctx)
		return st
	}
	poll(t, 20*time.Second, "DC n1 and web running on n1", func() bool {
		r := running()
		return status("n2").DC == "n1" && status("n3").DC == "n1" && len(r) == 1 && r[0] == "n1"
	})
	killed := time.Now()
	if err := syscall.Kill(procs["n1"].Process.Pid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	var to string
	poll(t, 20*time.Second, "web recovered on n2 or n3", func() bool {
		r := running()
		if len(r) == 1 && r[0] != "n1" {
			to = r[0]
			return true
		}
		return false
	})
	raw, err := os.ReadFile(filepath.Join(dir, "n1", "fenced-at"))
	if err != nil {
		t.Fatalf("n1 was never fenced, yet web runs on %s", to)
	}
	ns, _ := strconv.ParseInt(strings.TrimSpace(string(raw)), 10, 64)
	fencedAt := time.Unix(0, ns)
	fi, err := os.Stat(filepath.Join(dir, to, "agents", "web.state"))
	if err != nil {
		t.Fatal(err)
	}
	// File times come from the kernel's coarse clock, a few ms behind
	// date's: compare the start with a file the device touched last.
	mark, err := os.Stat(filepath.Join(dir, "n1", "fenced-mark"))
	if err != nil {
		t.Fatal(err)
	}
	if fi.ModTime().Before(mark.ModTime()) {
		t.Fatalf("web started on %s at %v, before n1 was fenced at %v", to, fi.ModTime(), mark.ModTime())
	}
	st := status(to)
	var fenced []string
	for _, f := range st.Fencing {
		if f.Node == "n1" && f.Result == "ok" {
			fenced = append(fenced, f.Device)
		}
	}
	if len(fenced) == 0 {
		js, _ := json.Marshal(st.Fencing)
		t.Errorf("status of %s: fencing history %s, want a success for n1", to, js)
	}
	t.Logf("kill -9 of the DC -> n1 fenced %v -> web started on %s %v",
		fencedAt.Sub(killed).Round(time.Millisecond), to, fi.ModTime().Sub(killed).Round(time.Millisecond))
}

// buildWard builds the ward binary. Until root.go registers `ward
// daemon` (newDaemonCmd), the build adds it through an overlay.
func buildWard(t *testing.T, dir string) string {
	t.Helper()
	bin := filepath.Join(dir, "ward")
	args := []string{"build", "-o", bin}
	root, err := os.ReadFile("root.go")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(root), "newDaemonCmd()") {
		t.Log("root.go does not register newDaemonCmd yet; building with an overlay that does")
		abs, _ := filepath.Abs("root.go")
		ov := filepath.Join(dir, "root.go")
		patched := strings.Replace(string(root), "root.AddCommand(", "root.AddCommand(\n\t\tnewDaemonCmd(),", 1)
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

// freePort returns a loopback port free for both TCP and UDP.
func freePort(t *testing.T) int {
	t.Helper()
	for range 50 {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		p := l.Addr().(*net.TCPAddr).Port
		l.Close()
		u, err := net.ListenPacket("udp", "127.0.0.1:"+strconv.Itoa(p))
		if err == nil {
			u.Close()
			return p
		}
	}
	t.Fatal("no free port")
	return 0
}

// poll checks cond every 10 ms until it holds or limit passes.
func poll(t *testing.T, limit time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("after %v: %s did not happen", limit, what)
		}
		time.Sleep(10 * time.Millisecond) // polling interval
	}
}
