package main

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"testing"
	"time"

	"github.com/ward-ha/ward/heartbeat/witness"
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
		done <- serveWitness(ctx, ln, "prod", key, 300*time.Millisecond, slog.New(slog.DiscardHandler))
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
