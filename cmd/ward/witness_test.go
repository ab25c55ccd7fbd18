package main

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ward-ha/ward/heartbeat"
	"github.com/ward-ha/ward/heartbeat/witness"
	"github.com/ward-ha/ward/policy"
)

func TestServeWitness(t *testing.T) {
	key := []byte("0123456789abcdef0123456789abcdef")
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- serveWitness(ctx, ln, "prod", func() [][]byte { return [][]byte{key} }, 300*time.Millisecond, slog.New(slog.DiscardHandler))
	}()
	c := witness.NewClient(witness.ClientConfig{Addr: ln.Addr().String(), Cluster: "prod", Node: "a", Key: key})
	start := time.Now()
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	var first time.Duration
	for first == 0 {
		resp, _, err := c.Ask(ctx, []string{"a"}, false)
		if err != nil {
			t.Fatalf("Ask = %v", err)
		}
		if resp.Granted {
			first = time.Since(start)
			break
		}
		if time.Since(start) > 10*time.Second {
			t.Fatal("the witness never granted its vote")
		}
		<-tick.C
	}
	if first < 300*time.Millisecond {
		t.Errorf("first grant after %v, want at least one lease (300ms) after start", first)
	}
	other := witness.NewClient(witness.ClientConfig{Addr: ln.Addr().String(), Cluster: "prod", Node: "b", Key: key})
	if resp, _, err := other.Ask(ctx, []string{"b"}, true); err != nil || resp.Granted {
		t.Fatalf("other side Ask = %+v, %v; want refused while a's lease runs", resp, err)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("serveWitness = %v after cancel, want nil", err)
	}
}

func TestWitnessCmdUsage(t *testing.T) {
	for _, args := range [][]string{{}, {"--listen", "127.0.0.1:0"}, {"--listen", "127.0.0.1:0", "--cluster", "c", "--lease", "1ms"},
		{"--listen", "127.0.0.1:0", "--cluster", "c", "--log-level", "loud"}} {
		c := newWitnessCmd()
		c.SetArgs(args)
		c.SetOut(io.Discard)
		c.SetErr(io.Discard)
		var ue *usageError
		if err := c.Execute(); !errors.As(err, &ue) {
			t.Errorf("ward witness %v = %v, want a usage error", args, err)
		}
	}
	c := newWitnessCmd()
	c.SetArgs([]string{"--listen", "127.0.0.1:0", "--cluster", "c", "--key", "/nonexistent/key"})
	c.SetOut(io.Discard)
	c.SetErr(io.Discard)
	var ee *exitError
	if err := c.Execute(); !errors.As(err, &ee) || ee.code != 1 {
		t.Errorf("ward witness with a missing key = %v, want exit 1", err)
	}
}

// TestWitnessKeyRotation: the witness reads its key file again when it
// changes and accepts every key in it, and a client signs with the
// primary key its node uses now: a live rotation (old key, old+new in
// the witness's file, the nodes on the new key, the old key removed)
// never loses the witness's answers. A file that cannot be used keeps
// the keys loaded before.
func TestWitnessKeyRotation(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "gossip.key")
	oldKey, _ := heartbeat.GenerateKey()
	newKey, _ := heartbeat.GenerateKey()
	if err := heartbeat.WriteKeyFile(path, false, oldKey); err != nil {
		t.Fatal(err)
	}
	ring, err := heartbeat.LoadKeyFile(path)
	if err != nil {
		t.Fatal(err)
	}
	keys := newWitnessKeys(path, ring, slog.New(slog.DiscardHandler))
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go serveWitness(ctx, ln, "prod", keys.get, 300*time.Millisecond, slog.New(slog.DiscardHandler))
	var primary atomic.Pointer[[]byte]
	primary.Store(&oldKey)
	c := witness.NewClient(witness.ClientConfig{Addr: ln.Addr().String(), Cluster: "prod", Node: "a", Key: oldKey,
		PrimaryKey: func() []byte { return *primary.Load() }})
	ask := func(step string) error {
		t.Helper()
		_, _, err := c.Ask(ctx, []string{"a"}, false)
		return err
	}
	if err := ask("old key"); err != nil {
		t.Fatalf("Ask with the old key = %v", err)
	}
	// The nodes use the new key before the witness knows it: refused.
	primary.Store(&newKey)
	if err := ask("new key, unknown"); err == nil || !strings.Contains(err.Error(), "not authenticated") {
		t.Fatalf("Ask with a key the witness does not have = %v, want not authenticated", err)
	}
	// The rotation as documented: old and new in the witness's file.
	if err := heartbeat.RewriteKeyFile(path, oldKey, newKey); err != nil {
		t.Fatal(err)
	}
	keys.reload()
	if got := len(keys.get()); got != 2 {
		t.Fatalf("keys after the file got a second key = %d, want 2", got)
	}
	if err := ask("new key"); err != nil {
		t.Errorf("Ask with the new key once the witness has both = %v", err)
	}
	primary.Store(&oldKey)
	if err := ask("old key still"); err != nil {
		t.Errorf("Ask with the old key while the witness has both = %v", err)
	}
	// A broken file keeps what was loaded.
	if err := os.WriteFile(path, []byte("not a key\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	keys.reload()
	if got := len(keys.get()); got != 2 {
		t.Errorf("keys after the file was broken = %d, want the 2 loaded before", got)
	}
	// The old key removed from the file: refused from then on.
	if err := heartbeat.RewriteKeyFile(path, newKey); err != nil {
		t.Fatal(err)
	}
	keys.reload()
	if err := ask("old key, removed"); err == nil {
		t.Errorf("Ask with the removed old key = nil error, want refused")
	}
}

// TestWitnessAddr: the daemon counts the policy's witness, or --witness;
// both only if they agree.
func TestWitnessAddr(t *testing.T) {
	withW := &policy.Config{Cluster: policy.Cluster{Witness: "192.0.2.10:7947"}}
	none := &policy.Config{}
	for _, tc := range []struct {
		flag string
		cfg  *policy.Config
		want string
		err  bool
	}{
		{"", none, "", false},
		{"", withW, "192.0.2.10:7947", false},
		{"192.0.2.10:7947", none, "192.0.2.10:7947", false},
		{"192.0.2.10:7947", withW, "192.0.2.10:7947", false},
		{"192.0.2.11:7947", withW, "", true},
	} {
		got, err := witnessAddr(tc.flag, tc.cfg)
		if got != tc.want || (err != nil) != tc.err {
			t.Errorf("witnessAddr(%q, policy %q) = %q, %v; want %q, error %t", tc.flag, tc.cfg.Cluster.Witness, got, err, tc.want, tc.err)
		}
	}
}
