package lab

import (
	"context"
	"fmt"
	"syscall"
	"time"
)

// Catalogue returns every scenario of the fault catalogue, in the order
// the runner runs them.
func Catalogue() []Scenario {
	var all []Scenario
	all = append(all, procScenarios()...)
	all = append(all, netScenarios()...)
	all = append(all, opsScenarios()...)
	all = append(all, restartScenarios()...)
	return all
}

// Limits of the scenarios' waits (a loaded 2-core machine stretches
// everything).
const (
	fenceLimit    = 60 * time.Second
	convergeLimit = 150 * time.Second
)

// lostAndBack waits for host p to be powered off by fencing, for the
// rest of the cluster to converge without it (the recovery), for a new
// primary other than p, then boots p and waits for the whole cluster.
func lostAndBack(ctx context.Context, c *FaultCluster, r *Record, p int, wasPrimary bool) error {
	if _, err := c.WaitFenced(ctx, p, fenceLimit); err != nil {
		return fmt.Errorf("%s was not fenced: %w", c.L.Name(p), err)
	}
	r.Notef("%s fenced after %.1fs", c.L.Name(p), time.Since(r.FaultAt).Seconds())
	if _, err := c.Converge(ctx, convergeLimit); err != nil {
		return fmt.Errorf("no recovery without %s: %w", c.L.Name(p), err)
	}
	r.Recovered()
	np, err := c.Primary(ctx, 10*time.Second)
	if err != nil {
		return err
	}
	if wasPrimary && np == p {
		return fmt.Errorf("the primary is still %s", c.L.Name(p))
	}
	r.Notef("primary %s", c.L.Name(np))
	return rejoin(ctx, c, r, p)
}

// rejoin boots host p and waits for the whole cluster.
func rejoin(ctx context.Context, c *FaultCluster, r *Record, p int) error {
	if err := c.Boot(ctx, p, nil); err != nil {
		return err
	}
	d, err := c.Converge(ctx, convergeLimit)
	if err != nil {
		return fmt.Errorf("%s booted again but the cluster did not converge: %w", c.L.Name(p), err)
	}
	r.Notef("%s rejoined in %.1fs", c.L.Name(p), d.Seconds())
	return nil
}

// noFences returns an error if any fencing was reported since t.
func noFences(c *FaultCluster, t time.Time) error {
	if f := c.Inv.Fences(t); len(f) > 0 {
		return fmt.Errorf("unexpected fencing: %s %s (%s)", f[0].Node, f[0].Result, f[0].RequestedBy)
	}
	for i := 1; i <= c.L.cfg.Nodes; i++ {
		if !c.Running(i) {
			return fmt.Errorf("%s was powered off", c.L.Name(i))
		}
	}
	return nil
}

// samePrimary waits for one primary and checks it is still p.
func samePrimary(ctx context.Context, c *FaultCluster, p int) error {
	np, err := c.Primary(ctx, 60*time.Second)
	if err != nil {
		return err
	}
	if np != p {
		return fmt.Errorf("the primary moved from %s to %s", c.L.Name(p), c.L.Name(np))
	}
	return nil
}

func procScenarios() []Scenario {
	return []Scenario{{
		Name:   "kill9-daemon-primary",
		Fault:  "kill -9 of the ward daemon on the primary's host (PostgreSQL and the VIP keep running there)",
		Expect: "the node is lost, fenced (powered off) before anything moves, a standby is promoted, the VIP follows; booted again, the old primary rejoins as a standby",
		Proves: "a dead daemon whose resources still run is treated as unclean: fencing comes before recovery",
		CI:     true,
		Run: atPrimary(func(ctx context.Context, c *FaultCluster, r *Record, p int) error {
			r.Fault()
			if err := c.SignalDaemon(ctx, p, syscall.SIGKILL); err != nil {
				return err
			}
			return lostAndBack(ctx, c, r, p, true)
		}),
	}, {
		Name:   "kill9-daemon-standby",
		Fault:  "kill -9 of the ward daemon on a standby's host",
		Expect: "the standby's host is fenced, the primary stays where it is and keeps acknowledging writes (the other standby is synchronous); booted again, the host rejoins",
		Proves: "losing a standby's daemon costs no failover and no acknowledged write",
		Run: atPrimary(func(ctx context.Context, c *FaultCluster, r *Record, p int) error {
			s := c.Standby(p)
			r.Fault()
			if err := c.SignalDaemon(ctx, s, syscall.SIGKILL); err != nil {
				return err
			}
			if err := lostAndBack(ctx, c, r, s, false); err != nil {
				return err
			}
			return samePrimary(ctx, c, p)
		}),
	}, {
		Name:   "kill-postgres-primary",
		Fault:  "kill -9 of the primary's postmaster",
		Expect: "the promoted monitor fails; ward recovers PostgreSQL (restart or failover) without fencing (the stop succeeds); one primary, the VIP on it, writes resume",
		Proves: "a crashed resource process is recovered by the agent's monitor and the scheduler, not by fencing",
		Run: atPrimary(func(ctx context.Context, c *FaultCluster, r *Record, p int) error {
			pid, err := c.PostmasterPid(p)
			if err != nil {
				return err
			}
			r.Fault()
			if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
				return fmt.Errorf("kill the postmaster %d: %w", pid, err)
			}
			if _, err := c.Converge(ctx, convergeLimit); err != nil {
				return err
			}
			r.Recovered()
			np, _ := c.Primary(ctx, 10*time.Second)
			r.Notef("primary now %s (was %s)", c.L.Name(np), c.L.Name(p))
			return noFences(c, r.FaultAt)
		}),
	}, {
		Name:   "kill-postgres-standby",
		Fault:  "kill -9 of a standby's postmaster",
		Expect: "the standby's monitor fails and ward starts it again as a standby; the primary stays, no fencing",
		Proves: "a failed standby is repaired in place without disturbing the primary",
		Run: atPrimary(func(ctx context.Context, c *FaultCluster, r *Record, p int) error {
			s := c.Standby(p)
			pid, err := c.PostmasterPid(s)
			if err != nil {
				return err
			}
			r.Fault()
			if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
				return fmt.Errorf("kill the postmaster %d: %w", pid, err)
			}
			if err := retry(ctx, 90*time.Second, c.L.Name(s)+" streaming again", func() error {
				np, err := c.PostmasterPid(s)
				if err != nil || np == pid {
					return fmt.Errorf("postmaster not restarted (%v)", err)
				}
				var st string
				if err := c.L.QueryRow(ctx, s, "SELECT coalesce((SELECT status FROM pg_stat_wal_receiver), 'none')", &st); err != nil {
					return err
				}
				if st != "streaming" {
					return fmt.Errorf("wal receiver %s", st)
				}
				return nil
			}); err != nil {
				return err
			}
			if _, err := c.Converge(ctx, convergeLimit); err != nil {
				return err
			}
			r.Recovered()
			if err := samePrimary(ctx, c, p); err != nil {
				return err
			}
			return noFences(c, r.FaultAt)
		}),
	}, {
		Name:   "vip-removed",
		Fault:  "the VIP is deleted from the primary's interface by hand (ip addr del)",
		Expect: "the VIP's monitor fails and ward puts it back on the primary's host; no fencing, the primary stays",
		Proves: "a resource that vanishes under ward is noticed and repaired where its colocation wants it",
		CI:     true,
		Run: atPrimary(func(ctx context.Context, c *FaultCluster, r *Record, p int) error {
			r.Fault()
			if err := c.L.DelAddr(ctx, p, c.L.VIP()); err != nil {
				return err
			}
			if _, err := c.Converge(ctx, 60*time.Second); err != nil {
				return err
			}
			r.Recovered()
			if err := samePrimary(ctx, c, p); err != nil {
				return err
			}
			return noFences(c, r.FaultAt)
		}),
	}, {
		Name:   "freeze-primary",
		Fault:  "every process of the primary's host is stopped (SIGSTOP: a hung kernel; the link stays up)",
		Expect: "the frozen host is fenced (powered off), a standby is promoted, the VIP follows; booted again it rejoins as a standby",
		Proves: "a host that neither answers nor acts is fenced before its resources are recovered; it cannot wake up as a second primary",
		Run: atPrimary(func(ctx context.Context, c *FaultCluster, r *Record, p int) error {
			r.Fault()
			if _, err := c.L.Freeze(p); err != nil {
				return err
			}
			return lostAndBack(ctx, c, r, p, true)
		}),
	}}
}

// atPrimary runs a scenario once the cluster has a primary, p.
func atPrimary(run func(ctx context.Context, c *FaultCluster, r *Record, p int) error) func(context.Context, *FaultCluster, *Record) error {
	return func(ctx context.Context, c *FaultCluster, r *Record) error {
		p, err := c.Primary(ctx, 30*time.Second)
		if err != nil {
			return err
		}
		return run(ctx, c, r, p)
	}
}
