//go:build integration

package lab

import (
	"context"
	"slices"
	"testing"
	"time"
)

// TestIntegrationPGPairFailover runs the PostgreSQL pair (synchronous
// mode) through ward daemons in two lab hosts, with a client writing
// through the VIP from a third namespace, and breaks the primary's host
// three ways: power off, link cut, freeze. After each: exactly one
// primary, never two acknowledging writes at once, the VIP on it, writes
// resumed, every acknowledged id present; the broken host comes back as
// a streaming standby (rewound where it diverged).
func TestIntegrationPGPairFailover(t *testing.T) {
	start := time.Now()
	l := newTestLab(t, 2)
	// A pair relaxes synchronous replication while it runs alone: otherwise
	// no write could be acknowledged until the failed host returns.
	e := startPG(t, l, PolicyOptions{Synchronous: true, Relax: true})
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	t.Logf("cluster up, first write acknowledged: %v", time.Since(start).Round(time.Millisecond))

	// 1. Power off the primary's host.
	p := e.primary(ctx)
	e.waitStreaming(ctx, other(p))
	t0 := time.Now()
	if err := l.PowerOff(ctx, p); err != nil {
		t.Fatal(err)
	}
	a, err := e.writer.WaitAckAfter(ctx, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("kill %s: first write through the VIP after %v", l.Name(p), a.At.Sub(t0).Round(time.Millisecond))
	if got := e.primary(ctx); got != other(p) {
		t.Fatalf("primary after killing %s = %s, want %s", l.Name(p), l.Name(got), l.Name(other(p)))
	}
	if h := e.vipHolders(ctx); !slices.Equal(h, []int{other(p)}) {
		t.Errorf("VIP holders after failover = %v, want [%d]", h, other(p))
	}
	if !e.fenced(ctx, other(p), l.Name(p)) {
		t.Errorf("status of %s shows no successful fencing of %s", l.Name(other(p)), l.Name(p))
	}
	e.checkNoLoss(ctx)

	// The old primary comes back: it rejoins as a standby, nothing
	// moves back (stickiness outweighs the location preference).
	e.boot(ctx, p, true)
	e.waitStreaming(ctx, p)
	e.waitSyncStandby(ctx)
	if got := e.primary(ctx); got != other(p) {
		t.Errorf("primary after %s came back = %s, want %s (nothing moves back)", l.Name(p), l.Name(got), l.Name(other(p)))
	}
	t.Logf("%s rejoined as a streaming standby", l.Name(p))

	// 2. Cut the primary's link: one side fences the other; afterwards
	// exactly one primary, never two.
	p = e.primary(ctx)
	t0 = time.Now()
	if err := l.Cut(ctx, p, CutLink); err != nil {
		t.Fatal(err)
	}
	var dead int
	waitFor(t, ctx, "one host powered off by fencing after the cut", func() error {
		for i := 1; i <= 2; i++ {
			if pids, err := Pids(l.NS(i)); err == nil && len(pids) == 0 {
				dead = i
				return nil
			}
		}
		return context.DeadlineExceeded
	})
	t.Logf("cut %s: %s fenced after %v", l.Name(p), l.Name(dead), time.Since(t0).Round(time.Millisecond))
	if err := l.Heal(ctx, p); err != nil {
		t.Fatal(err)
	}
	e.boot(ctx, dead, true)
	e.waitStreaming(ctx, dead)
	if _, err := e.writer.WaitAckAfter(ctx, time.Now()); err != nil {
		t.Fatal(err)
	}
	if got := e.primary(ctx); got != other(dead) {
		t.Errorf("primary after the cut = %s, want the survivor %s", l.Name(got), l.Name(other(dead)))
	}
	e.checkNoLoss(ctx)

	// 3. Freeze the primary: it is fenced; thawed, it does not act as a
	// primary (it is off).
	p = e.primary(ctx)
	e.waitSyncStandby(ctx)
	t0 = time.Now()
	if _, err := l.Freeze(p); err != nil {
		t.Fatal(err)
	}
	a, err = e.writer.WaitAckAfter(ctx, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("freeze %s: first write through the VIP after %v", l.Name(p), a.At.Sub(t0).Round(time.Millisecond))
	if pids, err := Pids(l.NS(p)); err != nil || len(pids) != 0 {
		t.Errorf("frozen %s still has processes %v (%v) after the failover: it was not fenced", l.Name(p), pids, err)
	}
	if _, err := l.Thaw(p); err != nil {
		t.Fatal(err)
	}
	if got := e.primary(ctx); got != other(p) {
		t.Errorf("primary after freezing %s = %s, want %s", l.Name(p), l.Name(got), l.Name(other(p)))
	}
	e.boot(ctx, p, true)
	e.waitStreaming(ctx, p)
	e.checkNoLoss(ctx)
	acks := e.writer.Acks()
	t.Logf("%d writes acknowledged, all present; whole test %v", len(acks), time.Since(start).Round(time.Millisecond))
}
