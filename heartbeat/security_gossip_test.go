package heartbeat

import (
	"bytes"
	"context"
	"io"
	"log"
	"log/slog"
	"net"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/memberlist"
)

// TestSecurityEncryptedByDefault: without a key file, or with none
// configured, a node does not start; a configured node never sends its
// name or metadata in clear (what a node on the network sees of a join is
// the cluster label and ciphertext), while an insecure one does.
func TestSecurityEncryptedByDefault(t *testing.T) {
	nodes := []NodeSpec{{Name: "alpha-secret-name", Votes: 1, Addresses: []string{freeLoopback(t)}}}
	if _, err := New(Config{ClusterName: "test", Self: nodes[0].Name, Nodes: nodes, Timing: testTiming()}); err == nil || !strings.Contains(err.Error(), "no gossip key") {
		t.Errorf("New without a key = %v, want a refusal (encryption is the default)", err)
	}
	missing := filepath.Join(t.TempDir(), "ward.key")
	if _, err := New(Config{ClusterName: "test", Self: nodes[0].Name, Nodes: nodes, Timing: testTiming(), KeyFile: missing}); err == nil || !strings.Contains(err.Error(), "does not exist") {
		t.Errorf("New with a missing key file = %v, want a refusal", err)
	}

	for _, tc := range []struct {
		name      string
		insecure  bool
		wantClear bool
	}{{"encrypted", false, false}, {"insecure", true, true}} {
		t.Run(tc.name, func(t *testing.T) {
			// The listener plays the second configured node: it sees
			// what the node sends when it joins.
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			defer ln.Close()
			ns := []NodeSpec{{Name: "alpha-secret-name", Votes: 1, Addresses: []string{freeLoopback(t)}},
				{Name: "beta-secret-name", Votes: 1, Addresses: []string{ln.Addr().String()}}}
			logs := &syncBuffer{}
			cfg := Config{ClusterName: "test", Self: ns[0].Name, Nodes: ns, Timing: testTiming(), Insecure: tc.insecure,
				Logger: newTestLogger(logs)}
			if !tc.insecure {
				k, _ := GenerateKey()
				cfg.Keyring = &Keyring{Primary: k}
			}
			runConfig(t, cfg, logs)
			conn, err := ln.Accept() // the join's push/pull
			if err != nil {
				t.Fatal(err)
			}
			conn.SetReadDeadline(time.Now().Add(5 * time.Second))
			buf := make([]byte, 4096)
			n, err := io.ReadAtLeast(conn, buf, 64) // the push/pull's first write
			conn.Close()
			if err != nil {
				t.Fatalf("reading the join: %d bytes, %v", n, err)
			}
			got := bytes.NewBuffer(buf[:n])
			clear := bytes.Contains(got.Bytes(), []byte("alpha-secret-name"))
			if clear != tc.wantClear {
				t.Errorf("%s: the join on the wire holds the node's name in clear = %t, want %t (%d bytes: %q)", tc.name, clear, tc.wantClear, got.Len(), got.Bytes()[:min(got.Len(), 80)])
			}
			if !bytes.Contains(got.Bytes(), []byte("ward/test")) {
				t.Errorf("%s: the join does not carry the cluster label", tc.name)
			}
		})
	}
}

func newTestLogger(w io.Writer) *slog.Logger {
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// runConfig runs a node with cfg until the test ends.
func runConfig(t *testing.T, cfg Config, logs *syncBuffer) *running {
	t.Helper()
	c, err := New(cfg)
	if err != nil {
		t.Fatalf("New(%s) = %v", cfg.Self, err)
	}
	done := make(chan error, 1)
	ctx, cancel := context.WithCancel(context.Background())
	r := &running{Cluster: c, cancel: cancel, done: done, logs: logs}
	go func() { done <- c.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		<-done
		if t.Failed() {
			t.Logf("logs of %s:\n%s", cfg.Self, logs.String())
		}
	})
	<-c.Ready()
	return r
}

// intruder is a bare memberlist (not ward) on loopback.
func intruder(t *testing.T, name, label string, key []byte) (*memberlist.Memberlist, string) {
	t.Helper()
	a := freeLoopback(t)
	host, port, _ := net.SplitHostPort(a)
	p, _ := strconv.Atoi(port)
	conf := memberlist.DefaultLANConfig()
	conf.Name, conf.BindAddr, conf.BindPort, conf.AdvertiseAddr, conf.AdvertisePort = name, host, p, host, p
	conf.Label = label
	conf.Logger = log.New(io.Discard, "", 0)
	if key != nil {
		kr, err := memberlist.NewKeyring(nil, key)
		if err != nil {
			t.Fatal(err)
		}
		conf.Keyring = kr
	}
	ml, err := memberlist.Create(conf)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ml.Shutdown() })
	return ml, a
}

// TestSecurityUnknownTrafficRefused: traffic from anything that is not a
// configured node holding the cluster key is refused, and the refusal
// logged: a wrong key, no encryption at all, another cluster's label, the
// right key under a name the policy lacks, and the right key under a
// configured name from an address the policy does not give it.
func TestSecurityUnknownTrafficRefused(t *testing.T) {
	key, _ := GenerateKey()
	other, _ := GenerateKey()
	for _, tc := range []struct {
		name, as, label string
		key             []byte
		logged          string
	}{
		{"wrong key", "mallory", "ward/test", other, "does not decrypt with this cluster's key"},
		{"no encryption", "mallory", "ward/test", nil, "encrypt"},
		{"other cluster", "mallory", "ward/other", key, "label"},
		{"name not in the policy", "mallory", "ward/test", key, `refusing a node that may not join`},
		{"configured name, wrong address", "n2", "ward/test", key, "which the policy does not give it"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			nodes := loopbackSpecs(t, 2) // n2 never runs: the intruder may claim its name
			logs := &syncBuffer{}
			n1 := runConfig(t, Config{ClusterName: "test", Self: "n1", Nodes: nodes, Timing: testTiming(),
				Keyring: &Keyring{Primary: key}, Logger: newTestLogger(logs)}, logs)
			ml, _ := intruder(t, tc.as, tc.label, tc.key)
			ml.Join([]string{nodes[0].Addresses[0]}) // refused: the error is expected
			deadline := time.Now().Add(5 * time.Second)
			for !strings.Contains(strings.ToLower(logs.String()), strings.ToLower(tc.logged)) {
				if time.Now().After(deadline) {
					t.Fatalf("n1 did not log the refusal (%q)", tc.logged)
				}
				ml.Join([]string{nodes[0].Addresses[0]})
				time.Sleep(20 * time.Millisecond) // polling a log
			}
			m := n1.Membership()
			if x, ok := m.Member(tc.as); ok && x.State.Present() {
				t.Errorf("n1 counts the intruder %s as %s", tc.as, x.State)
			}
			for _, mm := range n1.links[0].ml.Members() {
				if mm.Name == tc.as {
					t.Errorf("n1's memberlist admitted the intruder %s", tc.as)
				}
			}
			if m.Quorum.Votes != 1 {
				t.Errorf("n1's quorum counts %d votes with an intruder, want 1", m.Quorum.Votes)
			}
		})
	}
}
