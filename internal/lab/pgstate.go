package lab

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// QueryRow runs a one-row query on host i's PostgreSQL through its unix
// socket and scans the row into dst.
func (l *Lab) QueryRow(ctx context.Context, i int, sql string, dst ...any) error {
	cfg, err := l.LocalConfig(i)
	if err != nil {
		return err
	}
	qctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	conn, err := pgx.ConnectConfig(qctx, cfg)
	if err != nil {
		return err
	}
	defer conn.Close(context.Background())
	return conn.QueryRow(qctx, sql).Scan(dst...)
}

// Primaries lists the hosts whose PostgreSQL answers
// pg_is_in_recovery() = false.
func (l *Lab) Primaries(ctx context.Context) []int {
	var ps []int
	for i := 1; i <= l.cfg.Nodes; i++ {
		var rec bool
		if l.QueryRow(ctx, i, "SELECT pg_is_in_recovery()", &rec) == nil && !rec {
			ps = append(ps, i)
		}
	}
	return ps
}

// WaitSyncPrimary waits until exactly one host is a primary and it has
// a streaming synchronous standby, and returns that primary.
func (l *Lab) WaitSyncPrimary(ctx context.Context) (int, error) {
	var last string
	for {
		ps := l.Primaries(ctx)
		if len(ps) == 1 {
			var n int
			err := l.QueryRow(ctx, ps[0], "SELECT count(*) FROM pg_stat_replication WHERE sync_state IN ('sync','quorum') AND state = 'streaming'", &n)
			if err == nil && n > 0 {
				return ps[0], nil
			}
			last = fmt.Sprintf("primary %s has no streaming synchronous standby (%v)", l.Name(ps[0]), err)
		} else {
			last = fmt.Sprintf("primaries %v", ps)
		}
		select {
		case <-ctx.Done():
			return 0, fmt.Errorf("lab: waiting for a primary with a synchronous standby: %w (%s)", ctx.Err(), last)
		case <-time.After(100 * time.Millisecond):
		}
	}
}
