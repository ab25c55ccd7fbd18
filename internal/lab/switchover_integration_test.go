//go:build integration

package lab

import (
	"context"
	"fmt"
	"os/exec"
	"slices"
	"strings"
	"testing"
	"time"
)

// wardCLI runs the ward command line against host i's daemon.
func wardCLI(ctx context.Context, l *Lab, i int, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, wardExe, append(args, "--socket", l.Socket(i))...)
	out, err := cmd.CombinedOutput()
	return strings.TrimSpace(string(out)), err
}

// moveTo runs `ward resource move pg-ha NODE` on the first daemon that
// accepts it (the DC, or one that forwards to it).
func (e *pgEnv) moveTo(ctx context.Context, target int) {
	e.t.Helper()
	var errs []string
	for i := 1; i <= e.l.cfg.Nodes; i++ {
		out, err := wardCLI(ctx, e.l, i, "resource", "move", "pg-ha", e.l.Name(target))
		if err == nil {
			return
		}
		errs = append(errs, fmt.Sprintf("%s: %v: %s", e.l.Name(i), err, out))
	}
	e.t.Fatalf("ward resource move pg-ha %s refused everywhere: %s", e.l.Name(target), strings.Join(errs, "; "))
}

// TestIntegrationPGSwitchover: `ward resource move pg-ha NODE` and back,
// in strict synchronous mode with a client writing through the VIP. The
// primary changes twice, the VIP follows it, the old primary streams
// from the new one afterwards, nothing acknowledged is lost and no two
// hosts ever acknowledge writes at once.
func TestIntegrationPGSwitchover(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	l := newTestLab(t, 2)
	e := startPG(t, l, PolicyOptions{Synchronous: true})
	first := e.primary(ctx)
	e.waitSyncStandby(ctx)
	for _, target := range []int{other(first), first} {
		t0 := time.Now()
		e.moveTo(ctx, target)
		waitFor(t, ctx, fmt.Sprintf("%s primary behind the VIP", l.Name(target)), func() error {
			if p := e.primary(ctx); p != target {
				return fmt.Errorf("primary is %s", l.Name(p))
			}
			if h := e.vipHolders(ctx); !slices.Equal(h, []int{target}) {
				return fmt.Errorf("VIP holders %v", h)
			}
			return nil
		})
		a, err := e.writer.WaitAckAfter(ctx, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		if gap := e.writer.maxGap(t0, a.At); gap > 0 {
			t.Logf("switchover to %s: primary and VIP there, writes through the VIP %v after the move; longest write gap %v",
				l.Name(target), a.At.Sub(t0).Round(time.Millisecond), gap.Round(time.Millisecond))
		}
		// The old primary follows the new one as its synchronous standby.
		e.waitSyncStandby(ctx)
		if r, err := e.role(ctx, other(target)); err != nil || r != "standby" {
			t.Errorf("%s after the switchover to %s: %q (%v), want a standby", l.Name(other(target)), l.Name(target), r, err)
		}
	}
	if out, err := wardCLI(ctx, l, 1, "resource", "clear", "pg-ha"); err != nil {
		t.Logf("ward resource clear pg-ha: %v: %s", err, out)
	}
	e.checkNoLoss(ctx)
}

// maxGap returns the longest time without an acknowledged write between
// from and to.
func (w *Writer) maxGap(from, to time.Time) time.Duration {
	var gap time.Duration
	last := from
	for _, a := range w.Acks() {
		if a.At.Before(from) || a.At.After(to) {
			continue
		}
		gap = max(gap, a.At.Sub(last))
		last = a.At
	}
	return max(gap, to.Sub(last))
}
