package postgres

import (
	"context"
	"reflect"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
)

// A follower keeps a running standby aimed at the current primary
// between monitors, as Patroni's loop does: when a standby is promoted
// elsewhere, the other standbys must stream from it at once (in
// synchronous mode no commit is acknowledged before one does), without
// waiting for their next monitor or for their WAL receiver to notice
// that the old primary is gone (wal_receiver_timeout).
//
// Recurring monitors of a standby (and a start or demote that leaves
// one running) start one and extend its lease; it
// ends when the lease runs out (monitors stopped: the resource was
// stopped, or the node stopped managing it), when the server is no
// longer a standby, or when any other action on the resource begins
// (the action waits for it to end). Every followInterval it asks every
// peer, over connections it keeps open (one goroutine per peer, so a
// dead peer delays nothing), whether it is a primary; when exactly one
// answered so within the last peerFresh, it aims primary_conninfo at it (a reload: PostgreSQL
// 13 and later restart the WAL receiver on the new setting). Following
// a primary never makes a server writable, so it needs no coordination
// with the cluster beyond that.
const followInterval = 100 * time.Millisecond

// follower is one resource's follower goroutine.
type follower struct {
	cancel context.CancelFunc
	done   chan struct{}
	cfg    Config // the parameters it runs with

	// mu guards until.
	mu    sync.Mutex
	until time.Time
}

func (f *follower) running() bool {
	select {
	case <-f.done:
		return false
	default:
		return true
	}
}

func (f *follower) extend(t time.Time) {
	f.mu.Lock()
	if t.After(f.until) {
		f.until = t
	}
	f.mu.Unlock()
}

func (f *follower) expired(now time.Time) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return now.After(f.until)
}

// followKey names r's follower: the resource and its data folder (one
// agent may drive several instances, as in tests).
func (r *run) followKey() string { return r.rsc + "\x00" + r.cfg.PGData }

// stopFollower ends the follower key names, if any, and waits for it.
func (a *Agent) stopFollower(key string) {
	a.mu.Lock()
	f := a.followers[key]
	delete(a.followers, key)
	a.mu.Unlock()
	if f != nil {
		f.cancel()
		<-f.done
	}
}

// follow starts r's follower, or extends its lease, until now + lease.
// A follower started with other parameters (the policy changed) is
// replaced.
func (a *Agent) follow(r *run, lease time.Duration) {
	until := a.clk.Now().Add(lease)
	key := r.followKey()
	a.mu.Lock()
	f := a.followers[key]
	if f != nil && f.running() && reflect.DeepEqual(f.cfg, r.cfg) {
		f.extend(until)
		a.mu.Unlock()
		return
	}
	a.mu.Unlock()
	if f != nil {
		a.stopFollower(key) // the loop takes a.mu (confLock): not while holding it
	}
	ctx, cancel := context.WithCancel(context.Background())
	f = &follower{cancel: cancel, done: make(chan struct{}), until: until, cfg: r.cfg}
	a.mu.Lock()
	a.followers[key] = f
	a.mu.Unlock()
	rr := *r
	rr.probe = false
	go rr.followLoop(ctx, f)
}

// followAfterActionLease is how long a follower started by a start or
// a demote runs before the standby's recurring monitor extends it.
const followAfterActionLease = 20 * time.Second

// followAfterAction starts r's follower after a start or demote left a
// standby running.
func (r *run) followAfterAction() {
	if len(r.cfg.NodeHosts) > 0 {
		r.a.follow(r, followAfterActionLease)
	}
}

// confLock returns the lock that serializes rewrites of pgdata's
// postgresql.auto.conf between a follower and the resource's actions.
func (a *Agent) confLock(pgdata string) *sync.Mutex {
	a.mu.Lock()
	defer a.mu.Unlock()
	m := a.confLocks[pgdata]
	if m == nil {
		m = &sync.Mutex{}
		a.confLocks[pgdata] = m
	}
	return m
}

func (r *run) followLoop(ctx context.Context, f *follower) {
	defer close(f.done)
	ctx, cancel := context.WithCancel(ctx)
	peers := r.cfg.peers(r.node)
	views := make([]peerView, len(peers))
	var wg sync.WaitGroup
	// The peer watchers end with ctx: cancel it before waiting for them
	// (the loop also returns on its own, when the lease runs out).
	defer func() {
		cancel()
		wg.Wait()
	}()
	for i, p := range peers {
		wg.Go(func() { r.watchPeer(ctx, p, &views[i]) })
	}
	var local *pgx.Conn
	defer func() {
		if local != nil {
			local.Close(context.Background())
		}
	}()
	var wake wakeState
	t := r.a.clk.NewTimer(followInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C():
			t.Reset(followInterval)
		}
		now := r.a.clk.Now()
		if f.expired(now) {
			return
		}
		var prims []peer
		for i := range views {
			if views[i].primarySince(now.Add(-peerFresh)) {
				prims = append(prims, peers[i])
			}
		}
		if len(prims) != 1 {
			continue
		}
		if local == nil {
			lctx, cancel := context.WithTimeout(ctx, time.Second)
			c, err := r.connectLocal(lctx)
			cancel()
			if err != nil {
				continue
			}
			local = c
		}
		var inRecovery bool
		qctx, cancel := context.WithTimeout(ctx, time.Second)
		err := local.QueryRow(qctx, "SELECT pg_is_in_recovery()").Scan(&inRecovery)
		cancel()
		if err != nil {
			local.Close(context.Background())
			local = nil
			continue
		}
		if !inRecovery {
			return // a primary now: nothing to follow
		}
		if err := r.setConninfo(ctx, local, prims[0]); err != nil && ctx.Err() == nil {
			r.log.Warn("postgres: cannot aim the standby at the primary", "primary", prims[0].node, "err", err)
			continue
		}
		r.wakeReceiver(ctx, local, prims[0], &wake)
	}
}

// wakeFirst and wakeMax bound the gaps between wakeReceiver's wakes
// while a standby stays disconnected: the gap doubles from wakeFirst
// after each wake, up to wakeMax, and starts over once it streams.
const (
	wakeFirst = time.Second
	wakeMax   = 32 * time.Second
)

// wakeState is wakeReceiver's memory between follower rounds.
type wakeState struct {
	last time.Time     // the last wake; zero while streaming
	gap  time.Duration // before the next wake
}

// wakeReceiver makes a standby whose WAL receiver is not streaming try
// its primary again now. After its connection fails, PostgreSQL's
// startup process sleeps out wal_retrieve_retry_interval (5 s by
// default) before the next try, however soon the primary is back: after
// a crashed primary restarted in place, its standbys came back up to 5 s
// later, and in synchronous mode no commit was acknowledged until one
// did (lab soak, kill-postgres). The follower calls it only while the
// primary it aims at answers as one; a reload (SIGHUP) wakes the sleep
// and changes nothing else. A standby that stays disconnected (it
// diverged, say; its monitor reports why) is woken less and less often.
func (r *run) wakeReceiver(ctx context.Context, local *pgx.Conn, primary peer, w *wakeState) {
	now := r.a.clk.Now()
	if !w.last.IsZero() && now.Sub(w.last) < w.gap {
		return
	}
	qctx, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	var streaming bool
	if err := local.QueryRow(qctx, "SELECT EXISTS (SELECT 1 FROM pg_stat_wal_receiver WHERE status = 'streaming')").Scan(&streaming); err != nil {
		return
	}
	if streaming {
		*w = wakeState{}
		return
	}
	first := w.last.IsZero()
	switch {
	case first:
		w.gap = wakeFirst
	case w.gap < wakeMax:
		w.gap *= 2
	}
	w.last = now
	if _, err := local.Exec(qctx, "SELECT pg_reload_conf()"); err != nil {
		return
	}
	if first {
		r.log.Info("postgres: woke the WAL receiver to reconnect to the primary now", "primary", primary.node)
	}
}

// peerFresh is how recent a peer's answer must be to count.
const peerFresh = time.Second

// peerQueryTimeout bounds a query on an open connection to a peer: a
// live server answers a trivial query in milliseconds.
const peerQueryTimeout = 400 * time.Millisecond

// peerView is a follower's latest answer from one peer.
type peerView struct {
	mu      sync.Mutex
	at      time.Time // when it last answered
	primary bool
}

func (v *peerView) set(primary bool, at time.Time) {
	v.mu.Lock()
	v.primary, v.at = primary, at
	v.mu.Unlock()
}

// primarySince reports whether the peer answered as a primary at or
// after t.
func (v *peerView) primarySince(t time.Time) bool {
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.primary && !v.at.Before(t)
}

// watchPeer asks peer p every followInterval, over a connection it
// keeps open, whether it is a primary, and records the answers in v. A
// peer that does not answer never holds up the others.
func (r *run) watchPeer(ctx context.Context, p peer, v *peerView) {
	var conn *pgx.Conn
	defer func() {
		if conn != nil {
			conn.Close(context.Background())
		}
	}()
	t := r.a.clk.NewTimer(0)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C():
			t.Reset(followInterval)
		}
		var err error
		if conn == nil {
			to := r.peerTimeout(p)
			cctx, cancel := context.WithTimeout(ctx, to)
			conn, err = r.connectPeer(cctx, p, to)
			cancel()
		}
		if err == nil {
			qctx, cancel := context.WithTimeout(ctx, peerQueryTimeout)
			var primary bool
			primary, _, err = queryPeer(qctx, conn)
			cancel()
			if err == nil {
				v.set(primary, r.a.clk.Now())
			} else {
				conn.Close(context.Background())
				conn = nil
			}
		}
		if ctx.Err() != nil {
			return
		}
		r.a.health.mark(p.addr(), err == nil, r.a.clk.Now())
	}
}
