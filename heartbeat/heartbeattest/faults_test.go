package heartbeattest

import (
	"testing"
	"time"

	"github.com/hashicorp/memberlist"
)

func TestLinkFaultsLossAndDuplicate(t *testing.T) {
	nw := NewNetwork()
	a, _ := nw.NewTransport("10.0.0.1:1")
	b, _ := nw.NewTransport("10.0.0.2:1")
	nw.SetLinkFaults(LinkFaults{Loss: 1, Seed: 1})
	for range 100 {
		if _, err := a.WriteToAddress([]byte("x"), memberlist.Address{Addr: b.Addr()}); err != nil {
			t.Fatal(err)
		}
	}
	if n := len(b.PacketCh()); n != 0 {
		t.Errorf("packets delivered with loss 1 = %d, want 0", n)
	}
	nw.SetLinkFaults(LinkFaults{Duplicate: 1, Seed: 1})
	if _, err := a.WriteToAddress([]byte("x"), memberlist.Address{Addr: b.Addr()}); err != nil {
		t.Fatal(err)
	}
	if n := len(b.PacketCh()); n != 2 {
		t.Errorf("packets delivered with duplicate 1 = %d, want 2", n)
	}
	nw.SetLinkFaults(LinkFaults{})
	if _, err := a.WriteToAddress([]byte("x"), memberlist.Address{Addr: b.Addr()}); err != nil {
		t.Fatal(err)
	}
	if n := len(b.PacketCh()); n != 3 {
		t.Errorf("packets after clearing faults = %d, want 3", n)
	}
}

func TestLinkFaultsDelayAndCutInFlight(t *testing.T) {
	nw := NewNetwork()
	a, _ := nw.NewTransport("10.0.0.1:1")
	b, _ := nw.NewTransport("10.0.0.2:1")
	nw.SetLinkFaults(LinkFaults{MaxDelay: 20 * time.Millisecond, Seed: 3})
	if _, err := a.WriteToAddress([]byte("late"), memberlist.Address{Addr: b.Addr()}); err != nil {
		t.Fatal(err)
	}
	select {
	case p := <-b.PacketCh():
		if string(p.Buf) != "late" {
			t.Errorf("delayed packet = %q, want %q", p.Buf, "late")
		}
	case <-time.After(5 * time.Second):
		t.Fatal("delayed packet never arrived")
	}
	// A packet in flight when the link is cut is lost.
	nw.SetLinkFaults(LinkFaults{MaxDelay: time.Hour, Seed: 3})
	if _, err := a.WriteToAddress([]byte("cut"), memberlist.Address{Addr: b.Addr()}); err != nil {
		t.Fatal(err)
	}
	nw.Cut(a.Addr(), b.Addr())
	if n := len(b.PacketCh()); n != 0 {
		t.Errorf("packets delivered at once with a 1 h delay = %d, want 0", n)
	}
}
