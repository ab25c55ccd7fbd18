package postgres

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
)

// ErrRewindRefused is returned (wrapped) when the data folder diverged
// from the new primary's timeline and the rewind parameter is not true.
var ErrRewindRefused = errors.New("postgres: rewind refused")

// diverged reads pg_rewind's --dry-run output: true when it would rewind,
// false when "no rewind required", an error for anything else.
func diverged(out string) (bool, string, error) {
	// pg_rewind prints where the timelines forked in both cases; only
	// "no rewind required" says the target's WAL ends before the fork.
	if strings.Contains(out, "no rewind required") {
		return false, "", nil
	}
	for _, line := range strings.Split(out, "\n") {
		if strings.Contains(line, "servers diverged at") {
			return true, strings.TrimSpace(strings.TrimPrefix(line, "pg_rewind: ")), nil
		}
	}
	return false, "", fmt.Errorf("pg_rewind --dry-run said neither \"no rewind required\" nor \"servers diverged\": %s", lastLines(out, 3))
}

// rewindIfNeeded makes the stopped data folder able to follow primary:
// it checkpoints the primary (so its control file shows its new
// timeline), asks pg_rewind --dry-run whether the timelines diverged,
// and rewinds when they did and the policy allows it.
func (r *run) rewindIfNeeded(ctx context.Context, primary peer) error {
	pctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	conn, err := r.connectPeer(pctx, primary, peerTimeout)
	if err != nil {
		cancel()
		return fmt.Errorf("check the timeline against new primary %s: %w", primary.node, err)
	}
	_, err = conn.Exec(pctx, "CHECKPOINT")
	conn.Close(pctx)
	cancel()
	if err != nil {
		return fmt.Errorf("run CHECKPOINT on new primary %s (pg_rewind must see its new timeline; the replication user %s needs pg_checkpoint or superuser): %s",
			primary.node, r.cfg.ReplUser, r.redact(err.Error()))
	}
	if err := r.finishStandbyRecovery(ctx); err != nil {
		return err
	}
	src := "--source-server=" + r.sourceServer(primary.hp)
	if r.cfg.Rewind {
		// Allowed: one pg_rewind run decides and acts ("no rewind
		// required" when the timelines did not diverge).
		out, _, err := r.tool(ctx, "pg_rewind", r.pwEnv(), "-D", r.cfg.PGData, src)
		if err != nil {
			return fmt.Errorf("pg_rewind from new primary %s: %w", primary.node, err)
		}
		if div, where, _ := diverged(out); div {
			r.log.Warn("postgres: rewound the data folder to follow the new primary", "primary", primary.node, "where", where)
		}
		return nil
	}
	out, _, err := r.tool(ctx, "pg_rewind", r.pwEnv(), "--dry-run", "-D", r.cfg.PGData, src)
	if err != nil && strings.Contains(out, "wal_log_hints") {
		// pg_rewind cannot tell without hint bits in WAL. Following a
		// primary is still safe: a diverged standby cannot stream (the
		// server refuses the timeline) and is then never promotable.
		r.log.Warn("postgres: cannot check for divergence (no wal_log_hints or data checksums); starting as a standby anyway", "primary", primary.node)
		return nil
	}
	if err != nil {
		return fmt.Errorf("compare timelines with new primary %s: %w", primary.node, err)
	}
	div, where, err := diverged(out)
	if err != nil {
		return fmt.Errorf("compare timelines with new primary %s: %w", primary.node, err)
	}
	if !div {
		return nil
	}
	return fmt.Errorf("%w: the data folder %s cannot follow new primary %s (%s); rewinding discards the transactions this node wrote after that point and the policy does not allow it (param rewind is false): re-clone it with pg_basebackup, or rewind it by hand (pg_rewind -D %s --source-server=...), or set rewind = \"true\"",
		ErrRewindRefused, r.cfg.PGData, primary.node, where, r.cfg.PGData)
}
