package main

import (
	"context"
	"fmt"
	"path/filepath"
	"time"

	"github.com/ward-ha/ward/internal/lab"
)

const table = "acked"

// probeEvery is how often the prober starts a write attempt.
const probeEvery = 50 * time.Millisecond

// measure is one failover run.
type measure struct {
	victim, survivor string
	ms               int64 // power off -> first probe write acknowledged
	outageMS         int64 // last probe write acknowledged before -> first after
	writerMS         int64 // the same for the one writer (its TCP backoff and timeouts included)
	acked, lost      int
	pgb              pgbResult
	steps            string // breakdown of the failover from the logs
	dual             bool
}

// runOnce builds a fresh three-host lab, starts the cluster, powers the
// primary's host off and measures.
func runOnce(exe string, fast, keep, keepAll, withPgbench bool) (m measure, err error) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	l, down, err := newLab(ctx, exe, 3)
	if err != nil {
		return m, err
	}
	defer func() { down(keepAll || keep && err != nil) }()
	if err := l.InitPostgres(ctx); err != nil {
		return m, err
	}
	if err := l.WriteFiles(l.Policy(lab.PolicyOptions{Synchronous: true, Fast: fast})); err != nil {
		return m, err
	}
	for i := 1; i <= 3; i++ {
		d, err := l.StartDaemon(i, false)
		if err != nil {
			return m, err
		}
		if err := l.WaitSocket(ctx, i, d); err != nil {
			return m, err
		}
	}
	for {
		if err := l.CreateTables(ctx, l.VIP(), table); err == nil {
			break
		}
		select {
		case <-ctx.Done():
			return m, fmt.Errorf("the VIP never answered as a primary: %w", ctx.Err())
		case <-time.After(100 * time.Millisecond):
		}
	}
	p, err := l.WaitSyncPrimary(ctx)
	if err != nil {
		return m, err
	}
	w, err := l.NewWriter(l.VIP(), table, 3*time.Second)
	if err != nil {
		return m, err
	}
	pr, err := l.NewWriteProber(l.VIP(), 5432, probeEvery, 5*time.Second)
	if err != nil {
		return m, err
	}
	var pb *pgbench
	pbStop, pbDone := make(chan struct{}), make(chan struct{})
	if withPgbench {
		err = retry(ctx, func() error {
			pb, err = newPgbench(ctx, l, filepath.Join(l.Config().Dir, "pgbench"))
			return err
		})
		if err != nil {
			return m, fmt.Errorf("set up pgbench: %w", err)
		}
		go func() { pb.Run(ctx, pbStop); close(pbDone) }()
	} else {
		close(pbDone)
	}
	defer func() {
		select {
		case <-pbStop:
		default:
			close(pbStop)
		}
		<-pbDone
	}()
	wa := l.NewWatcher(100 * time.Millisecond)
	rctx, stop := context.WithCancel(ctx)
	done := make(chan struct{}, 3)
	go func() { w.Run(rctx); done <- struct{}{} }()
	go func() { wa.Run(rctx); done <- struct{}{} }()
	go func() { pr.Run(rctx); done <- struct{}{} }()
	defer func() { stop(); <-done; <-done; <-done }()
	if _, err := w.WaitAckAfter(ctx, time.Now().Add(time.Second)); err != nil {
		return m, err
	}
	t0 := time.Now()
	if err := l.PowerOff(ctx, p); err != nil {
		return m, err
	}
	tOff := time.Now() // acknowledgements in flight as the host froze arrive before
	wctx, wcancel := context.WithTimeout(ctx, 60*time.Second)
	first, err := pr.WaitAckAfter(wctx, tOff)
	wcancel()
	if err != nil {
		return m, fmt.Errorf("no probe write acknowledged through the VIP within 60 s of the power-off (writer's last error: %v)", w.LastErr())
	}
	m.victim, m.ms = l.Name(p), first.Sub(t0).Milliseconds()
	if last, ok := pr.LastAckBefore(t0); ok {
		m.outageMS = first.Sub(last).Milliseconds()
	}
	a, err := w.WaitAckAfter(ctx, tOff)
	if err != nil {
		return m, err
	}
	m.writerMS = a.At.Sub(t0).Milliseconds()
	// Keep writing a little, then check.
	if _, err := w.WaitAckAfter(ctx, time.Now().Add(500*time.Millisecond)); err != nil {
		return m, err
	}
	stop()
	if pb != nil {
		close(pbStop)
		<-pbDone
		err = retry(ctx, func() error {
			m.pgb, err = pb.check(ctx, t0, tOff)
			return err
		})
		if err != nil {
			return m, fmt.Errorf("check pgbench's transactions: %w", err)
		}
	}
	if ps := l.Primaries(ctx); len(ps) == 1 {
		m.survivor = l.Name(ps[0])
		m.steps = breakdown(l, p, ps[0], t0)
	} else {
		m.dual = len(ps) > 1
	}
	acks := w.Acks()
	var missing []int64
	err = retry(ctx, func() error {
		missing, err = l.Missing(ctx, l.VIP(), table, acks)
		return err
	})
	if err != nil {
		return m, fmt.Errorf("read the acknowledged ids back: %w", err)
	}
	m.acked, m.lost = len(acks), len(missing)
	if len(wa.Dual()) > 0 {
		m.dual = true
	}
	return m, nil
}

// retry runs f until it succeeds, at most 5 times 200 ms apart: on a
// loaded machine a connection through the VIP (connect_timeout 1 s)
// sometimes times out.
func retry(ctx context.Context, f func() error) error {
	var err error
	for range 5 {
		if err = f(); err == nil || ctx.Err() != nil {
			return err
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(200 * time.Millisecond):
		}
	}
	return err
}
