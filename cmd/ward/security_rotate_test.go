package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ward-ha/ward/api"
	"github.com/ward-ha/ward/heartbeat"
)

// keyNode is one in-process `ward daemon` of a key rotation test.
type keyNode struct {
	name, dir, key, socket string
	logs                   *lockedBuffer
	cancel                 context.CancelFunc
	done                   chan error
}

// lockedBuffer is a bytes.Buffer safe for the daemon's concurrent logs.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// keyCluster writes a policy for n nodes on loopback and one key file
// per node, all holding key.
func keyCluster(t *testing.T, n int, key []byte) (string, []*keyNode) {
	t.Helper()
	dir, err := os.MkdirTemp("", "wk-") // short: unix socket paths are limited
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	ports, err := freePorts(n)
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	b.WriteString("[cluster]\nname = \"keytest\"\nstonith_enabled = false\n\n")
	var nodes []*keyNode
	for i, p := range ports {
		name := fmt.Sprintf("n%d", i+1)
		fmt.Fprintf(&b, "[[node]]\nname = %q\naddresses = [\"127.0.0.1:%d\"]\n\n", name, p)
		nd := &keyNode{name: name, dir: filepath.Join(dir, name), socket: filepath.Join(dir, name+".sock")}
		nd.key = filepath.Join(nd.dir, "etc", "ward.key")
		if err := heartbeat.WriteKeyFile(nd.key, false, key); err != nil {
			t.Fatal(err)
		}
		nodes = append(nodes, nd)
	}
	// A resource runs during the rotation: it must not move or fail.
	b.WriteString("[[primitive]]\nid = \"web\"\nagent = \"dummy\"\n\n[[primitive.op]]\nname = \"monitor\"\ninterval = \"1s\"\ntimeout = \"5s\"\n")
	pol := filepath.Join(dir, "policy.toml")
	if err := os.WriteFile(pol, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	return pol, nodes
}

// start runs n's daemon in this process until the test ends or stop.
func (n *keyNode) start(t *testing.T, pol string) {
	t.Helper()
	n.logs = &lockedBuffer{}
	c := newDaemonCmd()
	c.SetOut(n.logs)
	c.SetErr(n.logs)
	c.SetArgs([]string{"--policy", pol, "--node", n.name, "--state-dir", filepath.Join(n.dir, "state"), "--key", n.key,
		"--socket", n.socket, "--agent-state-dir", filepath.Join(n.dir, "agents"), "--realtime=false"})
	ctx, cancel := context.WithCancel(context.Background())
	n.cancel, n.done = cancel, make(chan error, 1)
	go func() { n.done <- c.ExecuteContext(ctx) }()
	t.Cleanup(func() {
		n.stop(t)
		if t.Failed() {
			t.Logf("log of %s:\n%s", n.name, n.logs.String())
		}
	})
}

func (n *keyNode) stop(t *testing.T) {
	if n.cancel == nil {
		return
	}
	n.cancel()
	select {
	case err := <-n.done:
		if err != nil {
			t.Errorf("daemon %s: %v", n.name, err)
		}
	case <-time.After(20 * time.Second):
		t.Errorf("daemon %s did not stop", n.name)
	}
	n.cancel = nil
}

// waitStatus polls n's status until cond holds (the API has no event to
// wait on from outside).
func waitStatus(t *testing.T, n *keyNode, limit time.Duration, what string, cond func(api.ClusterStatus) bool) {
	t.Helper()
	cl := api.NewClient(n.socket)
	defer cl.CloseIdleConnections()
	deadline := time.Now().Add(limit)
	var st api.ClusterStatus
	for time.Now().Before(deadline) {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		var err error
		st, err = cl.Status(ctx)
		cancel()
		if err == nil && cond(st) {
			return
		}
		time.Sleep(50 * time.Millisecond) // polling an external API
	}
	t.Fatalf("%s: %s not reached within %v; last status: %+v", n.name, what, limit, st)
}

func online(names ...string) func(api.ClusterStatus) bool {
	return func(st api.ClusterStatus) bool {
		if st.DC == "" || !st.Quorum.Quorate {
			return false
		}
		for _, want := range names {
			if !slices.ContainsFunc(st.Nodes, func(n api.NodeInfo) bool { return n.Name == want && n.State == "online" }) {
				return false
			}
		}
		return true
	}
}

func runKeyCmd(args ...string) (string, error) {
	c := newKeyCmd()
	var out bytes.Buffer
	c.SetOut(&out)
	c.SetErr(&out)
	c.SetArgs(args)
	err := c.Execute()
	return out.String(), err
}

// TestSecurityKeyRotateDaemons rotates the key of a running three-node
// cluster of real daemons on loopback with `ward key rotate` while one
// node is down, and checks: rotate refuses without --force, nobody is
// declared dead during it, every key file holds only the new key, the
// node that was down cannot join with the old key, and joins once its
// key file is copied from a live node.
func TestSecurityKeyRotateDaemons(t *testing.T) {
	oldKey, _ := heartbeat.GenerateKey()
	pol, ns := keyCluster(t, 3, oldKey)
	for _, n := range ns[:2] {
		n.start(t, pol)
	}
	// n1 and n2 have quorum (2 of 3); n3 is down.
	waitStatus(t, ns[0], 30*time.Second, "n1 and n2 online with a DC", online("n1", "n2"))
	waitStatus(t, ns[1], 30*time.Second, "n1 and n2 online with a DC", online("n1", "n2"))

	waitStatus(t, ns[0], 30*time.Second, "web started", func(st api.ClusterStatus) bool { return webOn(st) != "" })
	webNode := webOn(ns[0].statusNow(t))
	out, err := runKeyCmd("rotate", "--socket", ns[0].socket)
	if err == nil || !strings.Contains(err.Error(), "n3") || !strings.Contains(err.Error(), "--force") {
		t.Fatalf("ward key rotate with n3 absent = %q, %v; want a refusal naming n3 and --force", out, err)
	}
	if kr, _ := heartbeat.LoadKeyFile(ns[0].key); len(kr.Others) != 0 || !bytes.Equal(kr.Primary, oldKey) {
		t.Fatalf("a refused rotate changed n1's key file")
	}
	mark := []int{len(ns[0].logs.String()), len(ns[1].logs.String())}

	// Ask from the member that is not the DC: it is forwarded.
	out, err = runKeyCmd("rotate", "--force", "--socket", ns[1].socket)
	if err != nil {
		t.Fatalf("ward key rotate --force = %v; output:\n%s", err, out)
	}
	for _, want := range []string{"1/3 install", "2/3 use", "3/3 remove " + heartbeat.Fingerprint(oldKey), "rotated", "absent: n3"} {
		if !strings.Contains(out, want) {
			t.Errorf("ward key rotate output lacks %q:\n%s", want, out)
		}
	}
	kr, err := heartbeat.LoadKeyFile(ns[0].key)
	if err != nil || len(kr.Others) != 0 || bytes.Equal(kr.Primary, oldKey) {
		t.Fatalf("n1's key file after rotate: %v, %v; want one new key", heartbeat.Fingerprint(kr.Primary), err)
	}
	newKey := kr.Primary
	for _, n := range ns[:2] {
		kr, err := heartbeat.LoadKeyFile(n.key)
		if err != nil || len(kr.Others) != 0 || !bytes.Equal(kr.Primary, newKey) {
			t.Errorf("%s's key file after rotate holds %v (%v), want only %s", n.name, fingerprintsOf(kr), err, heartbeat.Fingerprint(newKey))
		}
		if fi, err := os.Stat(n.key); err != nil || fi.Mode().Perm() != 0o600 {
			t.Errorf("%s's key file mode after rotate = %v (%v), want 0600", n.name, fi.Mode(), err)
		}
	}
	out, err = runKeyCmd("list", "--socket", ns[0].socket)
	if err != nil || strings.Count(out, heartbeat.Fingerprint(newKey)+" (primary)") != 2 || strings.Contains(out, heartbeat.Fingerprint(oldKey)) {
		t.Errorf("ward key list after rotate = %q, %v; want both nodes on the new key only", out, err)
	}
	for i, n := range ns[:2] {
		logs := n.logs.String()[mark[i]:]
		for _, bad := range []string{"as failed", "does not decrypt", "lost quorum", "-> offline", "stepping down"} {
			if strings.Contains(logs, bad) {
				t.Errorf("%s logged %q during the rotation", n.name, bad)
			}
		}
		if strings.Contains(logs, string(heartbeat.EncodeKeyFile(newKey)[len("# ward gossip key (base64, AES); the first key encrypts, all decrypt\n"):len(heartbeat.EncodeKeyFile(newKey))-1])) {
			t.Errorf("%s logged the new key itself", n.name)
		}
	}
	waitStatus(t, ns[0], 5*time.Second, "n1 and n2 still online", online("n1", "n2"))
	if st := ns[0].statusNow(t); webOn(st) != webNode || len(st.FailedActions) != 0 {
		t.Errorf("after the rotation web runs on %q (was %q), failed actions %+v: want it untouched", webOn(st), webNode, st.FailedActions)
	}

	// n3 comes back with the old key: refused.
	ns[2].start(t, pol)
	deadline := time.Now().Add(15 * time.Second)
	for !strings.Contains(ns[0].logs.String()[mark[0]:], "does not decrypt with this cluster's key") {
		if time.Now().After(deadline) {
			t.Fatalf("n1 never refused n3's gossip under the old key")
		}
		time.Sleep(50 * time.Millisecond) // polling a log
	}
	cl := api.NewClient(ns[0].socket)
	defer cl.CloseIdleConnections()
	st, err := cl.Status(context.Background())
	if err != nil || online("n3")(st) {
		t.Errorf("n1's status with n3 on the old key = %+v, %v; want n3 not online", st.Nodes, err)
	}
	// The documented recovery: copy a live node's key file, restart.
	ns[2].stop(t)
	data, err := os.ReadFile(ns[0].key)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(ns[2].key, data, 0o600); err != nil {
		t.Fatal(err)
	}
	ns[2].start(t, pol)
	waitStatus(t, ns[0], 30*time.Second, "n3 online with the copied key file", online("n1", "n2", "n3"))
}

// webOn returns the node the resource web is started on ("" none).
func webOn(st api.ClusterStatus) string {
	for _, r := range st.Resources {
		if r.ID == "web" && r.Role == "Started" {
			return r.Node
		}
	}
	return ""
}

func (n *keyNode) statusNow(t *testing.T) api.ClusterStatus {
	t.Helper()
	cl := api.NewClient(n.socket)
	defer cl.CloseIdleConnections()
	st, err := cl.Status(context.Background())
	if err != nil {
		t.Fatalf("%s status: %v", n.name, err)
	}
	return st
}

func fingerprintsOf(kr heartbeat.Keyring) []string {
	var out []string
	for _, k := range kr.Keys() {
		out = append(out, heartbeat.Fingerprint(k))
	}
	return out
}

// TestSecurityKeyRefusals checks the DC's refusals that protect a node
// from being cut off, on a live two-node cluster (local and cluster
// requests).
func TestSecurityKeyRefusals(t *testing.T) {
	k, _ := heartbeat.GenerateKey()
	pol, ns := keyCluster(t, 2, k)
	for _, n := range ns {
		n.start(t, pol)
	}
	waitStatus(t, ns[0], 30*time.Second, "both online", online("n1", "n2"))
	other, _ := heartbeat.GenerateKey()
	fp := heartbeat.Fingerprint(other)
	// Installed on n1 only: using it everywhere would cut n2 off.
	path := filepath.Join(ns[0].dir, "new.key")
	if err := heartbeat.WriteKeyFile(path, false, other); err != nil {
		t.Fatal(err)
	}
	if out, err := runKeyCmd("install", "--local", path, "--socket", ns[0].socket); err != nil {
		t.Fatalf("ward key install --local = %q, %v", out, err)
	}
	out, err := runKeyCmd("use", fp, "--socket", ns[0].socket)
	if err == nil || !strings.Contains(err.Error(), "n2 has not installed it") {
		t.Errorf("ward key use with n2 lacking the key = %q, %v; want a conflict naming n2", out, err)
	}
	out, err = runKeyCmd("remove", heartbeat.Fingerprint(k), "--socket", ns[0].socket)
	if err == nil || !strings.Contains(err.Error(), "still encrypts with it") {
		t.Errorf("ward key remove of the primary = %q, %v; want a conflict", out, err)
	}
	out, err = runKeyCmd("list", "-o", "json", "--socket", ns[1].socket)
	var res api.KeyResult
	if err != nil || json.Unmarshal([]byte(out), &res) != nil || len(res.Nodes) != 2 ||
		!slices.Equal(res.Nodes[0].Keys, []string{heartbeat.Fingerprint(k), fp}) || !slices.Equal(res.Nodes[1].Keys, []string{heartbeat.Fingerprint(k)}) {
		t.Errorf("ward key list -o json = %q, %v; want n1 [old new], n2 [old]", out, err)
	}
	// --on-each-node: each node reads the path on its own disk (here
	// all share one disk); a fingerprint the file lacks fails everywhere.
	third, _ := heartbeat.GenerateKey()
	out, err = runKeyCmd("install", "--on-each-node", path, "--fingerprint", heartbeat.Fingerprint(third), "--socket", ns[1].socket)
	if err == nil || strings.Count(out, "does not hold key "+heartbeat.Fingerprint(third)) != 2 {
		t.Errorf("ward key install --on-each-node with a fingerprint the file lacks = %q, %v; want both nodes failed", out, err)
	}
	out, err = runKeyCmd("install", "--on-each-node", path, "--socket", ns[1].socket)
	if err != nil || strings.Count(out, fp) != 2 {
		t.Errorf("ward key install --on-each-node = %q, %v; want both nodes holding %s", out, err, fp)
	}
	if strings.Contains(out, strings.TrimSpace(string(heartbeat.EncodeKeyFile(other)[len("# ward gossip key (base64, AES); the first key encrypts, all decrypt\n"):]))) {
		t.Errorf("the key itself appears in the output: %q", out)
	}
}
