package lab

import (
	"context"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"syscall"
	"time"

	"github.com/ward-ha/ward/api"
)

// SoakOptions configure RunSoak.
type SoakOptions struct {
	// Prefix starts the lab's namespace names ("wardfs-").
	Prefix string
	// Exe is the ward binary.
	Exe string
	// Duration is how long faults are injected.
	Duration time.Duration
	// Interval is the time between two faults (default 30 s); a fault
	// whose recovery takes longer is followed at once by the next.
	Interval time.Duration
	// Seed draws the schedule.
	Seed int64
	// KeepDir receives the logs when the soak fails.
	KeepDir string
	// KeepAll keeps the logs in KeepDir even when the soak passes, to
	// study a slow recovery.
	KeepAll bool
	// Log receives the harness's progress.
	Log *slog.Logger
	// Progress, when set, gets one line per fault.
	Progress func(string)
	// Faults, when set, restricts the faults drawn to these names
	// (SoakFaults lists them).
	Faults []string
	// PrimaryOnly aims every fault at the primary's host (the canary's
	// host for canary faults) instead of a random host half the time.
	PrimaryOnly bool
}

// SoakFaults returns the names of the faults the soak draws from.
func SoakFaults() []string {
	var n []string
	for _, f := range soakFaults {
		n = append(n, f.name)
	}
	return n
}

// SoakResult is the outcome of a soak.
type SoakResult struct {
	Seed        int64       `json:"seed"`
	Seconds     float64     `json:"seconds"`
	Faults      int         `json:"faults_injected"`
	Schedule    []string    `json:"schedule"`
	Acked       int         `json:"writes_acked"`
	Lost        int         `json:"writes_lost"`
	MaxOutageMS int64       `json:"max_outage_ms"`
	Fences      int         `json:"fences_ok"`
	Violations  []Violation `json:"violations"`
	// Failures are recoveries that did not happen (no convergence).
	Failures []string `json:"failures"`
	LoadAvg  string   `json:"loadavg,omitempty"`
	LogsKept string   `json:"logs_kept,omitempty"`
	Error    string   `json:"error,omitempty"`
}

// OK reports a soak with no violation, no lost write, no failed
// recovery and no error.
func (r SoakResult) OK() bool {
	return r.Error == "" && len(r.Violations) == 0 && r.Lost == 0 && len(r.Failures) == 0
}

// soakFault is one kind of fault of the soak: inject returns what it
// did; waitFence says whether its victim must be fenced before healing.
type soakFault struct {
	name      string
	waitFence bool
	inject    func(ctx context.Context, c *FaultCluster, v int) error
}

var soakFaults = []soakFault{
	{"kill9-daemon", true, func(ctx context.Context, c *FaultCluster, v int) error {
		return c.SignalDaemon(ctx, v, syscall.SIGKILL)
	}},
	{"kill-postgres", false, func(ctx context.Context, c *FaultCluster, v int) error {
		pid, err := c.PostmasterPid(v)
		if err != nil {
			return err
		}
		return syscall.Kill(pid, syscall.SIGKILL)
	}},
	{"freeze", true, func(ctx context.Context, c *FaultCluster, v int) error {
		_, err := c.L.Freeze(v)
		return err
	}},
	{"cut-link", true, func(ctx context.Context, c *FaultCluster, v int) error { return c.L.Cut(ctx, v, CutLink) }},
	{"cut-drop", true, func(ctx context.Context, c *FaultCluster, v int) error { return c.L.Cut(ctx, v, CutDrop) }},
	{"oneway-in", true, func(ctx context.Context, c *FaultCluster, v int) error { return c.L.Cut(ctx, v, CutIn) }},
	{"oneway-out", true, func(ctx context.Context, c *FaultCluster, v int) error { return c.L.Cut(ctx, v, CutOut) }},
	{"power-off", true, func(ctx context.Context, c *FaultCluster, v int) error { return c.L.PowerOff(ctx, v) }},
	{"vip-removed", false, func(ctx context.Context, c *FaultCluster, v int) error { return c.L.DelAddr(ctx, v, c.L.VIP()) }},
	{"canary-monitor-fails", false, func(ctx context.Context, c *FaultCluster, v int) error {
		return c.L.CanaryFault(v, "monitor", "1")
	}},
	{"flap-link", false, func(ctx context.Context, c *FaultCluster, v int) error {
		for range 3 {
			if !c.Running(v) {
				return nil
			}
			if err := c.L.Cut(ctx, v, CutLink); err != nil {
				return err
			}
			pause(ctx, 1500*time.Millisecond)
			if !c.Running(v) {
				return nil
			}
			if err := c.L.Heal(ctx, v); err != nil {
				return err
			}
			pause(ctx, 1500*time.Millisecond)
		}
		return nil
	}},
	{"policy-apply", false, func(ctx context.Context, c *FaultCluster, v int) error {
		src, err := policyWith(c, 100+v+int(time.Now().Unix()%50))
		if err != nil {
			return err
		}
		_, err = withDC(ctx, c, 60*time.Second, "a policy apply", func(ctx context.Context, cl *api.Client) error {
			_, e := cl.ApplyPolicy(ctx, api.ApplyRequest{Source: src})
			return e
		})
		return err
	}},
}

// RunSoak runs a cluster with the writer and the invariants for
// o.Duration, injecting a random fault every o.Interval and repairing
// (healing cuts, booting fenced hosts) after each.
func RunSoak(ctx context.Context, o SoakOptions) SoakResult {
	res := SoakResult{Seed: o.Seed, Schedule: []string{}, Violations: []Violation{}, Failures: []string{}}
	if o.Interval == 0 {
		o.Interval = 30 * time.Second
	}
	progress := o.Progress
	if progress == nil {
		progress = func(string) {}
	}
	start := time.Now()
	c, err := StartFaultCluster(ctx, FaultOptions{Prefix: o.Prefix, Exe: o.Exe, Nodes: 3, Log: o.Log,
		Policy: FaultPolicyOptions{PolicyOptions: PolicyOptions{Synchronous: true, Fast: true}, Canary: true}})
	if err != nil {
		res.Error = "the cluster did not start: " + err.Error()
		return res
	}
	faults := soakFaults
	if len(o.Faults) > 0 {
		faults = nil
		for _, f := range soakFaults {
			if slices.Contains(o.Faults, f.name) {
				faults = append(faults, f)
			}
		}
		if len(faults) != len(o.Faults) {
			res.Error = fmt.Sprintf("unknown soak fault in %v (known: %v)", o.Faults, SoakFaults())
			c.Close("")
			return res
		}
	}
	rng := rand.New(rand.NewPCG(uint64(o.Seed), 0x5eed))
	soakStart := time.Now()
	end := soakStart.Add(o.Duration)
	for k := 1; time.Now().Before(end) && ctx.Err() == nil; k++ {
		slot := soakStart.Add(time.Duration(k-1) * o.Interval)
		if d := time.Until(slot); d > 0 {
			pause(ctx, d)
		}
		f := faults[rng.IntN(len(faults))]
		v := 1 + rng.IntN(c.L.cfg.Nodes)
		if f.name == "vip-removed" || rng.IntN(2) == 0 || o.PrimaryOnly {
			if p, err := c.Primary(ctx, 5*time.Second); err == nil {
				v = p
			}
		}
		if f.name == "canary-monitor-fails" {
			if h, err := canaryHost(ctx, c); err == nil {
				v = h
			}
		}
		role := "standby"
		if ps := c.L.Primaries(ctx); len(ps) == 1 && ps[0] == v {
			role = "primary"
		}
		t0 := time.Now()
		line := fmt.Sprintf("+%4.0fs fault %d: %s %s (%s)", t0.Sub(soakStart).Seconds(), k, f.name, c.L.Name(v), role)
		res.Schedule = append(res.Schedule, fmt.Sprintf("%s %s", f.name, c.L.Name(v)))
		res.Faults++
		if err := f.inject(ctx, c, v); err != nil {
			line += fmt.Sprintf(" inject error: %v", err)
		}
		note, err := soakRepair(ctx, c, v, f.waitFence, t0)
		line += note
		if err != nil {
			res.Failures = append(res.Failures, fmt.Sprintf("fault %d (%s %s): %v", k, f.name, c.L.Name(v), err))
			line += fmt.Sprintf(" NOT RECOVERED: %v", err)
			progress(line)
			break // the cluster is in an unknown state: stop here
		}
		line += fmt.Sprintf(", recovered %.1fs, write gap %.1fs", time.Since(t0).Seconds(), c.MaxGap(t0, time.Now()).Seconds())
		progress(line)
	}
	stopAt := time.Now()
	res.MaxOutageMS = c.MaxGap(soakStart, stopAt).Milliseconds()
	for _, f := range c.Inv.Fences(soakStart) {
		if f.Result == "ok" {
			res.Fences++
		}
	}
	acked, lost, werr := c.CheckWrites(ctx)
	res.Acked, res.Lost = acked, lost
	if werr != nil {
		res.Error = werr.Error()
	}
	res.Violations = append(res.Violations, c.Inv.Violations()...)
	res.Seconds = time.Since(start).Seconds()
	keep := ""
	if (!res.OK() || o.KeepAll) && o.KeepDir != "" {
		keep = filepath.Join(o.KeepDir, fmt.Sprintf("soak-%d", o.Seed))
		res.LogsKept = keep
	}
	c.Close(keep)
	return res
}

// soakRepair waits for the victim to be fenced (when the fault should
// end that way), heals every cut, thaws, boots every host that is off
// and waits for the cluster to converge.
func soakRepair(ctx context.Context, c *FaultCluster, v int, waitFence bool, t0 time.Time) (string, error) {
	note := ""
	if waitFence {
		if _, err := c.WaitFenced(ctx, v, fenceLimit); err == nil {
			note = fmt.Sprintf(", fenced %.1fs", time.Since(t0).Seconds())
		} else {
			note = ", not fenced"
		}
	}
	for i := 1; i <= c.L.cfg.Nodes; i++ {
		if c.Running(i) {
			if err := c.L.Heal(ctx, i); err != nil {
				return note, err
			}
			if _, err := c.L.Thaw(i); err != nil {
				return note, err
			}
		}
	}
	c.L.ClearCanaryFaults(v)
	for i := 1; i <= c.L.cfg.Nodes; i++ {
		if c.Running(i) {
			continue
		}
		// Boot only after the cluster's fencing of it, or that fencing
		// would power the new boot off.
		if err := c.WaitFenceOK(ctx, i, t0.Add(-time.Second), fenceLimit); err != nil {
			return note, err
		}
		if err := c.Boot(ctx, i, nil); err != nil {
			return note, err
		}
	}
	_, err := c.Converge(ctx, convergeLimit)
	return note, err
}
