package lab

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/ward-ha/ward/api"
)

// ClockOffset is how far (seconds) the clock-offset scenario moves a
// host's CLOCK_MONOTONIC and CLOCK_BOOTTIME: 10 days.
const ClockOffset = 864000

// timeNS is the wrapper that starts a daemon in a time namespace whose
// monotonic and boot-time clocks are ClockOffset ahead.
var timeNS = []string{"unshare", "--time", "--fork", "--monotonic", strconv.Itoa(ClockOffset), "--boottime", strconv.Itoa(ClockOffset), "--"}

// setMaintenance turns cluster maintenance on or off through the DC.
func setMaintenance(ctx context.Context, c *FaultCluster, on bool) error {
	_, err := withDC(ctx, c, 60*time.Second, fmt.Sprintf("cluster maintenance %t", on), func(ctx context.Context, cl *api.Client) error {
		_, err := cl.SetCluster(ctx, api.ClusterRequest{Maintenance: &on})
		return err
	})
	return err
}

// setNode sets a node flag through the DC.
func setNode(ctx context.Context, c *FaultCluster, i int, a api.NodeAction) error {
	_, err := withDC(ctx, c, 60*time.Second, fmt.Sprintf("node %s %s", a, c.L.Name(i)), func(ctx context.Context, cl *api.Client) error {
		return cl.SetNode(ctx, api.NodeRequest{Node: c.L.Name(i), Action: a})
	})
	return err
}

// allOnline waits until the DC sees every node online.
func allOnline(ctx context.Context, c *FaultCluster, limit time.Duration) error {
	return retry(ctx, limit, "the DC to see every node online", func() error {
		cl, dc, err := dcClient(ctx, c)
		if err != nil {
			return err
		}
		defer cl.CloseIdleConnections()
		st, err := cl.Status(ctx)
		if err != nil {
			return err
		}
		if st.DC != dc || !st.Quorum.Quorate {
			return fmt.Errorf("%s is not a quorate DC", dc)
		}
		for _, n := range st.Nodes {
			if n.State != api.StateOnline {
				return fmt.Errorf("DC %s sees %s %s", dc, n.Name, n.State)
			}
		}
		return nil
	})
}

// nothingOn returns an error unless the DC's status shows no resource
// active on host i and its transition complete.
func nothingOn(ctx context.Context, c *FaultCluster, i int) error {
	cl, dc, err := dcClient(ctx, c)
	if err != nil {
		return err
	}
	defer cl.CloseIdleConnections()
	st, err := cl.Status(ctx)
	if err != nil {
		return err
	}
	for _, r := range st.Resources {
		if r.Node == c.L.Name(i) && r.Role != "Stopped" {
			return fmt.Errorf("DC %s sees %s %s on %s", dc, r.ID, r.Role, r.Node)
		}
	}
	if st.Transition == nil || st.Transition.State != "complete" {
		return fmt.Errorf("DC %s: transition %+v", dc, st.Transition)
	}
	return nil
}

func restartScenarios() []Scenario {
	return []Scenario{{
		Name: "clock-offset",
		Fault: fmt.Sprintf("the primary's host is powered off, then boots in a time namespace whose monotonic and boot-time clocks are %d s (10 days) ahead of the others; then the new primary is powered off", ClockOffset) +
			" (CLOCK_REALTIME cannot be moved per process for a Go binary, see docs/catalogue.md)",
		Expect: "the host with the shifted clocks rejoins as a standby and the cluster converges; the next primary's loss is handled as usual (fenced, a standby promoted, possibly the shifted host)",
		Proves: "nothing in ward compares monotonic clocks across nodes or across a node's restart",
		Run: func(ctx context.Context, c *FaultCluster, r *Record) error {
			// The primary's host, not a standby's: a crashed standby does
			// not come back yet (see kill9-daemon-standby).
			s, err := c.Primary(ctx, 30*time.Second)
			if err != nil {
				return err
			}
			off := time.Now()
			if err := c.L.PowerOff(ctx, s); err != nil {
				return err
			}
			// Boot only once the cluster has fenced it, or the fencing
			// would power the new boot off.
			if err := c.WaitFenceOK(ctx, s, off.Add(-time.Second), fenceLimit); err != nil {
				return err
			}
			if _, err := c.Converge(ctx, convergeLimit); err != nil {
				return err
			}
			r.Fault()
			if err := c.Boot(ctx, s, timeNS); err != nil {
				return err
			}
			pid, err := c.DaemonPid(s)
			if err != nil {
				return err
			}
			offs, _ := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "timens_offsets"))
			if !strings.Contains(string(offs), strconv.Itoa(ClockOffset)) {
				return fmt.Errorf("the daemon of %s does not run with the clock offset: timens_offsets %q", c.L.Name(s), offs)
			}
			d, err := c.Converge(ctx, convergeLimit)
			if err != nil {
				return err
			}
			r.Notef("%s rejoined with its clocks 10 days ahead in %.1fs", c.L.Name(s), d.Seconds())
			p, err := c.Primary(ctx, 10*time.Second)
			if err != nil {
				return err
			}
			t := time.Now()
			if err := c.L.PowerOff(ctx, p); err != nil {
				return err
			}
			if _, err := c.Converge(ctx, convergeLimit); err != nil {
				return err
			}
			r.Recovered()
			if err := c.WaitFenceOK(ctx, p, t.Add(-time.Second), fenceLimit); err != nil {
				return err
			}
			np, _ := c.Primary(ctx, 10*time.Second)
			r.Notef("primary %s powered off, %s promoted, writes back %.1fs later", c.L.Name(p), c.L.Name(np), time.Since(t).Seconds())
			return rejoin(ctx, c, r, p)
		},
	}, {
		Name:   "power-outage",
		Fault:  "every host is powered off at once, then every host boots",
		Expect: "the cluster forms again, finds PostgreSQL stopped everywhere, promotes the most advanced copy and moves the VIP to it; no acknowledged write is lost",
		Proves: "a whole-cluster restart from cold comes back by itself without losing what was acknowledged",
		Run: atPrimary(func(ctx context.Context, c *FaultCluster, r *Record, p int) error {
			r.Fault()
			var wg sync.WaitGroup
			errs := make([]error, c.L.cfg.Nodes+1)
			for i := 1; i <= c.L.cfg.Nodes; i++ {
				wg.Go(func() { errs[i] = c.L.PowerOff(ctx, i) })
			}
			wg.Wait()
			for _, err := range errs {
				if err != nil {
					return err
				}
			}
			for i := 1; i <= c.L.cfg.Nodes; i++ {
				if err := c.Boot(ctx, i, nil); err != nil {
					return err
				}
			}
			if _, err := c.Converge(ctx, convergeLimit); err != nil {
				return err
			}
			r.Recovered()
			np, _ := c.Primary(ctx, 10*time.Second)
			r.Notef("primary before %s, after %s", c.L.Name(p), c.L.Name(np))
			return nil
		}),
	}, {
		Name:   "cold-start-without-primary",
		Fault:  "wait_for_all = false; kill -9 of every ward daemon (PostgreSQL and the VIP keep running), then the daemons of the standbys' hosts started again, not the primary's",
		Expect: "nobody remembers the primary's host; once the cold-start wait is over it is fenced (startup fencing) before a standby is promoted; the VIP follows; booted again, the old primary rejoins as a standby",
		Proves: "a whole-cluster restart never promotes a second primary next to one whose daemon did not come back",
		CI:     true,
		Setup:  func(o *FaultOptions) { o.Policy.NoWaitForAll = true },
		Run: atPrimary(func(ctx context.Context, c *FaultCluster, r *Record, p int) error {
			r.Fault()
			if err := coldStartWithout(ctx, c, p); err != nil {
				return err
			}
			return lostAndBack(ctx, c, r, p, true)
		}),
	}, {
		Name:   "cold-start-wait-for-all",
		Fault:  "the lab's wait_for_all = true; kill -9 of every ward daemon (PostgreSQL and the VIP keep running), the standbys' daemons started again, the primary's only 15 s later",
		Expect: "the two daemons stay without quorum until they have seen the primary's host (nothing promoted, nobody fenced); once its daemon is back the cluster forms with the same primary",
		Proves: "with wait_for_all a cold start waits for every node instead of fencing the ones that are late",
		Run: atPrimary(func(ctx context.Context, c *FaultCluster, r *Record, p int) error {
			r.Fault()
			if err := coldStartWithout(ctx, c, p); err != nil {
				return err
			}
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(15 * time.Second): // the observation window: nothing may happen
			}
			if err := noFences(c, r.FaultAt); err != nil {
				return err
			}
			if err := c.StartDaemon(ctx, p, nil); err != nil {
				return err
			}
			if err := allOnline(ctx, c, 60*time.Second); err != nil {
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
		Name:   "cluster-restart",
		Fault:  "cluster maintenance on, every daemon stopped (SIGTERM) and started again, maintenance off",
		Expect: "PostgreSQL and the VIP are left alone throughout: the primary stays, no fencing, writes are not interrupted for more than 5 s",
		Proves: "the whole control plane can be restarted (an upgrade) without touching the service",
		Run: atPrimary(func(ctx context.Context, c *FaultCluster, r *Record, p int) error {
			r.Fault()
			if err := setMaintenance(ctx, c, true); err != nil {
				return err
			}
			for i := 1; i <= c.L.cfg.Nodes; i++ {
				if err := c.SignalDaemon(ctx, i, syscall.SIGTERM); err != nil {
					return err
				}
			}
			for i := 1; i <= c.L.cfg.Nodes; i++ {
				if err := c.StartDaemon(ctx, i, nil); err != nil {
					return err
				}
			}
			if err := allOnline(ctx, c, 60*time.Second); err != nil {
				return err
			}
			return leaveMaintenanceUnchanged(ctx, c, r, p, "the restart")
		}),
	}, {
		Name:   "rolling-restart-maintenance",
		Fault:  "cluster maintenance on, then one daemon at a time stopped (SIGTERM), started and waited for, then maintenance off (the documented upgrade path)",
		Expect: "PostgreSQL and the VIP are left alone: the primary stays, no fencing, writes never stop for more than 5 s",
		Proves: "daemons can be upgraded one by one without touching the service",
		Run: atPrimary(func(ctx context.Context, c *FaultCluster, r *Record, p int) error {
			r.Fault()
			if err := setMaintenance(ctx, c, true); err != nil {
				return err
			}
			for i := 1; i <= c.L.cfg.Nodes; i++ {
				if err := c.SignalDaemon(ctx, i, syscall.SIGTERM); err != nil {
					return err
				}
				if err := c.StartDaemon(ctx, i, nil); err != nil {
					return err
				}
				if err := allOnline(ctx, c, 60*time.Second); err != nil {
					return fmt.Errorf("after restarting %s: %w", c.L.Name(i), err)
				}
			}
			return leaveMaintenanceUnchanged(ctx, c, r, p, "the restarts")
		}),
	}, {
		Name:   "rolling-restart",
		Fault:  "one node at a time, standbys first: node standby, daemon stopped (SIGTERM) and started, node online",
		Expect: "no fencing (a node in standby runs nothing, so its loss is clean); the primary moves once (a switchover when its node goes standby); writes resume after each step; nothing lost",
		Proves: "nodes can be restarted one by one, draining each first, without fencing anybody",
		Run: atPrimary(func(ctx context.Context, c *FaultCluster, r *Record, p int) error {
			order := []int{}
			for i := 1; i <= c.L.cfg.Nodes; i++ {
				if i != p {
					order = append(order, i)
				}
			}
			order = append(order, p)
			r.Fault()
			for _, i := range order {
				if err := setNode(ctx, c, i, api.ActionStandby); err != nil {
					return err
				}
				if err := retry(ctx, 90*time.Second, "every resource to leave "+c.L.Name(i), func() error {
					if _, err := c.PostmasterPid(i); err == nil {
						return fmt.Errorf("PostgreSQL still runs on %s", c.L.Name(i))
					}
					if err := nothingOn(ctx, c, i); err != nil {
						return err
					}
					_, err := c.Primary(ctx, time.Second)
					return err
				}); err != nil {
					return err
				}
				if err := c.SignalDaemon(ctx, i, syscall.SIGTERM); err != nil {
					return err
				}
				if err := c.StartDaemon(ctx, i, nil); err != nil {
					return err
				}
				if err := allOnline(ctx, c, 60*time.Second); err != nil {
					return err
				}
				if err := setNode(ctx, c, i, api.ActionOnline); err != nil {
					return err
				}
				if _, err := c.Converge(ctx, convergeLimit); err != nil {
					return fmt.Errorf("after restarting %s: %w", c.L.Name(i), err)
				}
			}
			r.Recovered()
			np, _ := c.Primary(ctx, 10*time.Second)
			r.Notef("order %s, primary %s -> %s", names(c.L, order), c.L.Name(p), c.L.Name(np))
			return noFences(c, r.FaultAt)
		}),
	}, {
		Name:   "policy-apply-during-failover",
		Fault:  "the primary's host is powered off and 300 ms later a policy change is applied (retried until accepted)",
		Expect: "the apply is refused while no DC can take it, or accepted; the failover completes; every node, the old primary once it boots again, ends on the new epoch",
		Proves: "a policy change racing a failover is neither lost nor half-applied and does not disturb the failover",
		Run: atPrimary(func(ctx context.Context, c *FaultCluster, r *Record, p int) error {
			src, err := policyWith(c, 150)
			if err != nil {
				return err
			}
			r.Fault()
			if err := c.L.PowerOff(ctx, p); err != nil {
				return err
			}
			pause(ctx, 300*time.Millisecond)
			var res api.ApplyResult
			seen, err := withDC(ctx, c, 90*time.Second, "the policy apply", func(ctx context.Context, cl *api.Client) error {
				var e error
				res, e = cl.ApplyPolicy(ctx, api.ApplyRequest{Source: src})
				if e == nil && !res.Applied {
					e = fmt.Errorf("not applied")
				}
				return e
			})
			if err != nil {
				return err
			}
			r.Notef("applied epoch %d after %.1fs (%d distinct refusals first)", res.Epoch, time.Since(r.FaultAt).Seconds(), len(seen))
			if _, err := c.Converge(ctx, convergeLimit); err != nil {
				return err
			}
			r.Recovered()
			if err := waitEpoch(ctx, c, res.Epoch, 30*time.Second); err != nil {
				return err
			}
			if err := c.WaitFenceOK(ctx, p, r.FaultAt.Add(-time.Second), fenceLimit); err != nil {
				return err
			}
			if err := rejoin(ctx, c, r, p); err != nil {
				return err
			}
			return waitEpoch(ctx, c, res.Epoch, 30*time.Second)
		}),
	}}
}

// leaveMaintenanceUnchanged ends a scenario run under cluster maintenance:
// maintenance off, the cluster converged, and then what maintenance
// promises is checked: writes never stopped for more than 5 s during
// what, the primary is still host p, and nobody was fenced.
func leaveMaintenanceUnchanged(ctx context.Context, c *FaultCluster, r *Record, p int, what string) error {
	if err := setMaintenance(ctx, c, false); err != nil {
		return err
	}
	if _, err := c.Converge(ctx, convergeLimit); err != nil {
		return err
	}
	r.Recovered()
	if g := c.MaxGap(r.FaultAt, time.Now()); g > 5*time.Second {
		return fmt.Errorf("writes stopped for %v during %s", g.Round(time.Millisecond), what)
	}
	if err := samePrimary(ctx, c, p); err != nil {
		return err
	}
	return noFences(c, r.FaultAt)
}

// coldStartWithout kills every daemon (kill -9: their resources keep
// running) and starts them all again except host p's.
func coldStartWithout(ctx context.Context, c *FaultCluster, p int) error {
	for i := 1; i <= c.L.cfg.Nodes; i++ {
		if err := c.SignalDaemon(ctx, i, syscall.SIGKILL); err != nil {
			return err
		}
	}
	for i := 1; i <= c.L.cfg.Nodes; i++ {
		if i == p {
			continue
		}
		if err := c.StartDaemon(ctx, i, nil); err != nil {
			return err
		}
	}
	return nil
}
