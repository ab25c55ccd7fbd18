//go:build integration

package lab

import (
	"context"
	"slices"
	"testing"
	"time"
)

// The end-to-end tests run PostgreSQL (synchronous mode) through ward
// daemons in lab hosts, with a client writing through the VIP from a
// namespace of its own and a watcher asking every host's PostgreSQL,
// through its unix socket, whether it is a primary and acknowledges
// writes. After every failure: exactly one primary, never two
// acknowledging writes at once, the VIP on it, writes resumed, every
// acknowledged id present.

// pairOptions relax synchronous replication while a pair runs alone:
// otherwise no write could be acknowledged until the failed host returns.
var pairOptions = PolicyOptions{Synchronous: true, Relax: true}

// killPrimary powers the primary's host off and checks the failover.
func killPrimary(t *testing.T, ctx context.Context, e *pgEnv) (victim, survivor int) {
	t.Helper()
	p := e.primary(ctx)
	e.waitSyncStandby(ctx)
	t0 := time.Now()
	if err := e.l.PowerOff(ctx, p); err != nil {
		t.Fatal(err)
	}
	a, err := e.writer.WaitAckAfter(ctx, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("power off %s: first write through the VIP %v later", e.l.Name(p), a.At.Sub(t0).Round(time.Millisecond))
	s := e.primary(ctx)
	if s == p {
		t.Fatalf("primary after powering off %s is still %s", e.l.Name(p), e.l.Name(p))
	}
	if h := e.vipHolders(ctx); !slices.Equal(h, []int{s}) {
		t.Errorf("VIP holders after failover = %v, want [%d]", h, s)
	}
	if !e.fenced(ctx, s, e.l.Name(p)) {
		t.Errorf("status of %s shows no successful fencing of %s", e.l.Name(s), e.l.Name(p))
	}
	e.checkNoLoss(ctx)
	return p, s
}

// TestIntegrationPGPairKillPrimary: the primary's host is powered off;
// it is fenced, the standby promoted, the VIP moves, writes resume and
// nothing acknowledged is lost.
func TestIntegrationPGPairKillPrimary(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	e := startPG(t, newTestLab(t, 2), pairOptions)
	killPrimary(t, ctx, e)
}

// TestIntegrationPGTrioKillPrimary: three hosts, strict synchronous
// mode (no relax: a standby is left to acknowledge); the primary's host
// is powered off, the most advanced standby takes over, nothing is lost.
func TestIntegrationPGTrioKillPrimary(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	e := startPG(t, newTestLab(t, 3), PolicyOptions{Synchronous: true})
	killPrimary(t, ctx, e)
}

// TestIntegrationPGPairCutLink: the primary's cable is pulled. Each side
// sees the other die and fences it; n1's 5 s device delay lets the primary
// (n1) win. Exactly one primary afterwards, never two at once; once the
// link is back, writes go on through the VIP and nothing is lost.
func TestIntegrationPGPairCutLink(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	l := newTestLab(t, 2)
	e := startPG(t, l, pairOptions)
	p := e.primary(ctx)
	e.waitSyncStandby(ctx)
	t0 := time.Now()
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
	t.Logf("cut %s: %s fenced %v later", l.Name(p), l.Name(dead), time.Since(t0).Round(time.Millisecond))
	if err := l.Heal(ctx, p); err != nil {
		t.Fatal(err)
	}
	a, err := e.writer.WaitAckAfter(ctx, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("writes through the VIP again %v after the cut", a.At.Sub(t0).Round(time.Millisecond))
	if got := e.primary(ctx); got != other(dead) {
		t.Errorf("primary after the cut = %s, want the survivor %s", l.Name(got), l.Name(other(dead)))
	}
	if pids, _ := Pids(l.NS(dead)); len(pids) != 0 {
		t.Errorf("fenced %s runs %v after the cut", l.Name(dead), pids)
	}
	e.checkNoLoss(ctx)
}

// TestIntegrationPGPairFreeze: every process of the primary's host is
// stopped (a hung kernel) for up to 20 s. The standby's side fences it
// and takes over; thawed, the old primary does not act as a primary (it
// was powered off).
func TestIntegrationPGPairFreeze(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	l := newTestLab(t, 2)
	e := startPG(t, l, pairOptions)
	p := e.primary(ctx)
	e.waitSyncStandby(ctx)
	t0 := time.Now()
	if _, err := l.Freeze(p); err != nil {
		t.Fatal(err)
	}
	fctx, fcancel := context.WithTimeout(ctx, 20*time.Second)
	// Acknowledgements in flight as the host froze arrive a moment later.
	a, err := e.writer.WaitAckAfter(fctx, time.Now().Add(100*time.Millisecond))
	fcancel()
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("freeze %s: first write through the VIP %v later", l.Name(p), a.At.Sub(t0).Round(time.Millisecond))
	if pids, err := Pids(l.NS(p)); err != nil || len(pids) != 0 {
		t.Errorf("frozen %s still has processes %v (%v) after the failover: it was not fenced", l.Name(p), pids, err)
	}
	if _, err := l.Thaw(p); err != nil {
		t.Fatal(err)
	}
	if got := e.primary(ctx); got != other(p) {
		t.Errorf("primary after freezing %s = %s, want %s", l.Name(p), l.Name(got), l.Name(other(p)))
	}
	e.checkNoLoss(ctx)
}
