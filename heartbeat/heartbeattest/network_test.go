package heartbeattest

import (
	"io"
	"testing"
	"time"

	"github.com/hashicorp/memberlist"
)

func TestNetworkPacketsAndCuts(t *testing.T) {
	nw := NewNetwork()
	a, _ := nw.NewTransport("10.0.0.1:1")
	b, _ := nw.NewTransport("10.0.0.2:1")
	if _, err := nw.NewTransport("10.0.0.1:1"); err == nil {
		t.Fatalf("NewTransport(duplicate) = nil error, want one")
	}
	send := func(from *Transport, to string) bool {
		from.WriteTo([]byte("x"), to)
		select {
		case p := <-b.PacketCh():
			return string(p.Buf) == "x" && p.From.String() == from.Addr()
		case p := <-a.PacketCh():
			return string(p.Buf) == "x" && p.From.String() == from.Addr()
		default:
			return false
		}
	}
	if !send(a, b.Addr()) {
		t.Fatalf("packet a->b not delivered")
	}
	nw.CutOneWay(a.Addr(), b.Addr())
	if send(a, b.Addr()) {
		t.Errorf("packet a->b delivered across a one-way cut")
	}
	if !send(b, a.Addr()) {
		t.Errorf("packet b->a not delivered with only a->b cut")
	}
	if _, err := a.DialTimeout(b.Addr(), time.Second); err == nil {
		t.Errorf("dial a->b across a one-way cut = nil error, want refused")
	}
	nw.HealAll()
	nw.Isolate(b.Addr())
	if send(a, b.Addr()) {
		t.Errorf("packet to an isolated address delivered")
	}
	nw.Heal(b.Addr())
	if !send(a, b.Addr()) {
		t.Errorf("packet not delivered after heal")
	}
	b.Shutdown()
	if send(a, b.Addr()) {
		t.Errorf("packet delivered to a shut down transport")
	}
}

func TestNetworkStreams(t *testing.T) {
	nw := NewNetwork()
	a, _ := nw.NewTransport("10.0.0.1:1")
	b, _ := nw.NewTransport("10.0.0.2:1")
	c, err := a.DialAddressTimeout(memberlist.Address{Addr: b.Addr()}, time.Second)
	if err != nil {
		t.Fatalf("dial = %v", err)
	}
	srv := <-b.StreamCh()
	if srv.RemoteAddr().String() != a.Addr() || c.RemoteAddr().String() != b.Addr() {
		t.Errorf("stream addresses = %v / %v, want %s / %s", srv.RemoteAddr(), c.RemoteAddr(), a.Addr(), b.Addr())
	}
	go func() { c.Write([]byte("hello")); c.Close() }()
	got, _ := io.ReadAll(srv)
	if string(got) != "hello" {
		t.Errorf("stream read %q, want hello", got)
	}
}
