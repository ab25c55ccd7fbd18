package lab

import (
	"context"
	"fmt"
	"os"
	"strings"
	"time"
)

// cutScenario isolates the primary (or a standby) in mode and expects
// it fenced and the rest to recover.
func cutScenario(name, mode string, primary, ci bool, fault, proves string) Scenario {
	who := "a standby"
	expect := "the isolated standby is fenced (through the cut, like a BMC on its own network); the primary stays and keeps acknowledging writes; booted again the host rejoins"
	if primary {
		who = "the primary"
		expect = "the majority fences the isolated primary through the cut before promoting a standby; the VIP follows; booted again the old primary rejoins as a standby"
	}
	return Scenario{
		Name:   name,
		Fault:  fmt.Sprintf(fault, who),
		Expect: expect,
		Proves: proves,
		CI:     ci,
		Run: atPrimary(func(ctx context.Context, c *FaultCluster, r *Record, p int) error {
			v := p
			if !primary {
				v = c.Standby(p)
			}
			r.Fault()
			if err := c.L.Cut(ctx, v, mode); err != nil {
				return err
			}
			if err := lostAndBack(ctx, c, r, v, primary); err != nil {
				return err
			}
			if !primary {
				return samePrimary(ctx, c, p)
			}
			return nil
		}),
	}
}

func netScenarios() []Scenario {
	return []Scenario{
		cutScenario("cut-link-primary", CutLink, true, true, "the switch port of %s goes down (cable pulled)",
			"a partitioned primary is fenced before its successor is promoted: never two primaries"),
		cutScenario("drop-standby", CutDrop, false, false, "every frame to and from %s is dropped at the switch (silent, links stay up)",
			"a silent partition of a standby costs no failover"),
		cutScenario("oneway-in-primary", CutIn, true, false, "frames to %s are dropped: it talks but cannot hear",
			"a one-way partition is handled like a cut: the deaf primary is fenced, one primary"),
		cutScenario("oneway-out-primary", CutOut, true, false, "frames from %s are dropped: it hears but cannot talk",
			"a primary that hears the others but is not heard loses its lease and is fenced; no two primaries"),
		{
			Name:   "flapping-link",
			Fault:  "the primary's switch port goes down for 0.3 s and up for 1 s, again and again for 20 s (each cut shorter than the lan profile's failure detection)",
			Expect: "never two primaries; the host is either kept or fenced (if a cut outlasted failure detection); once the link is stable, the cluster converges (a fenced host boots and rejoins)",
			Proves: "a flapping link cannot make ward run PostgreSQL twice or lose a write",
			Run: atPrimary(func(ctx context.Context, c *FaultCluster, r *Record, p int) error {
				r.Fault()
				cuts := 0
				var first string
				for end := time.Now().Add(20 * time.Second); time.Now().Before(end); {
					if !c.Running(p) {
						break // fenced: its port stays down
					}
					if err := c.L.Cut(ctx, p, CutLink); err != nil {
						return err
					}
					down := time.Now()
					cuts++
					pause(ctx, 300*time.Millisecond)
					if !c.Running(p) {
						break
					}
					if err := c.L.Heal(ctx, p); err != nil {
						return err
					}
					if first == "" {
						first = fmt.Sprintf(" (first cut %s-%s)", down.Format("15:04:05.000"), time.Now().Format("15:04:05.000"))
					}
					pause(ctx, time.Second)
				}
				r.Notef("%d cuts of %s%s", cuts, c.L.Name(p), first)
				return recoverAll(ctx, c, r)
			}),
		},
		{
			Name:  "fence-device-failure",
			Fault: "the primary's fence device is broken (fails at once), then the primary's port goes down; after 25 s the device is repaired",
			Expect: "while the device fails: fencing is retried and alerted, PostgreSQL is promoted nowhere else and the VIP starts nowhere else (recovery blocked); " +
				"once repaired: the primary is fenced, a standby promoted, writes resume",
			Proves: "no recovery before fencing succeeds, and a failing device is visible to operators",
			Setup:  func(o *FaultOptions) { o.Policy.Alerts = true },
			Run: atPrimary(func(ctx context.Context, c *FaultCluster, r *Record, p int) error {
				if err := c.L.SetFenceFail(p, true); err != nil {
					return err
				}
				r.Fault()
				if err := c.L.Cut(ctx, p, CutLink); err != nil {
					return err
				}
				deadline := time.Now().Add(25 * time.Second)
				for time.Now().Before(deadline) {
					for _, q := range c.L.Primaries(ctx) {
						if q != p {
							return fmt.Errorf("%s was promoted while the fencing of %s failed", c.L.Name(q), c.L.Name(p))
						}
					}
					for i := 1; i <= c.L.cfg.Nodes; i++ {
						if i != p && c.L.HasAddr(i, c.L.VIP()) {
							return fmt.Errorf("the VIP started on %s while the fencing of %s failed", c.L.Name(i), c.L.Name(p))
						}
					}
					if !c.Running(p) {
						return fmt.Errorf("%s was powered off although its device is broken", c.L.Name(p))
					}
					pause(ctx, 200*time.Millisecond)
				}
				failed := 0
				for _, f := range c.Inv.Fences(r.FaultAt) {
					if f.Node == c.L.Name(p) && f.Result != "ok" {
						failed++
					}
				}
				if failed == 0 {
					return fmt.Errorf("no failed fencing of %s reported in 25 s", c.L.Name(p))
				}
				alerts, _ := os.ReadFile(c.L.AlertLog())
				n := 0
				for _, line := range strings.Split(string(alerts), "\n") {
					if strings.Contains(line, "kind=fencing") && strings.Contains(line, c.L.Name(p)) {
						n++
					}
				}
				if n == 0 {
					return fmt.Errorf("no fencing alert about %s in %s (%d failed fencings reported)", c.L.Name(p), c.L.AlertLog(), failed)
				}
				r.Notef("%d failed fencings and %d fencing alerts in 25 s, nothing recovered", failed, n)
				if err := c.L.SetFenceFail(p, false); err != nil {
					return err
				}
				repaired := time.Now()
				if _, err := c.WaitFenced(ctx, p, fenceLimit); err != nil {
					return fmt.Errorf("after the repair: %w", err)
				}
				r.Notef("fenced %.1fs after the repair", time.Since(repaired).Seconds())
				if _, err := c.Converge(ctx, convergeLimit); err != nil {
					return err
				}
				r.Recovered()
				return rejoin(ctx, c, r, p)
			}),
		},
	}
}

// recoverAll boots every host that was powered off and waits for the
// whole cluster.
func recoverAll(ctx context.Context, c *FaultCluster, r *Record) error {
	var off []int
	for i := 1; i <= c.L.cfg.Nodes; i++ {
		if !c.Running(i) {
			off = append(off, i)
		} else if err := c.L.Heal(ctx, i); err != nil {
			return err
		}
	}
	if len(off) < c.L.cfg.Nodes {
		if _, err := c.Converge(ctx, convergeLimit); err != nil {
			return err
		}
		r.Recovered()
	}
	for _, i := range off {
		if err := c.Boot(ctx, i, nil); err != nil {
			return err
		}
	}
	if len(off) > 0 {
		r.Notef("fenced: %s", names(c.L, off))
		d, err := c.Converge(ctx, convergeLimit)
		if err != nil {
			return err
		}
		if r.Recovery == 0 {
			r.Recovered()
		}
		r.Notef("rejoined in %.1fs", d.Seconds())
	}
	return nil
}
