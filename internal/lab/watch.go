package lab

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
)

// dualWindow is how close in time two hosts' acknowledged probe writes
// must be to count as two primaries at once. A failover takes longer
// than the heartbeat's detection (0.8 s at least), so a legitimate
// change of primary never comes this close.
const dualWindow = 300 * time.Millisecond

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
	writable map[int][]time.Time // acknowledged probe writes by host
	primary  map[int]time.Time   // last time each host answered as primary
	dual     []string
}

// ProbeTable is the table the Watcher writes to; CreateTables makes it.
const ProbeTable = "ward_probe"

// NewWatcher returns a watcher of every host.
func (l *Lab) NewWatcher(interval time.Duration) *Watcher {
	return &Watcher{l: l, interval: interval, timeout: 500 * time.Millisecond,
		writable: map[int][]time.Time{}, primary: map[int]time.Time{}}
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
		if err == nil && !inRecovery {
			w.mu.Lock()
			w.primary[i] = time.Now()
			w.mu.Unlock()
			start := time.Now()
			_, err = conn.Exec(qctx, "INSERT INTO "+ProbeTable+" (host, at) VALUES ($1, now())", w.l.Name(i))
			if err == nil {
				w.record(i, start, time.Now())
			}
		}
		cancel()
		if err != nil {
			conn.Close(context.Background())
			conn = nil
		}
	}
}

// record notes host i's acknowledged probe write (sent at start,
// acknowledged at end) and checks it against the other hosts'.
func (w *Watcher) record(i int, start, end time.Time) {
	w.mu.Lock()
	defer w.mu.Unlock()
	for j, ts := range w.writable {
		if j == i || len(ts) == 0 {
			continue
		}
		last := ts[len(ts)-1]
		if last.After(start.Add(-dualWindow)) {
			w.dual = append(w.dual, fmt.Sprintf("%s acknowledged a write at %s and %s at %s",
				w.l.Name(j), last.Format("15:04:05.000"), w.l.Name(i), end.Format("15:04:05.000")))
		}
	}
	w.writable[i] = append(w.writable[i], end)
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
