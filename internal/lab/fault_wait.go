package lab

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"
)

// Converge waits until the cluster is whole again among the hosts that
// run: exactly one primary holding the VIP, a streaming synchronous
// standby (synchronous policy, two hosts or more), every running daemon
// agreeing on one quorate DC that sees every running host online with
// its transition complete, the canary (if any) active on exactly one
// host, and a write acknowledged through the VIP after the call. It
// returns how long that took.
func (c *FaultCluster) Converge(ctx context.Context, limit time.Duration) (time.Duration, error) {
	t0 := time.Now()
	err := retry(ctx, limit, "the cluster to converge", func() error { return c.converged(ctx, t0) })
	return time.Since(t0), err
}

func (c *FaultCluster) converged(ctx context.Context, since time.Time) error {
	ps := c.L.Primaries(ctx)
	if len(ps) != 1 {
		return fmt.Errorf("primaries %v", names(c.L, ps))
	}
	p := ps[0]
	var running []int
	for i := 1; i <= c.L.cfg.Nodes; i++ {
		if !c.Running(i) {
			continue
		}
		running = append(running, i)
		if has := c.L.HasAddr(i, c.L.VIP()); has != (i == p) {
			return fmt.Errorf("primary %s, VIP on %s: %t", c.L.Name(p), c.L.Name(i), has)
		}
	}
	if c.o.Policy.Synchronous && len(running) > 1 {
		var n int
		if err := c.L.QueryRow(ctx, p, "SELECT count(*) FROM pg_stat_replication WHERE sync_state IN ('sync','quorum') AND state = 'streaming'", &n); err != nil {
			return fmt.Errorf("primary %s: %w", c.L.Name(p), err)
		}
		if n == 0 {
			return fmt.Errorf("primary %s has no streaming synchronous standby", c.L.Name(p))
		}
	}
	dc := ""
	for _, i := range running {
		st, err := c.Status(ctx, i)
		if err != nil {
			return fmt.Errorf("status of %s: %w", c.L.Name(i), err)
		}
		if st.DC == "" || (dc != "" && st.DC != dc) {
			return fmt.Errorf("%s sees DC %q, another %q", c.L.Name(i), st.DC, dc)
		}
		dc = st.DC
		if !st.Quorum.Quorate {
			return fmt.Errorf("%s is not quorate", c.L.Name(i))
		}
		if st.Node != dc {
			continue
		}
		for _, n := range st.Nodes {
			idx, _ := c.L.Index(n.Name)
			if slices.Contains(running, idx) && n.State != "online" {
				return fmt.Errorf("DC %s sees %s %s", dc, n.Name, n.State)
			}
		}
		if st.Transition == nil || st.Transition.State != "complete" {
			return fmt.Errorf("DC %s: transition %+v", dc, st.Transition)
		}
	}
	if c.o.Policy.Canary {
		var on []int
		for _, i := range running {
			if c.L.CanaryActive(i) {
				on = append(on, i)
			}
		}
		if len(on) != 1 {
			return fmt.Errorf("%s active on %v", CanaryID, names(c.L, on))
		}
	}
	if _, ok := c.Writer.FirstAckAfter(since); !ok {
		return fmt.Errorf("no write acknowledged through the VIP yet (last error: %v)", c.Writer.LastErr())
	}
	return nil
}

func names(l *Lab, is []int) string {
	var s []string
	for _, i := range is {
		s = append(s, l.Name(i))
	}
	return "[" + strings.Join(s, " ") + "]"
}

// WaitAck waits up to limit for a write acknowledged at or after t and
// returns the time from t to it.
func (c *FaultCluster) WaitAck(ctx context.Context, t time.Time, limit time.Duration) (time.Duration, error) {
	wctx, cancel := context.WithTimeout(ctx, limit)
	defer cancel()
	a, err := c.Writer.WaitAckAfter(wctx, t)
	if err != nil {
		return 0, err
	}
	return a.At.Sub(t), nil
}

// MaxGap returns the longest time without an acknowledged write between
// from and to (from the edges included).
func (c *FaultCluster) MaxGap(from, to time.Time) time.Duration {
	last := from
	var gap time.Duration
	for _, a := range c.Writer.Acks() {
		if a.At.Before(from) {
			continue
		}
		if a.At.After(to) {
			break
		}
		gap = max(gap, a.At.Sub(last))
		last = a.At
	}
	return max(gap, to.Sub(last))
}

// CheckWrites stops the writer and the checker, reads every acknowledged
// id back through the VIP and records the missing ones as a lost-write
// violation. It returns the numbers acknowledged and missing.
func (c *FaultCluster) CheckWrites(ctx context.Context) (acked, lost int, err error) {
	c.StopLoad()
	acks := c.Writer.Acks()
	var missing []int64
	err = retry(ctx, 60*time.Second, "reading the acknowledged ids back through the VIP", func() error {
		var err error
		missing, err = c.L.Missing(ctx, c.L.VIP(), ClientTable, acks)
		return err
	})
	if err != nil {
		return len(acks), 0, err
	}
	if len(missing) > 0 {
		c.Inv.Add(InvLostWrite, fmt.Sprintf("%d of %d acknowledged writes missing, first %v", len(missing), len(acks), missing[:min(len(missing), 10)]))
	}
	return len(acks), len(missing), nil
}

// WaitFenced waits until host i is powered off (no process runs).
func (c *FaultCluster) WaitFenced(ctx context.Context, i int, limit time.Duration) (time.Duration, error) {
	t0 := time.Now()
	err := retry(ctx, limit, c.L.Name(i)+" to be powered off by fencing", func() error {
		if c.Running(i) {
			return fmt.Errorf("%s still runs", c.L.Name(i))
		}
		return nil
	})
	return time.Since(t0), err
}

// WaitFenceOK waits until some daemon reports a successful fencing of
// host i at or after since.
func (c *FaultCluster) WaitFenceOK(ctx context.Context, i int, since time.Time, limit time.Duration) error {
	return retry(ctx, limit, "a successful fencing of "+c.L.Name(i)+" reported", func() error {
		for _, f := range c.Inv.Fences(since) {
			if f.Node == c.L.Name(i) && f.Result == "ok" {
				return nil
			}
		}
		return fmt.Errorf("none yet")
	})
}
