package postgres

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/ward-ha/ward/resources"
)

// catchUpTimeout bounds how long a promote waits to fetch, from a more
// advanced standby, the WAL this standby lacks.
const catchUpTimeout = 5 * time.Second

// beforePromote checks, right before pg_promote, what only the peers
// can tell, asking all of them at once (a peer that does not answer
// within the peer timeout is down or cut off, and fenced by the cluster
// before it recovers anything: it is skipped):
//   - no peer answers as a primary (two primaries would diverge);
//   - this standby is promotable (its score is not -INFINITY);
//   - no live standby is ahead of this one. The scheduler chose this
//     node by scores a monitor interval old; if another standby received
//     more WAL from the dead primary, this one fetches it from that
//     standby first (cascading replication), so the promoted server has
//     everything any survivor has and every survivor can follow it.
//
// ok false: refuse, with the outcome to report.
func (r *run) beforePromote(ctx context.Context, conn *pgx.Conn, rec record) (resources.Outcome, bool) {
	t0 := r.a.clk.Now()
	peers := r.probePeers(ctx)
	r.log.Info("postgres: peers checked before promoting", "took", r.a.clk.Now().Sub(t0).Round(time.Millisecond), "peers", peerSummary(peers))
	for _, p := range peers {
		if p.err == nil && p.primary {
			return r.fail(resources.ErrGeneric, "promote: refusing: node %s already answers as a primary; two primaries would diverge", p.node), false
		}
	}
	st, err := readStandby(ctx, conn)
	if err != nil {
		return r.fail(resources.ErrGeneric, "promote: %v", err), false
	}
	if score, why := standbyScore(st, rec, r.a.clk.Now(), r.cfg.MaxLag, r.cfg.StaleAfter); score == NotPromotable {
		return r.fail(resources.ErrGeneric, "promote: refusing: this standby is not promotable: %s", why), false
	}
	var ahead *peerState
	for i, p := range peers {
		if p.err == nil && p.pos > st.position() && (ahead == nil || p.pos > ahead.pos) {
			ahead = &peers[i]
		}
	}
	if ahead == nil {
		return resources.Outcome{}, true
	}
	r.log.Info("postgres: another standby is ahead; fetching its WAL before promoting", "peer", ahead.node, "peer_position", ahead.pos, "position", st.position())
	if err := r.catchUp(ctx, conn, *ahead); err != nil {
		o := r.fail(resources.ErrGeneric, "promote: refusing: node %s has WAL up to %s and this standby only up to %s, and fetching the rest failed: %v; promote %s instead",
			ahead.node, ahead.pos, st.position(), err, ahead.node)
		o.Attributes = r.attrs(strconv.Itoa(ScoreWorst)) // below the standby that is ahead
		return o, false
	}
	return resources.Outcome{}, true
}

// catchUp aims this standby at peer p (a standby) and waits until it
// has received everything p had.
func (r *run) catchUp(ctx context.Context, conn *pgx.Conn, p peerState) error {
	if err := r.setConninfo(ctx, conn, p.peer); err != nil {
		return err
	}
	cctx, cancel := context.WithTimeout(ctx, catchUpTimeout)
	defer cancel()
	for {
		st, err := readStandby(cctx, conn)
		if err == nil && st.position() >= p.pos {
			r.log.Info("postgres: caught up with the standby that was ahead", "peer", p.node, "position", st.position())
			return nil
		}
		select {
		case <-cctx.Done():
			if err == nil {
				err = fmt.Errorf("received up to %s within %v", st.position(), catchUpTimeout)
			}
			return err
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// promoteResignal is how long pgPromote waits for the server to leave
// recovery before it signals the promotion again.
const promoteResignal = 100 * time.Millisecond

// pgPromote asks the server to promote itself and waits until it
// leaves recovery (polling is finer than pg_promote's own wait, which
// checks every 100 ms).
//
// While the server is still in recovery it repeats the request every
// promoteResignal. PostgreSQL (15 at least) can take a promote request
// while its WAL receiver is failing and then sleep out the rest of
// wal_retrieve_retry_interval (5 s by default) before it acts on it:
// the request was consumed before the sleep, so nothing wakes it. A
// second signal sets the startup process's latch and ends the sleep.
// It is harmless otherwise: the promotion is already decided, and the
// promote file a late request leaves is removed once it is done (the
// postmaster would remove it at its next start anyway).
func (r *run) pgPromote(ctx context.Context, conn *pgx.Conn) error {
	var ok bool
	if err := conn.QueryRow(ctx, "SELECT pg_promote(false)").Scan(&ok); err != nil {
		return fmt.Errorf("pg_promote(): %s", r.redact(err.Error()))
	}
	if !ok {
		return fmt.Errorf("pg_promote() could not signal the server (see %s)", r.cfg.LogFile)
	}
	secs := secondsLeft(ctx, 2*time.Second, 1, 60)
	pctx, cancel := context.WithTimeout(ctx, time.Duration(secs)*time.Second)
	defer cancel()
	resignals, err := awaitPromotion(pctx, r.a.clk.Now,
		func(ctx context.Context) (bool, error) {
			var in bool
			err := conn.QueryRow(ctx, "SELECT pg_is_in_recovery()").Scan(&in)
			return in, err
		},
		func(ctx context.Context) error {
			_, err := conn.Exec(ctx, "SELECT pg_promote(false)")
			return err
		})
	if resignals > 0 && err == nil {
		// A request sent after the promotion began leaves its file
		// behind; remove it now rather than at the next start.
		_ = os.Remove(filepath.Join(r.cfg.PGData, "promote"))
		r.log.Info("postgres: promotion needed the request signalled again", "times", resignals)
	}
	if err != nil {
		return fmt.Errorf("the promotion did not finish within %d s (last error: %s; see %s)", secs, r.redact(err.Error()), r.cfg.LogFile)
	}
	return nil
}

// awaitPromotion polls inRecovery every 10 ms until the server has left
// recovery, and calls signal again each time promoteResignal passed
// without that (see pgPromote). It returns how many times it signalled,
// and ctx's error, or the last poll's, if the server never left
// recovery.
func awaitPromotion(ctx context.Context, now func() time.Time, inRecovery func(context.Context) (bool, error), signal func(context.Context) error) (int, error) {
	signaled := now()
	resignals := 0
	for {
		in, err := inRecovery(ctx)
		if err == nil && !in {
			return resignals, nil
		}
		if err == nil && now().Sub(signaled) >= promoteResignal {
			// An error here is the server leaving recovery between the
			// two queries ("recovery is not in progress"): the next
			// poll sees it.
			_ = signal(ctx)
			signaled = now()
			resignals++
		}
		select {
		case <-ctx.Done():
			if err == nil {
				err = ctx.Err()
			}
			return resignals, err
		case <-time.After(10 * time.Millisecond):
		}
	}
}

// peerSummary says what each peer answered, for the log.
func peerSummary(ps []peerState) string {
	var b strings.Builder
	for i, p := range ps {
		if i > 0 {
			b.WriteString(", ")
		}
		switch {
		case p.err != nil:
			b.WriteString(p.node + ": unreachable")
		case p.primary:
			b.WriteString(p.node + ": primary")
		default:
			b.WriteString(p.node + ": standby at " + p.pos.String())
		}
	}
	return b.String()
}
