package postgres

import (
	"context"
	"fmt"
	"net"
	"strconv"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
)

// Peer check timeouts. A peer that answers (a live server on an open
// connection) does so in milliseconds; one that is powered off or cut
// off never answers, and waiting for it is pure failover time. A peer
// that failed within recentFailure gets the short timeout: it is most
// likely the node the cluster just fenced. So does a peer the cluster
// named down when it sent the action (meta down_nodes): lost and fenced,
// or offline. It is still asked, as a second line against a live
// primary; from a node that can reach it, a live server answers in
// milliseconds.
const (
	peerTimeout       = 1500 * time.Millisecond
	peerTimeoutFailed = 150 * time.Millisecond
	recentFailure     = 5 * time.Second
)

// peerHealth remembers, per peer address, when a connection or query to
// it last failed (shared by the agent's actions and followers).
type peerHealth struct {
	mu   sync.Mutex
	fail map[string]time.Time
}

func (h *peerHealth) mark(addr string, ok bool, now time.Time) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if ok {
		delete(h.fail, addr)
		return
	}
	if h.fail == nil {
		h.fail = map[string]time.Time{}
	}
	h.fail[addr] = now
}

// failedSince reports whether addr failed at or after t.
func (h *peerHealth) failedSince(addr string, t time.Time) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	f, ok := h.fail[addr]
	return ok && !f.Before(t)
}

func (p peer) addr() string { return net.JoinHostPort(p.hp.Host, strconv.Itoa(p.hp.Port)) }

// peerState is what one peer's server answered.
type peerState struct {
	peer
	err     error // nil: it answered
	primary bool  // pg_is_in_recovery() = false
	pos     LSN   // a standby's received or replayed position, the greater
}

// peerQuery reads a peer's role and, for a standby, its WAL position.
const peerQuery = `SELECT pg_is_in_recovery(),
	COALESCE(pg_last_wal_receive_lsn()::text, ''), COALESCE(pg_last_wal_replay_lsn()::text, '')`

// queryPeer asks one peer over conn.
func queryPeer(ctx context.Context, conn *pgx.Conn) (primary bool, pos LSN, err error) {
	var inRecovery bool
	var rcv, rpl string
	if err := conn.QueryRow(ctx, peerQuery).Scan(&inRecovery, &rcv, &rpl); err != nil {
		return false, 0, err
	}
	a, err1 := parseOptLSN(rcv)
	b, err2 := parseOptLSN(rpl)
	if err1 != nil || err2 != nil {
		return false, 0, fmt.Errorf("bad WAL position %q / %q", rcv, rpl)
	}
	return !inRecovery, max(a, b), nil
}

// probePeers asks every peer at once what it is, each within its
// timeout (the short one for a peer that failed recently), and returns
// the answers in peer order. A peer that does not answer in time has err
// set: it is down, or cut off, and the cluster's fencing deals with it.
func (r *run) probePeers(ctx context.Context) []peerState {
	peers := r.cfg.peers(r.node)
	out := make([]peerState, len(peers))
	var wg sync.WaitGroup
	for i, p := range peers {
		out[i].peer = p
		to := r.peerTimeout(p)
		wg.Go(func() {
			pctx, cancel := context.WithTimeout(ctx, to)
			defer cancel()
			conn, err := r.connectPeer(pctx, p, to)
			if err == nil {
				out[i].primary, out[i].pos, err = queryPeer(pctx, conn)
				conn.Close(pctx)
				if err != nil {
					err = fmt.Errorf("ask node %s: %s", p.node, r.redact(err.Error()))
				}
			}
			out[i].err = err
			r.a.health.mark(p.addr(), err == nil, r.a.clk.Now())
		})
	}
	wg.Wait()
	for _, s := range out {
		if s.err != nil {
			r.log.Debug("postgres: peer unreachable", "peer", s.node, "err", s.err)
		}
	}
	return out
}

// peerTimeout is how long probePeers waits for p: short for a peer the
// cluster named down or that failed recently, long otherwise.
func (r *run) peerTimeout(p peer) time.Duration {
	if r.down[p.node] || r.a.health.failedSince(p.addr(), r.a.clk.Now().Add(-recentFailure)) {
		return peerTimeoutFailed
	}
	return peerTimeout
}

// findPrimaries asks every peer whether it is a primary and returns the
// ones that are. Unreachable peers are skipped.
func (r *run) findPrimaries(ctx context.Context) []peer {
	var out []peer
	for _, s := range r.probePeers(ctx) {
		if s.err == nil && s.primary {
			out = append(out, s.peer)
		}
	}
	return out
}
