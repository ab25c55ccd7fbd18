//go:build integration && knownbugs

package lab

// KNOWN BUG (reported to the lead, not weakened): run with
// go test -tags 'integration knownbugs' -run Rejoin ./internal/lab
//
// When the powered-off primary of a pair boots again, (1) its probe of
// pg (monitor_0) answers 9 (failed promoted: the agent's state file says
// it was the primary), and the rejoining node, claiming the DC role with
// a higher term, schedules "Promote pg (n1); Demote pg (n2)": the primary
// moves back although stickiness (100) outweighs the location (50); and
// (2) the survivor, which lost the DC role to the higher term and
// re-claimed it for an instant before n1's join reached it, had started
// fencing n1 ("two_node: peer lost"), and that fence, in its 2 s delay,
// is not cancelled when n1 joins: the rebooted n1, by then DC and
// primary, is powered off again. The test stays behind the knownbugs tag
// so that CI runs what passes; it must pass before the tag is removed.
//
// Also seen in two runs at 08:2x on 2026-11-26, after n1 rejoined: the
// test binary itself ended with SIGKILL (go test: "signal: killed"),
// leaving the lab behind (n2 powered off, n1 running); cause not found
// yet. Clean up with: ward lab down --dir /nonexistent --prefix wardlt-

import (
	"context"
	"fmt"
	"testing"
	"time"
)

// TestIntegrationPGPairRejoin: the old primary comes back; it rejoins as
// a streaming standby (rewound: its timeline diverged), nothing moves
// back, it is not fenced again.
func TestIntegrationPGPairRejoin(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	e := startPG(t, newTestLab(t, 2), pairOptions)
	p, s := killPrimary(t, ctx, e)
	e.boot(ctx, p, true)
	e.waitStreaming(ctx, p)
	e.waitSyncStandby(ctx)
	if got := e.primary(ctx); got != s {
		t.Errorf("primary after %s came back = %s, want %s (nothing moves back)", e.l.Name(p), e.l.Name(got), e.l.Name(s))
	}
	// Long enough for a pending fence to fire.
	time.Sleep(4 * time.Second)
	if pids, _ := Pids(e.l.NS(p)); len(pids) == 0 {
		t.Errorf("%s was powered off again after it rejoined", e.l.Name(p))
	}
	e.checkNoLoss(ctx)
}

// waitStreaming waits until host i is a standby receiving WAL.
func (e *pgEnv) waitStreaming(ctx context.Context, i int) {
	e.t.Helper()
	waitFor(e.t, ctx, fmt.Sprintf("%s streaming as a standby", e.l.Name(i)), func() error {
		var st string
		if err := e.query(ctx, i, "SELECT coalesce((SELECT status FROM pg_stat_wal_receiver), 'none')", &st); err != nil {
			return err
		}
		if st != "streaming" {
			return fmt.Errorf("wal receiver %s", st)
		}
		return nil
	})
}
