package heartbeattest

import (
	"io"
	"testing"
	"time"

	"github.com/hashicorp/memberlist"
)

func TestTrafficCounts(t *testing.T) {
	n := NewNetwork()
	a, err := n.NewTransport("10.0.0.1:7946")
	if err != nil {
		t.Fatal(err)
	}
	b, err := n.NewTransport("10.0.0.2:7946")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.WriteToAddress(make([]byte, 10), memberlist.Address{Addr: b.Addr()}); err != nil {
		t.Fatal(err)
	}
	c, err := a.DialAddressTimeout(memberlist.Address{Addr: b.Addr()}, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	in := <-b.StreamCh()
	go io.Copy(io.Discard, in)
	if _, err := c.Write([]byte("hello")); err != nil {
		t.Fatal(err)
	}
	c.Close()
	if got, want := n.Traffic(), (Traffic{Packets: 1, PacketBytes: 10, StreamBytes: 5}); got != want {
		t.Errorf("Traffic() = %+v, want %+v", got, want)
	}
}
