package lab

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
)

// keptAcks is how many acknowledged probe writes per host the Watcher
// compares new ones against (a few seconds of probes).
const keptAcks = 64

// Watcher asks every host's PostgreSQL, through its unix socket (so
// network cuts do not blind it), whether it is a primary
// (pg_is_in_recovery() false) and whether it acknowledges a write, every
// interval, and records every host that did.
type Watcher struct {
	l        *Lab
	interval time.Duration
	timeout  time.Duration

	// mu guards the following.
	mu       sync.Mutex
	writable map[int][]ack     // acknowledged probe writes by host, the latest keptAcks
	primary  map[int]time.Time // last time each host answered as primary
	dual     []string
}

// ProbeTable is the table the Watcher writes to; CreateTables makes it.
const ProbeTable = "ward_probe"

// NewWatcher returns a watcher of every host.
func (l *Lab) NewWatcher(interval time.Duration) *Watcher {
	return &Watcher{l: l, interval: interval, timeout: 500 * time.Millisecond,
		writable: map[int][]ack{}, primary: map[int]time.Time{}}
}

// Run watches until ctx ends.
func (w *Watcher) Run(ctx context.Context) {
	var wg sync.WaitGroup
	for i := 1; i <= w.l.cfg.Nodes; i++ {
		wg.Go(func() { w.watch(ctx, i) })
	}
	wg.Wait()
}

func (w *Watcher) watch(ctx context.Context, i int) {
	cfg, err := w.l.LocalConfig(i)
	if err != nil {
		return
	}
	var conn *pgx.Conn
	defer func() {
		if conn != nil {
			conn.Close(context.Background())
		}
	}()
	// since is when the server behind conn first answered as a primary
	// (zero: not a primary, or no connection). On one connection, a
	// server that answered as a primary at two instants was one all
	// along: becoming a standby again takes a restart, which ends the
	// connection.
	var since time.Time
	t := time.NewTicker(w.interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if conn == nil {
			cctx, cancel := context.WithTimeout(ctx, w.timeout)
			conn, err = pgx.ConnectConfig(cctx, cfg)
			cancel()
			if err != nil {
				conn = nil
				continue
			}
		}
		qctx, cancel := context.WithTimeout(ctx, w.timeout)
		var inRecovery bool
		err := conn.QueryRow(qctx, "SELECT pg_is_in_recovery()").Scan(&inRecovery)
		if err == nil && inRecovery {
			since = time.Time{}
		}
		if err == nil && !inRecovery {
			now := time.Now()
			if since.IsZero() {
				since = now
			}
			w.mu.Lock()
			w.primary[i] = now
			w.mu.Unlock()
			start := time.Now()
			_, err = conn.Exec(qctx, "INSERT INTO "+ProbeTable+" (host, at) VALUES ($1, now())", w.l.Name(i))
			if err == nil {
				w.record(i, ack{primarySince: since, start: start, end: time.Now()})
			}
		}
		cancel()
		if err != nil {
			conn.Close(context.Background())
			conn = nil
			since = time.Time{}
		}
	}
}

// ack is one acknowledged probe write: the host had been a primary
// since primarySince (on the watcher's current connection), the INSERT
// was sent at start and acknowledged at end.
type ack struct {
	primarySince, start, end time.Time
}

// record notes host i's acknowledged probe write a and checks it
// against the other hosts' recent ones. Two hosts were writable at the
// same instant when another host j took a write sent after i had become
// a primary and acknowledged before i's write a was sent: i was a
// primary all along in between (see since in watch), so both committed
// at the same time. Nothing weaker is proof: a write may be committed
// anywhere between its send and its acknowledgement, and an old primary
// whose daemon died keeps acknowledging writes until it is fenced, so a
// new primary's first write may legitimately follow the old one's last
// by a few hundred milliseconds (a fast failover; the earlier rule, any
// two hosts' writes within 300 ms, flagged one). Two real primaries
// keep taking writes, so the pattern shows within a round or two of
// probes, whichever promoted first.
func (w *Watcher) record(i int, a ack) {
	w.mu.Lock()
	defer w.mu.Unlock()
	for j, acks := range w.writable {
		if j == i {
			continue
		}
		for _, b := range acks {
			if a.primarySince.Before(b.start) && !b.end.After(a.start) {
				w.dual = append(w.dual, fmt.Sprintf("%s was a primary from %s, and %s acknowledged a write (sent %s, acknowledged %s) before %s's own write was sent at %s",
					w.l.Name(i), a.primarySince.Format("15:04:05.000"), w.l.Name(j), b.start.Format("15:04:05.000"), b.end.Format("15:04:05.000"), w.l.Name(i), a.start.Format("15:04:05.000")))
				break
			}
		}
	}
	acks := append(w.writable[i], a)
	if len(acks) > keptAcks {
		acks = acks[len(acks)-keptAcks:]
	}
	w.writable[i] = acks
}

// Dual returns every instance of two hosts acknowledging writes at the
// same time (empty: never two primaries).
func (w *Watcher) Dual() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]string(nil), w.dual...)
}

// Primaries returns the hosts that answered as primary within the last
// window, by number.
func (w *Watcher) Primaries(window time.Duration) []int {
	w.mu.Lock()
	defer w.mu.Unlock()
	var p []int
	for i := 1; i <= w.l.cfg.Nodes; i++ {
		if t, ok := w.primary[i]; ok && time.Since(t) < window {
			p = append(p, i)
		}
	}
	return p
}

// CreateTables creates the client's table (id bigint primary key) and
// the probe table on the primary reached at addr from the client.
func (l *Lab) CreateTables(ctx context.Context, addr, table string) error {
	cfg, err := l.ClientConfig(addr)
	if err != nil {
		return err
	}
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return fmt.Errorf("lab: connect to %s: %w", addr, err)
	}
	defer conn.Close(context.Background())
	_, err = conn.Exec(ctx, "CREATE TABLE IF NOT EXISTS "+table+" (id bigint PRIMARY KEY); CREATE TABLE IF NOT EXISTS "+ProbeTable+" (host text, at timestamptz)")
	if err != nil {
		return fmt.Errorf("lab: create tables on %s: %w", addr, err)
	}
	return nil
}
