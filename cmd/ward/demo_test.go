package main

import (
	"bytes"
	"context"
	"errors"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ward-ha/ward/api"
	"github.com/ward-ha/ward/policy"
)

func TestDemoFreePorts(t *testing.T) {
	ports, err := freePorts(5)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[int]bool{}
	for _, p := range ports {
		if p <= 0 || p > 65535 || seen[p] {
			t.Errorf("freePorts(5) = %v, want 5 distinct valid ports", ports)
		}
		seen[p] = true
	}
	if len(ports) != 5 {
		t.Errorf("freePorts(5) returned %d ports", len(ports))
	}
}

// newTestDemoCluster returns a demo cluster whose nodes run cmd instead
// of `ward daemon`; it is cleaned up when the test ends.
func newTestDemoCluster(t *testing.T, cmd func(n *demoNode) []string) *demoCluster {
	t.Helper()
	c, err := newDemoCluster("/usr/local/bin/ward", 3)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.cleanup(false) })
	if cmd != nil {
		c.command = cmd
	}
	return c
}

func TestDemoPolicyIsValid(t *testing.T) {
	c := newTestDemoCluster(t, nil)
	if err := c.writeFiles(); err != nil {
		t.Fatal(err)
	}
	cfg, err := policy.Load(c.policyFile())
	if err != nil {
		t.Fatalf("policy.Load(demo policy) = %v\n%s", err, c.policy())
	}
	if len(cfg.Nodes) != 3 || len(cfg.Primitives) != 1 || cfg.Primitives[0].ID != demoResource || len(cfg.Fencing.Devices) != 1 {
		t.Errorf("demo policy = %d nodes, %d primitives, %d devices; want 3, 1 (%s), 1", len(cfg.Nodes), len(cfg.Primitives), len(cfg.Fencing.Devices), demoResource)
	}
	for i, n := range cfg.Nodes {
		if want := "127.0.0.1:" + strconv.Itoa(c.nodes[i].port); len(n.Addresses) != 1 || n.Addresses[0] != want {
			t.Errorf("node %s addresses = %v, want [%s]", n.Name, n.Addresses, want)
		}
	}
	if cfg.Cluster.WaitForAll == nil || !*cfg.Cluster.WaitForAll {
		t.Errorf("demo policy: wait_for_all = %v, want true (no start-up fencing of a slow node)", cfg.Cluster.WaitForAll)
	}
	dev := cfg.Fencing.Devices[0]
	if want := []string{"/usr/local/bin/ward", "demo", "fence", "--dir", c.dir}; !slices.Equal(dev.Command, want) {
		t.Errorf("fencing command = %q, want %q", dev.Command, want)
	}
	fi, err := os.Stat(c.keyFile())
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("key file mode = %v, %v, want 0600", fi.Mode().Perm(), err)
	}
}

// TestDemoResourceCommands runs the exec resource's commands as the exec
// agent would, with the node name in the environment.
func TestDemoResourceCommands(t *testing.T) {
	c := newTestDemoCluster(t, nil)
	if err := c.writeFiles(); err != nil {
		t.Fatal(err)
	}
	cfg, err := policy.Load(c.policyFile())
	if err != nil {
		t.Fatal(err)
	}
	p := cfg.Primitives[0].Params
	sh := func(script, node string) int {
		cmd := exec.Command("/bin/sh", "-c", script)
		if node != "" {
			cmd.Env = []string{"OCF_RESKEY_CRM_meta_on_node=" + node}
		}
		err := cmd.Run()
		if err == nil {
			return 0
		}
		var ee interface{ ExitCode() int }
		if errors.As(err, &ee) {
			return ee.ExitCode()
		}
		t.Fatal(err)
		return -1
	}
	if rc := sh(p["monitor"], "n2"); rc != 7 {
		t.Errorf("monitor before start = %d, want 7", rc)
	}
	if rc := sh(p["start"], "n2"); rc != 0 {
		t.Errorf("start = %d, want 0", rc)
	}
	if rc := sh(p["monitor"], "n2"); rc != 0 {
		t.Errorf("monitor after start = %d, want 0", rc)
	}
	if got, _ := c.activeOn(demoResource); !slices.Equal(got, []string{"n2"}) {
		t.Errorf("activeOn after start on n2 = %v, want [n2]", got)
	}
	if rc := sh(p["stop"], "n2"); rc != 0 || sh(p["monitor"], "n2") != 7 {
		t.Errorf("stop = %d, then monitor not 7", rc)
	}
	if rc := sh(p["start"], ""); rc == 0 {
		t.Errorf("start without the node name = 0, want a failure")
	}
	if got, _ := c.activeOn(demoResource); len(got) != 0 {
		t.Errorf("activeOn after stop = %v, want none", got)
	}
}

func TestDemoStartAndCleanup(t *testing.T) {
	c := newTestDemoCluster(t, func(n *demoNode) []string {
		// Like a daemon: ignores nothing, runs until killed, has a child.
		return []string{"/bin/sh", "-c", "sleep 300 & while :; do sleep 1; done", "daemon", "--node", n.name}
	})
	if err := c.start(); err != nil {
		t.Fatal(err)
	}
	var pids []int
	for _, n := range c.nodes {
		if !n.alive() {
			t.Fatalf("node %s is not running", n.name)
		}
		data, err := os.ReadFile(pidFile(c.dir, n.name))
		if err != nil || strings.TrimSpace(string(data)) != strconv.Itoa(n.cmd.Process.Pid) {
			t.Errorf("pid file of %s = %q, %v, want %d", n.name, data, err, n.cmd.Process.Pid)
		}
		pids = append(pids, n.cmd.Process.Pid)
	}
	if err := c.cleanup(false); err != nil {
		t.Fatalf("cleanup() = %v", err)
	}
	for i, n := range c.nodes {
		if n.alive() {
			t.Errorf("node %s still runs after cleanup", n.name)
		}
		// Nothing of its process group is left either.
		if live := liveInGroup(pids[i]); len(live) > 0 {
			t.Errorf("process group %d after cleanup still has live processes %v", pids[i], live)
		}
	}
	if _, err := os.Stat(c.dir); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("demo folder after cleanup: %v, want removed", err)
	}
	if err := c.cleanup(false); err != nil {
		t.Errorf("second cleanup() = %v, want nil", err)
	}
}

func TestDemoCleanupKeep(t *testing.T) {
	c := newTestDemoCluster(t, nil)
	if err := c.cleanup(true); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(c.dir); err != nil {
		t.Errorf("demo folder after cleanup(keep): %v, want kept", err)
	}
	os.RemoveAll(c.dir)
}

func TestDemoFence(t *testing.T) {
	c := newTestDemoCluster(t, func(n *demoNode) []string {
		return []string{"/bin/sh", "-c", "while :; do sleep 1; done", "daemon", "--node", n.name}
	})
	if err := c.start(); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"web.n1", "web.n2", "db.n1"} {
		if err := os.WriteFile(filepath.Join(c.resDir(), f), nil, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	var out bytes.Buffer
	if err := demoFence(&out, c.dir, "n1"); err != nil {
		t.Fatalf("demoFence(n1) = %v", err)
	}
	<-c.nodes[0].exited
	if !c.nodes[1].alive() || !c.nodes[2].alive() {
		t.Errorf("demoFence(n1) killed another node")
	}
	if got, _ := c.activeOn("web"); !slices.Equal(got, []string{"n2"}) {
		t.Errorf("web after fencing n1 on %v, want [n2]", got)
	}
	if got, _ := c.activeOn("db"); len(got) != 0 {
		t.Errorf("db after fencing n1 on %v, want nowhere", got)
	}
	if !strings.Contains(out.String(), "n1: killed daemon pid") {
		t.Errorf("demoFence(n1) printed %q", out.String())
	}
	// Fencing a node that is already dead succeeds.
	out.Reset()
	if err := demoFence(&out, c.dir, "n1"); err != nil || !strings.Contains(out.String(), "already gone") {
		t.Errorf("demoFence(dead n1) = %v, %q; want nil, already gone", err, out.String())
	}
	for _, bad := range []string{"", "../x", "n9"} {
		if err := demoFence(&out, c.dir, bad); err == nil {
			t.Errorf("demoFence(%q) = nil, want an error", bad)
		}
	}
}

func TestDemoIsDemoDaemonRefusesOthers(t *testing.T) {
	// This test process is not a `ward daemon --node n1`.
	if ours, err := isDemoDaemon(os.Getpid(), "n1"); ours || err != nil {
		t.Errorf("isDemoDaemon(self) = %v, %v, want false", ours, err)
	}
	if ours, err := isDemoDaemon(1<<30, "n1"); ours || err != nil {
		t.Errorf("isDemoDaemon(no such pid) = %v, %v, want false", ours, err)
	}
}

func TestDemoStartedOnAndFencing(t *testing.T) {
	st := api.ClusterStatus{
		Resources: []api.ResourceInfo{
			{ID: "web", Role: "Started", Node: "n2"}, {ID: "web", Role: "Stopped"}, {ID: "web", Role: "Started", Node: "n1"},
			{ID: "db", Role: "Started", Node: "n3"},
		},
		Fencing: []api.FenceEvent{{Node: "n1", Result: "ok"}, {Node: "n1", Result: "timed out"}, {Node: "n2", Result: "ok"}},
	}
	if got := startedOn(st, "web"); !slices.Equal(got, []string{"n1", "n2"}) {
		t.Errorf("startedOn(web) = %v, want [n1 n2]", got)
	}
	if got := fencingCount(st, "n1"); got != 1 {
		t.Errorf("fencingCount(n1) = %d, want 1", got)
	}
}

func TestDemoUsage(t *testing.T) {
	for _, args := range [][]string{{"demo", "x"}, {"demo", "-o", "yaml"}, {"demo", "fence", "n1"}, {"demo", "fence", "--dir", "/tmp"}} {
		if code, _, errs := runWardLive(t, args...); code != 2 {
			t.Errorf("ward %v = %d, %q; want 2", args, code, errs)
		}
	}
}

func TestDemoFailsCleanlyWhenDaemonsExit(t *testing.T) {
	before := demoTempFolders(t)
	var out, errw bytes.Buffer
	res, err := runDemo(context.Background(), &out, &errw, demoOptions{exe: "/bin/false", json: true, startTimeout: 10 * time.Second, recoverTimeout: time.Second})
	if err == nil || !strings.Contains(err.Error(), "exited during start-up") || res.OK {
		t.Errorf("runDemo(/bin/false) = %+v, %v; want a start-up error", res, err)
	}
	if out.Len() != 0 {
		t.Errorf("runDemo(json) wrote %q to stdout; the caller prints the JSON", out.String())
	}
	if after := demoTempFolders(t); len(after) > len(before) {
		t.Errorf("runDemo left folders: %v (before %v)", after, before)
	}
}

func TestDemoStartTimeout(t *testing.T) {
	dir := t.TempDir()
	script := filepath.Join(dir, "hang")
	pids := filepath.Join(dir, "pids")
	if err := os.WriteFile(script, []byte("#!/bin/sh\necho $$ >> "+pids+"\nexec sleep 60\n"), 0o700); err != nil {
		t.Fatal(err)
	}
	var out, errw bytes.Buffer
	res, err := runDemo(context.Background(), &out, &errw, demoOptions{exe: script, startTimeout: 300 * time.Millisecond, recoverTimeout: time.Second})
	if err == nil || !strings.Contains(err.Error(), "the cluster did not form: n1 does not answer") || res.OK {
		t.Errorf("runDemo(hanging daemons) = %+v, %v; want a formation timeout", res, err)
	}
	if !strings.Contains(out.String(), "Starting a three-node ward cluster") {
		t.Errorf("runDemo(text) printed %q", out.String())
	}
	data, err := os.ReadFile(pids)
	if err != nil {
		t.Fatal(err)
	}
	started := strings.Fields(string(data))
	if len(started) != 3 {
		t.Errorf("the demo started %d daemons, want 3", len(started))
	}
	// They were the test's children and the demo reaped them: no such
	// process is left.
	for _, p := range started {
		pid, _ := strconv.Atoi(p)
		if err := syscall.Kill(pid, 0); !errors.Is(err, syscall.ESRCH) {
			t.Errorf("daemon pid %d after runDemo: kill 0 = %v, want ESRCH", pid, err)
		}
	}
}

func demoTempFolders(t *testing.T) []string {
	m, err := filepath.Glob(filepath.Join(os.TempDir(), "ward-demo-*"))
	if err != nil {
		t.Fatal(err)
	}
	return m
}
