package heartbeat

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// loopbackSpecs returns n nodes on 127.0.0.1, each on a free port (TCP
// and UDP).
func loopbackSpecs(t *testing.T, n int) []NodeSpec {
	t.Helper()
	var out []NodeSpec
	for i := 1; i <= n; i++ {
		out = append(out, NodeSpec{Name: fmt.Sprintf("n%d", i), Votes: 1, Addresses: []string{freeLoopback(t)}})
	}
	return out
}

// freeLoopback returns a 127.0.0.1 address whose port is free for TCP
// and UDP at the time of the call.
func freeLoopback(t *testing.T) string {
	t.Helper()
	for range 50 {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		a := ln.Addr().String()
		pc, err := net.ListenPacket("udp", a)
		ln.Close()
		if err == nil {
			pc.Close()
			return a
		}
	}
	t.Fatal("no free port on 127.0.0.1")
	return ""
}

// startLoopback runs node self of nodes on real sockets with its keys in
// keyFile.
func startLoopback(t *testing.T, nodes []NodeSpec, self, keyFile string) *running {
	t.Helper()
	logs := &syncBuffer{}
	c, err := New(Config{ClusterName: "test", Self: self, Nodes: nodes, Timing: testTiming(), KeyFile: keyFile,
		Logger: slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))})
	if err != nil {
		t.Fatalf("New(%s) = %v", self, err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	r := &running{Cluster: c, cancel: cancel, done: make(chan error, 1), logs: logs}
	go func() { r.done <- c.Run(ctx) }()
	stopped := false
	stop := func() {
		if !stopped {
			stopped = true
			cancel()
			<-r.done
		}
	}
	r.cancel = stop
	t.Cleanup(func() {
		stop()
		if t.Failed() {
			t.Logf("logs of %s:\n%s", self, logs.String())
		}
	})
	select {
	case <-c.Ready():
	case err := <-r.done:
		t.Fatalf("Run(%s) = %v", self, err)
	}
	return r
}

// exchange sends a reliable message from every node to every other and
// waits for each to arrive: traffic flows both ways under the current
// keys.
func exchange(t *testing.T, cs []*running, tag string) {
	t.Helper()
	for _, from := range cs {
		for _, to := range cs {
			if from == to {
				continue
			}
			payload := []byte(tag + " " + from.cfg.Self + "->" + to.cfg.Self)
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			err := from.SendReliable(ctx, to.cfg.Self, payload)
			cancel()
			if err != nil {
				t.Fatalf("%s: SendReliable(%s -> %s) = %v", tag, from.cfg.Self, to.cfg.Self, err)
			}
			deadline := time.NewTimer(5 * time.Second)
		wait:
			for {
				select {
				case m := <-to.Messages():
					if bytes.Equal(m.Payload, payload) {
						break wait
					}
				case <-deadline.C:
					t.Fatalf("%s: %s did not receive %q", tag, to.cfg.Self, payload)
				}
			}
			deadline.Stop()
		}
	}
}

func wantKeys(t *testing.T, step string, cs []*running, files []string, want ...[]byte) {
	t.Helper()
	fps := fingerprints(want)
	for i, c := range cs {
		if got := c.KeyringInfo().Fingerprints; !slices.Equal(got, fps) {
			t.Errorf("%s: %s KeyringInfo().Fingerprints = %v, want %v", step, c.cfg.Self, got, fps)
		}
		kr, err := LoadKeyFile(files[i])
		if err != nil || !sameKeys(kr.Keys(), want) {
			t.Errorf("%s: %s key file holds %v (%v), want %v", step, c.cfg.Self, fingerprints(kr.Keys()), err, fps)
		}
	}
}

// TestKeyringRotationLoopback rotates the key of three nodes on real
// sockets, step by step, with traffic in every mixed state, then checks
// that nobody was suspected or declared dead, that nothing failed to
// decrypt, that a node holding only the old key cannot join, and that it
// joins once given the new key file.
func TestKeyringRotationLoopback(t *testing.T) {
	dir := t.TempDir()
	oldKey, _ := GenerateKey()
	newKey, _ := GenerateKey()
	nodes := loopbackSpecs(t, 4) // n4 starts later
	var cs []*running
	var files []string
	for _, n := range nodes[:3] {
		path := filepath.Join(dir, n.Name, "ward.key")
		if err := WriteKeyFile(path, false, oldKey); err != nil {
			t.Fatal(err)
		}
		files = append(files, path)
		cs = append(cs, startLoopback(t, nodes, n.Name, path))
	}
	threeAlive := func(m Membership) bool {
		for _, n := range []string{"n1", "n2", "n3"} {
			if x, _ := m.Member(n); x.State != StateAlive {
				return false
			}
		}
		return true
	}
	for _, c := range cs {
		waitFor(t, c.Cluster, 10*time.Second, "n1-n3 alive", threeAlive)
	}
	exchange(t, cs, "before")
	mark := make([]int, len(cs)) // log offsets: only the rotation is checked
	for i, c := range cs {
		mark[i] = len(c.logs.String())
	}

	// Step 1: install everywhere. One node has it before the others:
	// nothing changes for anyone, it only decrypts more.
	for _, c := range cs {
		fp, err := c.InstallKey(newKey)
		if err != nil || fp != Fingerprint(newKey) {
			t.Fatalf("%s InstallKey = %s, %v, want %s", c.cfg.Self, fp, err, Fingerprint(newKey))
		}
		exchange(t, cs, "installing")
	}
	wantKeys(t, "after install", cs, files, oldKey, newKey)
	// Step 2: use everywhere, with traffic while nodes encrypt with
	// different keys.
	for _, c := range cs {
		if err := c.UseKey(Fingerprint(newKey)); err != nil {
			t.Fatalf("%s UseKey = %v", c.cfg.Self, err)
		}
		exchange(t, cs, "using")
	}
	wantKeys(t, "after use", cs, files, newKey, oldKey)
	// Step 3: remove the old key everywhere.
	for _, c := range cs {
		if err := c.RemoveKey(Fingerprint(oldKey)); err != nil {
			t.Fatalf("%s RemoveKey = %v", c.cfg.Self, err)
		}
		exchange(t, cs, "removing")
	}
	wantKeys(t, "after remove", cs, files, newKey)
	for i, c := range cs {
		if !threeAlive(c.Membership()) {
			t.Errorf("%s after rotation: %s", c.cfg.Self, describe(c.Membership()))
		}
		logs := c.logs.String()[mark[i]:]
		for _, bad := range []string{"as failed", "Suspect", "does not decrypt", "No installed keys could decrypt"} {
			if strings.Contains(logs, bad) {
				t.Errorf("%s logged %q during the rotation:\n%s", c.cfg.Self, bad, logs)
			}
		}
		if !strings.Contains(logs, "gossip keyring changed") || strings.Contains(logs, base64Of(newKey)) || strings.Contains(logs, base64Of(oldKey)) {
			t.Errorf("%s: logs of the rotation lack the change or hold a key:\n%s", c.cfg.Self, logs)
		}
	}

	// n4 was down during the rotation: with the old key it is refused.
	stale := filepath.Join(dir, "n4", "ward.key")
	if err := WriteKeyFile(stale, false, oldKey); err != nil {
		t.Fatal(err)
	}
	n4 := startLoopback(t, nodes, "n4", stale)
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(cs[0].logs.String()[mark[0]:], "does not decrypt with this cluster's key") {
		if time.Now().After(deadline) {
			t.Fatalf("n1 never refused n4's old-key gossip; n1 sees %s", describe(cs[0].Membership()))
		}
		select {
		case <-cs[0].Changes():
		case <-time.After(50 * time.Millisecond): // polling a log: no event to wait on
		}
	}
	for _, c := range append(cs, n4) {
		m := c.Membership()
		for _, pair := range [][2]string{{"n4", "n1"}, {"n1", "n4"}} {
			if c.cfg.Self == pair[0] {
				if x, _ := m.Member(pair[1]); x.State.Present() {
					t.Errorf("%s with the old key sees %s %s, want not present", pair[0], pair[1], x.State)
				}
			}
		}
	}
	// The documented recovery: copy the key file from a live node, start.
	n4.cancel()
	data, err := os.ReadFile(files[0])
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(stale, data, 0o600); err != nil {
		t.Fatal(err)
	}
	n4 = startLoopback(t, nodes, "n4", stale)
	waitFor(t, n4.Cluster, 10*time.Second, "n4 sees all alive", allAlive)
	waitFor(t, cs[0].Cluster, 10*time.Second, "n1 sees n4 alive", stateIs("n4", StateAlive))
}

func base64Of(k []byte) string {
	return strings.TrimSpace(strings.Split(string(EncodeKeyFile(k)), "\n")[1])
}

func TestKeyringChangeErrors(t *testing.T) {
	dir := t.TempDir()
	k1, _ := GenerateKey()
	k2, _ := GenerateKey()
	path := filepath.Join(dir, "keys", "ward.key")
	if err := WriteKeyFile(path, false, k1); err != nil {
		t.Fatal(err)
	}
	nodes := specs(1, 1)
	c, err := New(Config{ClusterName: "c", Self: "n1", Nodes: nodes, Timing: testTiming(), KeyFile: path})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.InstallKey([]byte("short")); err == nil || !strings.Contains(err.Error(), "5 bytes") {
		t.Errorf("InstallKey(5 bytes) = %v, want a size error", err)
	}
	if err := c.UseKey(Fingerprint(k2)); err == nil || !strings.Contains(err.Error(), "not installed") {
		t.Errorf("UseKey(not installed) = %v, want not installed", err)
	}
	if err := c.RemoveKey(Fingerprint(k1)); err == nil || !strings.Contains(err.Error(), "primary") {
		t.Errorf("RemoveKey(primary) = %v, want a refusal", err)
	}
	if err := c.RemoveKey(Fingerprint(k2)); err != nil {
		t.Errorf("RemoveKey(absent) = %v, want nil (idempotent)", err)
	}
	// Idempotent install and use.
	for range 2 {
		if _, err := c.InstallKey(k2); err != nil {
			t.Fatalf("InstallKey = %v", err)
		}
	}
	if err := c.UseKey(Fingerprint(k1)); err != nil {
		t.Errorf("UseKey(primary) = %v", err)
	}
	if err := c.UseKey(Fingerprint(k2)); err != nil || !bytes.Equal(c.PrimaryKey(), k2) {
		t.Errorf("after UseKey(k2): PrimaryKey() = %s, %v; want k2", Fingerprint(c.PrimaryKey()), err)
	}
	if err := c.UseKey(Fingerprint(k1)); err != nil || !bytes.Equal(c.PrimaryKey(), k1) {
		t.Errorf("after UseKey(k1): PrimaryKey() = %s, %v; want k1", Fingerprint(c.PrimaryKey()), err)
	}
	if got := c.KeyringInfo(); !got.Encrypted || got.KeyFile != path || !slices.Equal(got.Fingerprints, fingerprints([][]byte{k1, k2})) {
		t.Errorf("KeyringInfo() = %+v, want k1, k2 from %s", got, path)
	}
	// The key file cannot be written: the keyring in memory is unchanged.
	if err := os.RemoveAll(filepath.Dir(path)); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Dir(path), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := c.UseKey(Fingerprint(k2)); err == nil || !strings.Contains(err.Error(), "unchanged") {
		t.Errorf("UseKey with an unwritable key file = %v, want an error saying memory is unchanged", err)
	}
	if got := c.KeyringInfo().Fingerprints; got[0] != Fingerprint(k1) {
		t.Errorf("after a failed write the primary is %s, want %s", got[0], Fingerprint(k1))
	}

	ins, err := New(Config{ClusterName: "c", Self: "n1", Nodes: nodes, Timing: testTiming(), Insecure: true})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ins.InstallKey(k1); !errors.Is(err, ErrInsecure) {
		t.Errorf("InstallKey in insecure mode = %v, want ErrInsecure", err)
	}
	if ins.PrimaryKey() != nil {
		t.Errorf("insecure PrimaryKey() = non-nil, want nil")
	}
	if info := ins.KeyringInfo(); info.Encrypted || len(info.Fingerprints) != 0 {
		t.Errorf("insecure KeyringInfo() = %+v, want not encrypted", info)
	}
}

// TestKeyringRemoveMiddleKey removes a key that is not the last one
// (memberlist's in-place removal is avoided) and keeps the others.
func TestKeyringRemoveMiddleKey(t *testing.T) {
	var ks [][]byte
	for range 4 {
		k, _ := GenerateKey()
		ks = append(ks, k)
	}
	kr := Keyring{Primary: ks[0], Others: ks[1:]}
	c, err := New(Config{ClusterName: "c", Self: "n1", Nodes: specs(1, 1), Timing: testTiming(), Keyring: &kr})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.RemoveKey(Fingerprint(ks[1])); err != nil {
		t.Fatal(err)
	}
	want := fingerprints([][]byte{ks[0], ks[2], ks[3]})
	if got := c.KeyringInfo(); !slices.Equal(got.Fingerprints, want) || got.KeyFile != "" {
		t.Errorf("after removing k1: KeyringInfo() = %+v, want %v and no key file", got, want)
	}
}

func TestFingerprint(t *testing.T) {
	k, _ := GenerateKey()
	fp := Fingerprint(k)
	if len(fp) != fingerprintLen || fp != Fingerprint(bytes.Clone(k)) || strings.Contains(base64Of(k), fp) {
		t.Errorf("Fingerprint(k) = %q: want %d stable hex characters unrelated to the key", fp, fingerprintLen)
	}
	k2, _ := GenerateKey()
	if Fingerprint(k2) == fp {
		t.Errorf("two keys have the same fingerprint %s", fp)
	}
}
