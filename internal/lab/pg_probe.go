package lab

import (
	"context"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
)

// WriteProber measures write availability through one address the way
// many clients see it, not one: every interval it opens a new
// connection and writes one probe row (in its own goroutine, so an
// attempt stuck on a dead host never delays the next), and records when
// each write was acknowledged. The first acknowledgement after a fault
// is when the service came back, whatever any one connection's TCP
// retransmission backoff or timeout would have shown.
type WriteProber struct {
	cfg      *pgx.ConnConfig
	interval time.Duration
	timeout  time.Duration

	// mu guards acks.
	mu   sync.Mutex
	acks []time.Time
}

// NewWriteProber returns a prober of addr:port (from the client
// namespace) starting an attempt every interval, each given timeout.
func (l *Lab) NewWriteProber(addr string, port int, interval, timeout time.Duration) (*WriteProber, error) {
	cfg, err := l.ClientConfigPort(addr, port)
	if err != nil {
		return nil, err
	}
	return &WriteProber{cfg: cfg, interval: interval, timeout: timeout}, nil
}

// Run probes until ctx ends, then waits for the attempts in flight.
func (p *WriteProber) Run(ctx context.Context) {
	var wg sync.WaitGroup
	defer wg.Wait()
	t := time.NewTicker(p.interval)
	defer t.Stop()
	for {
		wg.Go(func() { p.attempt(ctx) })
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

func (p *WriteProber) attempt(ctx context.Context) {
	actx, cancel := context.WithTimeout(ctx, p.timeout)
	defer cancel()
	conn, err := pgx.ConnectConfig(actx, p.cfg)
	if err != nil {
		return
	}
	defer conn.Close(context.Background())
	if _, err := conn.Exec(actx, "INSERT INTO "+ProbeTable+" (host, at) VALUES ('client', now())"); err != nil {
		return
	}
	now := time.Now()
	p.mu.Lock()
	p.acks = append(p.acks, now)
	p.mu.Unlock()
}

// FirstAckAfter returns the first acknowledgement at or after t.
func (p *WriteProber) FirstAckAfter(t time.Time) (time.Time, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	var first time.Time
	for _, a := range p.acks {
		if !a.Before(t) && (first.IsZero() || a.Before(first)) {
			first = a
		}
	}
	return first, !first.IsZero()
}

// LastAckBefore returns the last acknowledgement before t.
func (p *WriteProber) LastAckBefore(t time.Time) (time.Time, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	var last time.Time
	for _, a := range p.acks {
		if a.Before(t) && a.After(last) {
			last = a
		}
	}
	return last, !last.IsZero()
}

// WaitAckAfter waits until a probe write is acknowledged at or after t.
func (p *WriteProber) WaitAckAfter(ctx context.Context, t time.Time) (time.Time, error) {
	for {
		if a, ok := p.FirstAckAfter(t); ok {
			return a, nil
		}
		select {
		case <-ctx.Done():
			return time.Time{}, ctx.Err()
		case <-time.After(10 * time.Millisecond):
		}
	}
}
