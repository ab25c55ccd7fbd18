package sim

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/ward-ha/ward/api"
	"github.com/ward-ha/ward/heartbeat/heartbeattest"
)

// Options configure one simulation run.
type Options struct {
	// Seed draws the fault schedule.
	Seed uint64
	// Faults is the number of faults in the schedule; zero means 6.
	Faults int
	// Nodes is the cluster size; zero means 3.
	Nodes int
	// Dir holds the nodes' state and agent directories; "" makes (and
	// removes) a temporary one.
	Dir string
	// Converge bounds the time from the final heal to the policy's
	// placement; zero means 30 s.
	Converge time.Duration
	// Grace is how long after losing quorum a partition may still start
	// something (gossip and the DC lease lag behind a cut); zero means
	// 3 s.
	Grace time.Duration
	// Log receives the nodes' logs; nil discards them.
	Log io.Writer
	// LogLevel is the nodes' log level.
	LogLevel slog.Level
}

// Result is the outcome of one run.
type Result struct {
	// Seed and Faults are the run's options.
	Seed   uint64 `json:"seed"`
	Faults int    `json:"faults"`
	// Schedule is the fault schedule the seed drew.
	Schedule []Step `json:"schedule"`
	// Violations are the broken invariants, in the order seen.
	Violations []Violation `json:"violations"`
	// Converged is the time from the final heal to the policy's
	// placement; zero if it was not reached.
	Converged time.Duration `json:"converged_ns"`
	// Duration is the whole run.
	Duration time.Duration `json:"duration_ns"`
	// Replay is the command that plays the same schedule again.
	Replay string `json:"replay"`
	// Restarted are the nodes the final heal booted again.
	Restarted []string `json:"restarted,omitempty"`
	// Final says where things were when the run ended.
	Final string `json:"final"`
	// Counts are the starts, promotes and fences seen.
	Counts Counts `json:"counts"`
}

// OK reports whether the run broke no invariant.
func (r Result) OK() bool { return len(r.Violations) == 0 }

// netModel mirrors the faults the run put on the network, for the
// observer's idea of who can reach whom.
type netModel struct {
	// mu guards the following.
	mu     sync.Mutex
	cuts   map[[2]string]bool
	frozen map[string]bool
}

func (m *netModel) reachable(a, b string) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	return !m.cuts[[2]string{a, b}]
}

func (m *netModel) isFrozen(n string) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.frozen[n]
}

// Run runs one seed: boot the cluster, wait for the initial placement,
// play the schedule while checking the invariants, heal everything and
// check convergence. An error means the simulation itself could not
// run; broken invariants are in the Result.
func Run(ctx context.Context, o Options) (res Result, err error) {
	if o.Faults <= 0 {
		o.Faults = 6
	}
	if o.Nodes <= 0 {
		o.Nodes = 3
	}
	if o.Converge <= 0 {
		o.Converge = 30 * time.Second
	}
	if o.Grace <= 0 {
		o.Grace = 3 * time.Second
	}
	if o.Log == nil {
		o.Log = io.Discard
	}
	res = Result{Seed: o.Seed, Faults: o.Faults, Replay: fmt.Sprintf("ward sim --seed %d --faults %d --nodes %d", o.Seed, o.Faults, o.Nodes)}
	dir := o.Dir
	if dir == "" {
		d, err := os.MkdirTemp("", "ward-sim-")
		if err != nil {
			return res, fmt.Errorf("sim: seed %d: %w", o.Seed, err)
		}
		defer os.RemoveAll(d)
		dir = d
	}
	dir = filepath.Join(dir, fmt.Sprintf("seed-%d", o.Seed))
	names := nodeNames(o.Nodes)
	res.Schedule = NewSchedule(o.Seed, o.Faults, names)
	begin := time.Now()
	model := &netModel{cuts: map[[2]string]bool{}, frozen: map[string]bool{}}
	obs := &observer{begin: begin, names: names, needed: o.Nodes/2 + 1, grace: o.Grace,
		singles: []string{"vip"}, promos: map[string]int{"db": 1},
		isFrozen: model.isFrozen, reachable: model.reachable,
		minoritySince: map[string]time.Time{}, lost: map[string]*lostNode{}, dcs: map[uint64]map[string]bool{}, seen: map[string]bool{}}
	initial := simPolicy(names, "")
	c, err := newCluster(dir, initial, obs, o.Log, o.LogLevel)
	if err != nil {
		return res, err
	}
	obs.roleOn, obs.isUp, obs.inflight = c.roleOn, c.isUp, c.inflight
	prefs := map[string]string{digest(initial): ""}

	stopSample := make(chan struct{})
	sampled := make(chan struct{})
	go func() {
		defer close(sampled)
		t := time.NewTicker(5 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-stopSample:
				return
			case <-t.C:
				obs.sample()
			}
		}
	}()
	defer func() {
		c.shutdown()
		close(stopSample)
		<-sampled
		res.Violations = obs.result()
		res.Counts = obs.tally()
		res.Duration = time.Since(begin)
	}()

	for _, n := range names {
		if err := c.start(n); err != nil {
			return res, err
		}
	}
	obs.topology()
	if _, ok := waitFor(ctx, o.Converge, func() bool { return converged(c, prefs) }); !ok {
		obs.violate("no-convergence", fmt.Sprintf("the initial placement was not reached within %v", o.Converge))
		return res, ctx.Err()
	}

	for i, s := range res.Schedule {
		select {
		case <-ctx.Done():
			return res, ctx.Err()
		case <-time.After(s.After):
		}
		if err := play(c, model, s, o.Seed+uint64(i), names, prefs); err != nil {
			return res, fmt.Errorf("sim: seed %d: step %d (%s): %w", o.Seed, i, s, err)
		}
		obs.topology()
	}

	// The last fault heals: network, frozen nodes, fencing devices,
	// agents; every node that is down boots again.
	if err := healAll(c, model); err != nil {
		return res, fmt.Errorf("sim: seed %d: final heal: %w", o.Seed, err)
	}
	for _, n := range names {
		if c.isUp(n) {
			continue
		}
		if err := c.restart(n); err != nil {
			return res, fmt.Errorf("sim: seed %d: final heal: %w", o.Seed, err)
		}
		res.Restarted = append(res.Restarted, n)
	}
	obs.topology()
	// A fence still pending at the heal may power a node off after it:
	// as a fence action "reboot" would, such a node boots again.
	var rebootErr error
	took, ok := waitFor(ctx, o.Converge, func() bool {
		for _, n := range names {
			if c.isUp(n) || rebootErr != nil {
				continue
			}
			if rebootErr = c.restart(n); rebootErr != nil {
				return true
			}
			res.Restarted = append(res.Restarted, n)
			obs.topology()
		}
		return converged(c, prefs)
	})
	if rebootErr != nil {
		return res, fmt.Errorf("sim: seed %d: reboot after the heal: %w", o.Seed, rebootErr)
	}
	res.Final = describe(c)
	if ok {
		res.Converged = max(took, time.Nanosecond)
	} else if ctx.Err() == nil {
		obs.violate("no-convergence", fmt.Sprintf("%v after the last fault healed: %s", o.Converge, describe(c)))
	}
	return res, ctx.Err()
}

func nodeNames(n int) []string {
	var out []string
	for i := 1; i <= n; i++ {
		out = append(out, fmt.Sprintf("n%d", i))
	}
	return out
}

func digest(src string) string {
	h := sha256.Sum256([]byte(src))
	return hex.EncodeToString(h[:])
}

// play applies one step.
func play(c *cluster, m *netModel, s Step, seed uint64, names []string, prefs map[string]string) error {
	switch s.Kind {
	case FaultKill:
		c.crash(s.Node)
	case FaultRestart:
		if !c.isUp(s.Node) {
			m.mu.Lock()
			delete(m.frozen, s.Node) // a new boot is not frozen
			for k := range m.cuts {
				if k[0] == s.Node || k[1] == s.Node {
					delete(m.cuts, k)
				}
			}
			m.mu.Unlock()
			return c.restart(s.Node)
		}
	case FaultFreeze:
		if c.isUp(s.Node) {
			m.mu.Lock()
			m.frozen[s.Node] = true
			m.mu.Unlock()
			c.gateOf(s.Node).close()
			c.nw.Isolate(c.nodes[s.Node].addr)
		}
	case FaultPartition:
		in := map[string]bool{}
		for _, g := range s.Group {
			in[g] = true
		}
		m.mu.Lock()
		for _, a := range names {
			for _, b := range names {
				if in[a] && !in[b] {
					c.nw.Cut(c.nodes[a].addr, c.nodes[b].addr)
					m.cuts[[2]string{a, b}], m.cuts[[2]string{b, a}] = true, true
				}
			}
		}
		m.mu.Unlock()
	case FaultOneWay:
		c.nw.CutOneWay(c.nodes[s.Node].addr, c.nodes[s.Peer].addr)
		m.mu.Lock()
		m.cuts[[2]string{s.Node, s.Peer}] = true
		m.mu.Unlock()
	case FaultLossy:
		c.nw.SetLinkFaults(heartbeattest.LinkFaults{Loss: 0.05, Duplicate: 0.05, MaxDelay: 20 * time.Millisecond, Seed: seed})
	case FaultHeal:
		return healAll(c, m)
	case FaultMonitor:
		return c.injectFault(s.Node, s.Resource, s.Action, "1")
	case FaultHang:
		return c.injectFault(s.Node, s.Resource, s.Action, "hang")
	case FaultFence:
		c.setFenceFails(s.Node, true)
	case FaultPolicy:
		src := simPolicy(names, s.Prefer)
		prefs[digest(src)] = s.Prefer
		_ = c.apply(src) // refused without a DC or quorum: that is fine
	default:
		return fmt.Errorf("unknown fault %q", s.Kind)
	}
	return nil
}

// healAll heals the network, thaws frozen nodes, ends link faults,
// repairs the fencing devices and removes pending agent faults.
func healAll(c *cluster, m *netModel) error {
	c.nw.SetLinkFaults(heartbeattest.LinkFaults{})
	m.mu.Lock()
	clear(m.cuts)
	frozen := m.frozen
	m.frozen = map[string]bool{}
	m.mu.Unlock()
	c.nw.HealAll()
	for n := range frozen {
		c.gateOf(n).open()
	}
	for _, n := range c.names {
		c.setFenceFails(n, false)
		files, _ := filepath.Glob(filepath.Join(c.nodes[n].agentDir, "*.fail-*"))
		for _, f := range files {
			if err := os.Remove(f); err != nil && !os.IsNotExist(err) {
				return err
			}
		}
	}
	return nil
}

// converged reports whether the cluster reached the live policy's
// placement: one agreed DC, every node online, the transition complete,
// vip on exactly one node (the preferred one, if any), db running on
// every node and promoted on exactly one.
func converged(c *cluster, prefs map[string]string) bool {
	dc := c.dc()
	if dc == "" {
		return false
	}
	st, ok := c.status(dc)
	if !ok || st.Transition == nil || st.Transition.State != "complete" || !st.Quorum.Quorate {
		return false
	}
	for _, n := range st.Nodes {
		if n.State != api.StateOnline {
			return false
		}
	}
	if len(st.Nodes) != len(c.names) {
		return false
	}
	vip := c.holding("vip")
	if len(vip) != 1 || len(c.holding("db")) != len(c.names) || len(c.promoted("db")) != 1 {
		return false
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	info, err := c.nodes[dc].ctrl.Policy(ctx)
	if err != nil {
		return false
	}
	if p, known := prefs[info.SHA256]; known && p != "" && vip[0] != p {
		return false
	}
	return true
}

// describe says where things are, for a convergence failure.
func describe(c *cluster) string {
	var b strings.Builder
	fmt.Fprintf(&b, "DC %q, vip on %v, db on %v promoted on %v", c.dc(), c.holding("vip"), c.holding("db"), c.promoted("db"))
	for _, n := range c.names {
		if st, ok := c.status(n); ok && st.Transition != nil {
			fmt.Fprintf(&b, "; %s: transition %s", n, st.Transition.State)
		}
	}
	return b.String()
}

// waitFor polls cond every 50 ms until it holds, limit passes or ctx
// ends; it returns how long that took.
func waitFor(ctx context.Context, limit time.Duration, cond func() bool) (time.Duration, bool) {
	begin := time.Now()
	t := time.NewTicker(50 * time.Millisecond)
	defer t.Stop()
	for !cond() {
		if time.Since(begin) > limit {
			return time.Since(begin), false
		}
		select {
		case <-ctx.Done():
			return time.Since(begin), false
		case <-t.C:
		}
	}
	return time.Since(begin), true
}
