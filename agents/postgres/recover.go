package postgres

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// clusterState returns the "Database cluster state" that pg_controldata
// reads from the stopped data folder ("shut down", "shut down in
// recovery", "in archive recovery", "in production", ...).
func (r *run) clusterState(ctx context.Context) (string, error) {
	out, _, err := r.tool(ctx, "pg_controldata", nil, "-D", r.cfg.PGData)
	if err != nil {
		return "", fmt.Errorf("read the control file of %s: %w", r.cfg.PGData, err)
	}
	return parseClusterState(out)
}

// parseClusterState finds the cluster state in pg_controldata's output.
func parseClusterState(out string) (string, error) {
	for line := range strings.SplitSeq(out, "\n") {
		k, v, ok := strings.Cut(line, ":")
		if ok && strings.TrimSpace(k) == "Database cluster state" {
			return strings.TrimSpace(v), nil
		}
	}
	return "", errors.New("pg_controldata printed no \"Database cluster state\" line")
}

// finishStandbyRecovery brings a standby that crashed (its control file
// says "in archive recovery" and standby.signal is still there) to a
// clean "shut down in recovery" state by starting it as the standby it
// was and stopping it again. pg_rewind needs a cleanly shut down target;
// left alone it finishes crash recovery itself in single-user mode, which
// PostgreSQL refuses while standby.signal exists ("standby mode is not
// supported by single-user servers"), so a crashed standby could never
// start again. Taking standby.signal away instead would let single-user
// mode write an end-of-recovery checkpoint of its own into WAL that the
// primary does not have. A standby never writes WAL of its own, so the
// restart in recovery is safe whichever primary it points at.
func (r *run) finishStandbyRecovery(ctx context.Context) error {
	if _, err := os.Stat(filepath.Join(r.cfg.PGData, "standby.signal")); err != nil {
		return nil // not a standby: pg_rewind's own crash recovery is right
	}
	state, err := r.clusterState(ctx)
	if err != nil {
		return err
	}
	if state != "in archive recovery" {
		return nil
	}
	r.log.Info("postgres: the standby stopped uncleanly; finishing its crash recovery as a standby before comparing timelines", "pgdata", r.cfg.PGData)
	if err := r.startServer(ctx); err != nil {
		return fmt.Errorf("finish the crash recovery of standby %s: %w", r.cfg.PGData, err)
	}
	if err := r.stopServer(ctx); err != nil {
		return fmt.Errorf("stop standby %s after its crash recovery: %w", r.cfg.PGData, err)
	}
	return nil
}
