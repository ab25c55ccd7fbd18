package main

import (
	"context"
	"fmt"
	"time"

	"github.com/ward-ha/ward/internal/lab"
)

// VIP-only failover, ward beside keepalived: the same three-host lab,
// a responder on every host answering its name on lab.ResponderPort,
// and a prober in the client connecting to the VIP every probeEvery
// (each attempt on its own, 500 ms timeout). n1 holds the VIP; it is
// powered off; the time is until the first answer from another host.

// vipRun measures one VIP-only failover, by ward (a VIP-only policy
// preferring n1: detection, fencing, start of the VIP elsewhere) or by
// keepalived (VRRPv2, advert_int 1, n1 the master).
func vipRun(exe string, keepalived, keep bool) (ms int64, holder string, err error) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	l, down, err := newLab(ctx, exe, 3)
	if err != nil {
		return 0, "", err
	}
	defer func() { down(keep && err != nil) }()
	var rs []*lab.Responder
	defer func() {
		for _, r := range rs {
			if r != nil {
				r.Close()
			}
		}
	}()
	for i := 1; i <= 3; i++ {
		r, err := l.StartResponder(i)
		if err != nil {
			return 0, "", err
		}
		rs = append(rs, r)
	}
	if keepalived {
		for i, prio := range []int{150, 100, 50} {
			if _, err := l.StartKeepalived(i+1, prio, i == 0); err != nil {
				return 0, "", err
			}
		}
	} else {
		if err := l.WriteFiles(l.Policy(lab.PolicyOptions{VIPOnly: true})); err != nil {
			return 0, "", err
		}
		for i := 1; i <= 3; i++ {
			d, err := l.StartDaemon(i, false)
			if err != nil {
				return 0, "", err
			}
			if err := l.WaitSocket(ctx, i, d); err != nil {
				return 0, "", err
			}
		}
	}
	p := l.NewVIPProber(probeEvery, 500*time.Millisecond)
	pctx, stop := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { p.Run(pctx); close(done) }()
	defer func() { stop(); <-done }()
	// n1 must hold the VIP and answer, steadily, before the power-off.
	if a, err := p.WaitAnswer(ctx, time.Now().Add(time.Second), ""); err != nil || a.Host != "n1" {
		return 0, "", fmt.Errorf("n1 never answered through the VIP (%s answered; %v)", a.Host, err)
	}
	if a, _ := p.FirstAfter(time.Now().Add(-500*time.Millisecond), "n1"); a.Host != "" {
		return 0, "", fmt.Errorf("%s answered through the VIP before the power-off", a.Host)
	}
	if h := l.VIPHolders(ctx); len(h) != 1 || h[0] != 1 {
		return 0, "", fmt.Errorf("VIP holders before the power-off: %v, want [1]", h)
	}
	t0 := time.Now()
	if err := l.PowerOff(ctx, 1); err != nil {
		return 0, "", err
	}
	rs[0].Close() // its host is off: its process would be gone
	rs[0] = nil
	wctx, wcancel := context.WithTimeout(ctx, 30*time.Second)
	a, err := p.WaitAnswer(wctx, t0, "n1")
	wcancel()
	if err != nil {
		return 0, "", err
	}
	return a.At.Sub(t0).Milliseconds(), a.Host, nil
}
