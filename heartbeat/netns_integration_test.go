//go:build integration

package heartbeat

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// The integration lab: network namespaces wardhb-n1..N, each with one veth
// per link (hb0, hb1) plugged into a bridge per link (wardhbbr0/1) that
// lives in its own namespace wardhb-sw. Link l of node i has address
// 10.214.(l+1).(10+i). Nothing touches the host's own networking, and the
// names never clash with ward lab's (wl-*).

const nsPrefix = "wardhb-"

func nsNode(i int) string      { return fmt.Sprintf("%sn%d", nsPrefix, i) }
func nsSwitch() string         { return nsPrefix + "sw" }
func labAddr(i, l int) string  { return fmt.Sprintf("10.214.%d.%d", l+1, 10+i) }
func swPort(i, l int) string   { return fmt.Sprintf("hbv%dl%d", i, l) }
func labNodeName(i int) string { return fmt.Sprintf("n%d", i) }
func labBridge(l int) string   { return fmt.Sprintf("wardhbbr%d", l) }
func labNodeIf(l int) string   { return fmt.Sprintf("hb%d", l) }

func ipcmd(t testing.TB, args ...string) {
	t.Helper()
	out, err := exec.Command("ip", args...).CombinedOutput()
	if err != nil {
		t.Fatalf("ip %s: %v: %s", strings.Join(args, " "), err, out)
	}
}

// labTeardown kills every process in the wardhb- namespaces and deletes
// them. It is safe to call when nothing exists.
func labTeardown() {
	out, _ := exec.Command("ip", "netns", "list").Output()
	for _, line := range strings.Split(string(out), "\n") {
		f := strings.Fields(line)
		if len(f) == 0 || !strings.HasPrefix(f[0], nsPrefix) {
			continue
		}
		pids, _ := exec.Command("ip", "netns", "pids", f[0]).Output()
		for _, p := range strings.Fields(string(pids)) {
			var pid int
			fmt.Sscan(p, &pid)
			if pid > 0 {
				syscall.Kill(pid, syscall.SIGKILL)
			}
		}
		exec.Command("ip", "netns", "del", f[0]).Run()
	}
}

// labUp creates the lab for n nodes and links links and removes it when
// the test ends.
func labUp(t testing.TB, n, links int) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Fatalf("heartbeat integration tests need root (network namespaces); run them as root")
	}
	if _, err := exec.LookPath("ip"); err != nil {
		t.Fatalf("heartbeat integration tests need iproute2 (`ip`): apt-get install iproute2 (scripts/deps.sh)")
	}
	labTeardown()
	t.Cleanup(labTeardown)
	sw := nsSwitch()
	ipcmd(t, "netns", "add", sw)
	ipcmd(t, "-n", sw, "link", "set", "lo", "up")
	for l := 0; l < links; l++ {
		ipcmd(t, "-n", sw, "link", "add", labBridge(l), "type", "bridge", "stp_state", "0", "forward_delay", "0")
		ipcmd(t, "-n", sw, "link", "set", labBridge(l), "up")
	}
	for i := 1; i <= n; i++ {
		ns := nsNode(i)
		ipcmd(t, "netns", "add", ns)
		ipcmd(t, "-n", ns, "link", "set", "lo", "up")
		for l := 0; l < links; l++ {
			ipcmd(t, "-n", sw, "link", "add", swPort(i, l), "type", "veth", "peer", "name", labNodeIf(l), "netns", ns)
			ipcmd(t, "-n", sw, "link", "set", swPort(i, l), "master", labBridge(l), "up")
			ipcmd(t, "-n", ns, "addr", "add", labAddr(i, l)+"/24", "dev", labNodeIf(l))
			ipcmd(t, "-n", ns, "link", "set", labNodeIf(l), "up")
		}
	}
	deadline := time.Now().Add(5 * time.Second)
	for i := 1; i <= n; i++ {
		for l := 0; l < links; l++ {
			for {
				out, _ := exec.Command("ip", "netns", "exec", nsNode(i), "cat", "/sys/class/net/"+labNodeIf(l)+"/operstate").Output()
				if strings.TrimSpace(string(out)) == "up" {
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("lab: %s %s has no carrier after 5s", nsNode(i), labNodeIf(l))
				}
				time.Sleep(20 * time.Millisecond) // polling the kernel, not synchronizing goroutines
			}
		}
	}
}

// labCut takes node i's link l down at the switch (a pulled cable).
func labCut(t testing.TB, i, l int) { ipcmd(t, "-n", nsSwitch(), "link", "set", swPort(i, l), "down") }

// labHeal brings it back.
func labHeal(t testing.TB, i, l int) { ipcmd(t, "-n", nsSwitch(), "link", "set", swPort(i, l), "up") }

// labSpecs returns n nodes with links addresses each.
func labSpecs(n, links int) []NodeSpec {
	var out []NodeSpec
	for i := 1; i <= n; i++ {
		s := NodeSpec{Name: labNodeName(i), Votes: 1}
		for l := 0; l < links; l++ {
			s.Addresses = append(s.Addresses, labAddr(i, l))
		}
		out = append(out, s)
	}
	return out
}

// helperConfig is what a node process runs (passed in WARDHB_CONFIG).
type helperConfig struct {
	Self    string
	Nodes   []NodeSpec
	KeyFile string
	Profile string
}

// helperEvent is one line a node process prints.
type helperEvent struct {
	T       int64               `json:"t"` // unix nanoseconds
	States  map[string]string   `json:"states,omitempty"`
	Links   map[string][]string `json:"links,omitempty"`
	Quorate bool                `json:"quorate"`
	Raw     []string            `json:"raw,omitempty"` // names in link 0's memberlist
	Err     string              `json:"err,omitempty"`
}

// TestHelperNode is the body of a node process started by startNode; it
// does nothing in a normal test run.
func TestHelperNode(t *testing.T) {
	raw := os.Getenv("WARDHB_CONFIG")
	if raw == "" {
		return
	}
	enc := json.NewEncoder(os.Stdout)
	fail := func(err error) {
		enc.Encode(helperEvent{T: time.Now().UnixNano(), Err: err.Error()})
		os.Exit(1)
	}
	var hc helperConfig
	if err := json.Unmarshal([]byte(raw), &hc); err != nil {
		fail(err)
	}
	timing, err := Profile(hc.Profile)
	if err != nil {
		fail(err)
	}
	c, err := New(Config{ClusterName: "integration", Self: hc.Self, Nodes: hc.Nodes, Timing: timing, KeyFile: hc.KeyFile,
		Logger: slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))})
	if err != nil {
		fail(err)
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	done := make(chan error, 1)
	go func() { done <- c.Run(ctx) }()
	select {
	case <-c.Ready():
	case err := <-done:
		fail(fmt.Errorf("run: %v", err))
	}
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	var last string
	for {
		m := c.Membership()
		ev := helperEvent{States: map[string]string{}, Links: map[string][]string{}, Quorate: m.Quorum.Quorate}
		for _, x := range m.Members {
			ev.States[x.Name] = x.State.String()
			for _, l := range x.Links {
				ev.Links[x.Name] = append(ev.Links[x.Name], l.State.String())
			}
		}
		for _, n := range c.links[0].ml.Members() {
			ev.Raw = append(ev.Raw, n.Name)
		}
		slices.Sort(ev.Raw)
		key, _ := json.Marshal(ev)
		if string(key) != last {
			last = string(key)
			ev.T = time.Now().UnixNano()
			enc.Encode(ev)
		}
		select {
		case <-c.Changes():
		case <-tick.C:
		case err := <-done:
			if err != nil {
				fail(err)
			}
			os.Exit(0)
		}
	}
}

// node is a running node process.
type node struct {
	name string
	cmd  *exec.Cmd
	logs bytes.Buffer

	mu     sync.Mutex
	events []helperEvent
	update chan struct{}
	exited chan struct{}
}

// startNode starts node i of nodes in its namespace.
func startNode(t testing.TB, i int, nodes []NodeSpec, keyFile, profile string) *node {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cfg, _ := json.Marshal(helperConfig{Self: labNodeName(i), Nodes: nodes, KeyFile: keyFile, Profile: profile})
	n := &node{name: labNodeName(i), update: make(chan struct{}, 1), exited: make(chan struct{})}
	n.cmd = exec.Command("ip", "netns", "exec", nsNode(i), exe, "-test.run=^TestHelperNode$", "-test.count=1")
	n.cmd.Env = append(os.Environ(), "WARDHB_CONFIG="+string(cfg))
	n.cmd.Stderr = &lockedWriter{mu: &n.mu, w: &n.logs}
	out, err := n.cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := n.cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", n.name, err)
	}
	go func() {
		sc := bufio.NewScanner(out)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			var ev helperEvent
			if json.Unmarshal(sc.Bytes(), &ev) != nil {
				continue
			}
			n.mu.Lock()
			n.events = append(n.events, ev)
			n.mu.Unlock()
			select {
			case n.update <- struct{}{}:
			default:
			}
		}
		n.cmd.Wait()
		close(n.exited)
	}()
	t.Cleanup(func() {
		n.kill()
		if t.Failed() {
			n.mu.Lock()
			t.Logf("stderr of %s:\n%s", n.name, n.logs.String())
			n.mu.Unlock()
		}
	})
	return n
}

type lockedWriter struct {
	mu *sync.Mutex
	w  *bytes.Buffer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// kill sends SIGKILL (no graceful leave) and waits for the process.
func (n *node) kill() time.Time {
	at := time.Now()
	if n.cmd.Process != nil {
		n.cmd.Process.Kill()
	}
	<-n.exited
	return at
}

// last returns the latest event.
func (n *node) last() helperEvent {
	n.mu.Lock()
	defer n.mu.Unlock()
	if len(n.events) == 0 {
		return helperEvent{}
	}
	return n.events[len(n.events)-1]
}

// waitEvent waits for an event after since that satisfies cond.
func (n *node) waitEvent(t testing.TB, since time.Time, limit time.Duration, what string, cond func(helperEvent) bool) helperEvent {
	t.Helper()
	deadline := time.NewTimer(limit)
	defer deadline.Stop()
	seen := 0
	for {
		n.mu.Lock()
		evs := n.events[seen:]
		seen = len(n.events)
		n.mu.Unlock()
		for _, ev := range evs {
			if ev.Err != "" {
				t.Fatalf("%s failed: %s", n.name, ev.Err)
			}
			if ev.T >= since.UnixNano() && cond(ev) {
				return ev
			}
		}
		select {
		case <-n.update:
		case <-n.exited:
			t.Fatalf("%s exited while waiting for %s; last: %+v", n.name, what, n.last())
		case <-deadline.C:
			t.Fatalf("%s: %s not reached within %v; last: %+v", n.name, what, limit, n.last())
		}
	}
}

func writeKey(t testing.TB, mode os.FileMode) string {
	t.Helper()
	k, err := GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), "ward.key")
	if err := os.WriteFile(p, EncodeKeyFile(k), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(p, mode); err != nil {
		t.Fatal(err)
	}
	return p
}

func everyoneAlive(names ...string) func(helperEvent) bool {
	return func(ev helperEvent) bool {
		for _, n := range names {
			if ev.States[n] != "alive" {
				return false
			}
		}
		return true
	}
}
