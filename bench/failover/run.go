package main

import (
	"context"
	"fmt"
	"time"

	"github.com/ward-ha/ward/internal/lab"
)

const table = "acked"

// measure is one failover run.
type measure struct {
	victim, survivor string
	ms               int64
	acked, lost      int
	dual             bool
}

// runOnce builds a fresh three-host lab, starts the cluster, powers the
// primary's host off and measures.
func runOnce(exe string, fast, keep bool) (m measure, err error) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	l, down, err := newLab(ctx, exe, 3)
	if err != nil {
		return m, err
	}
	defer func() { down(keep && err != nil) }()
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
	wa := l.NewWatcher(100 * time.Millisecond)
	rctx, stop := context.WithCancel(ctx)
	done := make(chan struct{}, 2)
	go func() { w.Run(rctx); done <- struct{}{} }()
	go func() { wa.Run(rctx); done <- struct{}{} }()
	defer func() { stop(); <-done; <-done }()
	if _, err := w.WaitAckAfter(ctx, time.Now().Add(time.Second)); err != nil {
		return m, err
	}
	t0 := time.Now()
	if err := l.PowerOff(ctx, p); err != nil {
		return m, err
	}
	wctx, wcancel := context.WithTimeout(ctx, 60*time.Second)
	a, err := w.WaitAckAfter(wctx, time.Now())
	wcancel()
	if err != nil {
		return m, err
	}
	m.victim, m.ms = l.Name(p), a.At.Sub(t0).Milliseconds()
	// Keep writing a little, then check.
	if _, err := w.WaitAckAfter(ctx, time.Now().Add(500*time.Millisecond)); err != nil {
		return m, err
	}
	stop()
	if ps := l.Primaries(ctx); len(ps) == 1 {
		m.survivor = l.Name(ps[0])
	} else {
		m.dual = len(ps) > 1
	}
	acks := w.Acks()
	missing, err := l.Missing(ctx, l.VIP(), table, acks)
	if err != nil {
		return m, err
	}
	m.acked, m.lost = len(acks), len(missing)
	if len(wa.Dual()) > 0 {
		m.dual = true
	}
	return m, nil
}
