package lab

import (
	"context"
	"fmt"
	"net"
	"runtime"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/vishvananda/netns"
)

// DialIn returns a dial function (pgx's DialFunc) whose sockets are
// created in network namespace ns. Each dial runs on a goroutine locked
// to its OS thread and switched into ns; the thread is never switched
// back, so Go discards it and no other code runs in the wrong namespace.
func DialIn(ns string) func(ctx context.Context, network, addr string) (net.Conn, error) {
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		var c net.Conn
		err := inNamespace(ns, func() error {
			var d net.Dialer
			var err error
			c, err = d.DialContext(ctx, network, addr)
			return err
		})
		return c, err
	}
}

// inNamespace runs f on a goroutine locked to its OS thread and switched
// into network namespace ns, and returns f's error. The thread is never
// switched back, so Go discards it and no other code runs in the wrong
// namespace; sockets f creates stay in ns whatever thread uses them.
func inNamespace(ns string, f func() error) error {
	ch := make(chan error, 1)
	go func() {
		runtime.LockOSThread() // never unlocked: the thread is discarded
		h, err := netns.GetFromName(ns)
		if err != nil {
			ch <- fmt.Errorf("lab: namespace %s: %w", ns, err)
			return
		}
		defer h.Close()
		if err := netns.Set(h); err != nil {
			ch <- fmt.Errorf("lab: enter namespace %s: %w", ns, err)
			return
		}
		ch <- f()
	}()
	return <-ch
}

// ClientConfig returns a pgx connection config for addr:5432 as user
// postgres, dialled from the client namespace.
func (l *Lab) ClientConfig(addr string) (*pgx.ConnConfig, error) {
	return l.ClientConfigPort(addr, 5432)
}

// ClientConfigPort is ClientConfig for another port (PgBouncer's).
func (l *Lab) ClientConfigPort(addr string, port int) (*pgx.ConnConfig, error) {
	cfg, err := pgx.ParseConfig(fmt.Sprintf("host=%s port=%d user=postgres dbname=postgres sslmode=disable connect_timeout=1", addr, port))
	if err != nil {
		return nil, fmt.Errorf("lab: %w", err)
	}
	cfg.DialFunc = DialIn(l.ClientNS())
	return cfg, nil
}

// LocalConfig returns a pgx connection config for host i's PostgreSQL
// through its unix socket (reachable whatever the network cuts).
func (l *Lab) LocalConfig(i int) (*pgx.ConnConfig, error) {
	cfg, err := pgx.ParseConfig(fmt.Sprintf("host=%s/run port=5432 user=postgres dbname=postgres connect_timeout=1", l.HostDir(i)))
	if err != nil {
		return nil, fmt.Errorf("lab: %w", err)
	}
	return cfg, nil
}

// Ack is one write acknowledged to the client.
type Ack struct {
	// ID is the row written.
	ID int64
	// At is when the commit was acknowledged.
	At time.Time
}

// Writer writes rows with increasing ids through one address (the VIP)
// from the client namespace and records every acknowledged one. A write
// that fails or times out is not acknowledged (it may still exist).
type Writer struct {
	cfg     *pgx.ConnConfig
	timeout time.Duration
	// Table must exist with a column id bigint.
	table string
	// Pause, when set before Run, is waited after each acknowledged
	// write (bounds the write rate on a shared machine).
	Pause time.Duration

	// mu guards the following.
	mu      sync.Mutex
	acks    []Ack
	tried   int64
	lastErr error
}

// NewWriter returns a writer to addr's table; each write gets timeout.
func (l *Lab) NewWriter(addr, table string, timeout time.Duration) (*Writer, error) {
	return l.NewWriterPort(addr, 5432, table, timeout)
}

// NewWriterPort is NewWriter for another port (PgBouncer's).
func (l *Lab) NewWriterPort(addr string, port int, table string, timeout time.Duration) (*Writer, error) {
	cfg, err := l.ClientConfigPort(addr, port)
	if err != nil {
		return nil, err
	}
	return &Writer{cfg: cfg, timeout: timeout, table: table}, nil
}

// Run writes until ctx ends, one row at a time, reconnecting after any
// error.
func (w *Writer) Run(ctx context.Context) {
	var conn *pgx.Conn
	defer func() {
		if conn != nil {
			conn.Close(context.Background())
		}
	}()
	var id int64
	for ctx.Err() == nil {
		if conn == nil {
			cctx, cancel := context.WithTimeout(ctx, time.Second)
			c, err := pgx.ConnectConfig(cctx, w.cfg)
			cancel()
			if err != nil {
				w.fail(err)
				pause(ctx, 20*time.Millisecond)
				continue
			}
			conn = c
		}
		id++
		w.mu.Lock()
		w.tried = id
		w.mu.Unlock()
		wctx, cancel := context.WithTimeout(ctx, w.timeout)
		_, err := conn.Exec(wctx, "INSERT INTO "+w.table+" (id) VALUES ($1)", id)
		cancel()
		if err != nil {
			w.fail(err)
			conn.Close(context.Background())
			conn = nil
			continue
		}
		w.mu.Lock()
		w.acks = append(w.acks, Ack{ID: id, At: time.Now()})
		w.mu.Unlock()
		if w.Pause > 0 {
			pause(ctx, w.Pause)
		}
	}
}

func (w *Writer) fail(err error) {
	w.mu.Lock()
	w.lastErr = err
	w.mu.Unlock()
}

// Acks returns a copy of the acknowledged writes, in order.
func (w *Writer) Acks() []Ack {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]Ack(nil), w.acks...)
}

// LastErr returns the last write or connection error.
func (w *Writer) LastErr() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.lastErr
}

// FirstAckAfter returns the first acknowledgement at or after t.
func (w *Writer) FirstAckAfter(t time.Time) (Ack, bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, a := range w.acks {
		if !a.At.Before(t) {
			return a, true
		}
	}
	return Ack{}, false
}

// WaitAckAfter waits until a write is acknowledged at or after t.
func (w *Writer) WaitAckAfter(ctx context.Context, t time.Time) (Ack, error) {
	for {
		if a, ok := w.FirstAckAfter(t); ok {
			return a, nil
		}
		select {
		case <-ctx.Done():
			return Ack{}, fmt.Errorf("lab: no write acknowledged through the VIP since %s (last error: %v): %w", t.Format("15:04:05.000"), w.LastErr(), ctx.Err())
		case <-time.After(10 * time.Millisecond):
		}
	}
}

// Missing returns the acknowledged ids that table lacks on addr (read
// from the client namespace).
func (l *Lab) Missing(ctx context.Context, addr, table string, acks []Ack) ([]int64, error) {
	cfg, err := l.ClientConfig(addr)
	if err != nil {
		return nil, err
	}
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("lab: read back through %s: %w", addr, err)
	}
	defer conn.Close(context.Background())
	rows, err := conn.Query(ctx, "SELECT id FROM "+table)
	if err != nil {
		return nil, fmt.Errorf("lab: read back %s: %w", table, err)
	}
	have := map[int64]bool{}
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		have[id] = true
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	var missing []int64
	for _, a := range acks {
		if !have[a.ID] {
			missing = append(missing, a.ID)
		}
	}
	return missing, nil
}

func pause(ctx context.Context, d time.Duration) {
	select {
	case <-ctx.Done():
	case <-time.After(d):
	}
}
