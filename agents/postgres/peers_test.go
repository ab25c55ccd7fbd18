package postgres

import (
	"testing"
	"time"

	"github.com/ward-ha/ward/internal/clock/clocktest"
)

// A peer the cluster named down (meta down_nodes) or that failed within
// recentFailure gets the short timeout; any other the long one.
func TestPeerTimeout(t *testing.T) {
	clk := clocktest.NewFake(time.Unix(1767225600, 0))
	a := New(Options{Clock: clk})
	n1 := peer{node: "n1", hp: HostPort{Host: "10.0.0.1", Port: 5432}}
	n2 := peer{node: "n2", hp: HostPort{Host: "10.0.0.2", Port: 5432}}
	n3 := peer{node: "n3", hp: HostPort{Host: "10.0.0.3", Port: 5432}}
	r := &run{a: a, down: nodeSet(" n1 ,, ")}
	a.health.mark(n2.addr(), false, clk.Now())
	a.health.mark(n3.addr(), false, clk.Now().Add(-recentFailure-time.Second))
	for _, tc := range []struct {
		p    peer
		want time.Duration
	}{{n1, peerTimeoutFailed}, {n2, peerTimeoutFailed}, {n3, peerTimeout}} {
		if got := r.peerTimeout(tc.p); got != tc.want {
			t.Errorf("peerTimeout(%s) = %v, want %v", tc.p.node, got, tc.want)
		}
	}
	if got := nodeSet(""); got != nil {
		t.Errorf(`nodeSet("") = %v, want nil`, got)
	}
}
