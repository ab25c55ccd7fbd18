//go:build integration

package lab

// TestIntegrationPGPairRejoin: the powered-off primary of a pair boots
// again and rejoins as a standby; the primary stays where it is. This was a
// known bug with two causes, both fixed: the postgres agent's probe
// answered "failed promoted" on a former primary whose server was down
// (it now answers not running), and the lab policy preferred n1 for the
// Promoted role, which pulled the primary back as soon as n1 caught up
// (the preference is gone, as in the examples).

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
