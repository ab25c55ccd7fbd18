package heartbeat

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hashicorp/memberlist"
	"github.com/ward-ha/ward/heartbeat/heartbeattest"
)

// tap is an attacker on the wire in front of one node: it records every
// stream the node receives, still encrypted, and can send the recordings
// to the node again (a replay: the bytes decrypt and authenticate again).
type tap struct {
	*heartbeattest.Transport
	in   chan net.Conn
	done chan struct{}
	once sync.Once

	// mu guards captured.
	mu       sync.Mutex
	captured []recorded
}

type recorded struct {
	b      []byte
	remote net.Addr
}

func newTap(nw *heartbeattest.Network, addr string, captured []recorded) (*tap, error) {
	tr, err := nw.NewTransport(addr)
	if err != nil {
		return nil, err
	}
	t := &tap{Transport: tr, in: make(chan net.Conn, 256), done: make(chan struct{}), captured: captured}
	go func() {
		for {
			select {
			case c := <-tr.StreamCh():
				t.in <- &recordingConn{Conn: c, tap: t}
			case <-t.done:
				return
			}
		}
	}()
	return t, nil
}

// Shutdown stops the tap and the transport.
func (t *tap) Shutdown() error {
	t.once.Do(func() { close(t.done) })
	return t.Transport.Shutdown()
}

// StreamCh hands memberlist the recorded streams (and the replays).
func (t *tap) StreamCh() <-chan net.Conn { return t.in }

// recordings returns what was captured so far.
func (t *tap) recordings() []recorded {
	t.mu.Lock()
	defer t.mu.Unlock()
	return append([]recorded(nil), t.captured...)
}

// replay sends every recording to the node again.
func (t *tap) replay(rs []recorded) {
	for _, r := range rs {
		t.in <- &replayConn{r: bytes.NewReader(r.b), remote: r.remote}
	}
}

type recordingConn struct {
	net.Conn
	tap  *tap
	buf  bytes.Buffer
	once sync.Once
}

func (c *recordingConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	c.buf.Write(p[:n])
	return n, err
}

func (c *recordingConn) Close() error {
	c.once.Do(func() {
		c.tap.mu.Lock()
		c.tap.captured = append(c.tap.captured, recorded{b: bytes.Clone(c.buf.Bytes()), remote: c.Conn.RemoteAddr()})
		c.tap.mu.Unlock()
	})
	return c.Conn.Close()
}

// replayConn plays recorded bytes; what the node answers is discarded.
type replayConn struct {
	r      *bytes.Reader
	remote net.Addr
}

func (c *replayConn) Read(p []byte) (int, error) {
	if c.r.Len() == 0 {
		return 0, io.EOF
	}
	return c.r.Read(p)
}
func (c *replayConn) Write(p []byte) (int, error)      { return len(p), nil }
func (c *replayConn) Close() error                     { return nil }
func (c *replayConn) LocalAddr() net.Addr              { return &net.TCPAddr{} }
func (c *replayConn) RemoteAddr() net.Addr             { return c.remote }
func (c *replayConn) SetDeadline(time.Time) error      { return nil }
func (c *replayConn) SetReadDeadline(time.Time) error  { return nil }
func (c *replayConn) SetWriteDeadline(time.Time) error { return nil }

// startTapped runs node self behind a tap holding captured.
func startTapped(t *testing.T, nw *heartbeattest.Network, nodes []NodeSpec, self string, captured []recorded) (*running, *tap) {
	t.Helper()
	var a string
	for _, n := range nodes {
		if n.Name == self {
			a = n.Addresses[0]
		}
	}
	tp, err := newTap(nw, a, captured)
	if err != nil {
		t.Fatal(err)
	}
	logs := &syncBuffer{}
	c, err := New(Config{ClusterName: "test", Self: self, Nodes: nodes, Timing: testTiming(), Keyring: &testKey,
		Logger: slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelInfo})), Transports: []memberlist.NodeAwareTransport{tp}})
	if err != nil {
		t.Fatalf("New(%s) = %v", self, err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	r := &running{Cluster: c, cancel: cancel, done: make(chan error, 1), logs: logs}
	go func() { r.done <- c.Run(ctx) }()
	t.Cleanup(func() {
		r.stop()
		if t.Failed() {
			t.Logf("logs of %s:\n%s", self, logs.String())
		}
	})
	return r, tp
}

// stop stops r (idempotent).
func (r *running) stop() {
	r.cancel()
	err := <-r.done
	r.done <- err
}

// received collects the payloads c delivers within d.
func received(c *Cluster, d time.Duration) []string {
	var out []string
	quiet := time.NewTimer(d)
	defer quiet.Stop()
	for {
		select {
		case m := <-c.Messages():
			out = append(out, string(m.Payload))
		case <-quiet.C:
			return out
		}
	}
}

func sendAndWait(t *testing.T, from *running, to *running, payload string) {
	t.Helper()
	if err := from.SendReliable(context.Background(), to.cfg.Self, []byte(payload)); err != nil {
		t.Fatalf("SendReliable(%s) = %v", payload, err)
	}
	if got := received(to.Cluster, time.Second); len(got) != 1 || got[0] != payload {
		t.Fatalf("%s received %q, want [%q]", to.cfg.Self, got, payload)
	}
}

// The attack of issue #10, on the wire: a host that captured n2's
// incoming encrypted streams replays one from an earlier boot of n1, then
// one of n1's current boot; and, once n2 restarted, all of them. None is
// delivered again.
func TestReplayOnTheWire(t *testing.T) {
	nw := heartbeattest.NewNetwork()
	nodes := specs(2, 1)
	n2, tp := startTapped(t, nw, nodes, "n2", nil)
	n1 := start(t, nw, nodes, "n1", nil)
	waitFor(t, n2.Cluster, 5*time.Second, "all alive", allAlive)
	waitFor(t, n1.Cluster, 5*time.Second, "all alive", allAlive)

	sendAndWait(t, n1, n2, "start vip (boot 1)")
	tp.replay(tp.recordings())
	if got := received(n2.Cluster, time.Second); len(got) != 0 {
		t.Fatalf("after a replay of n2's streams, n2 received %q again, want nothing", got)
	}

	// n1 restarts: boot 2.
	n1.stop()
	n1 = start(t, nw, nodes, "n1", nil)
	boot2 := n1.BootID()
	waitFor(t, n2.Cluster, 5*time.Second, "n1's second boot", func(m Membership) bool {
		x, ok := m.Member("n1")
		return ok && x.State == StateAlive && x.Meta.BootID == boot2
	})
	sendAndWait(t, n1, n2, "stop vip (boot 2)")
	// The old boot's stream first (it used to reset the window), then
	// everything.
	all := tp.recordings()
	tp.replay(all)
	tp.replay(all)
	if got := received(n2.Cluster, time.Second); len(got) != 0 {
		t.Fatalf("after replays of streams from n1's two boots, n2 received %q, want nothing", got)
	}
	if !strings.Contains(n2.logs.String(), replayOldBoot.String()) {
		t.Errorf("n2's log does not say it dropped a message %s", replayOldBoot)
	}

	// n2 restarts: everything captured was addressed to its previous boot.
	n2.stop()
	n2, tp = startTapped(t, nw, nodes, "n2", all)
	waitFor(t, n2.Cluster, 5*time.Second, "all alive", allAlive)
	tp.replay(all)
	if got := received(n2.Cluster, time.Second); len(got) != 0 {
		t.Fatalf("after the restarted n2 got the captured streams, it received %q, want nothing", got)
	}
	if !strings.Contains(n2.logs.String(), replayOtherTarget.String()) {
		t.Errorf("restarted n2's log does not say it dropped a message %s", replayOtherTarget)
	}
	// Normal operation goes on.
	sendAndWait(t, n1, n2, "monitor vip (boot 2)")
}
