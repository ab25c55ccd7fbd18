package fencing

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"strings"
	"time"

	"github.com/ward-ha/ward/internal/clock"
	"github.com/ward-ha/ward/policy"
)

// Config configures a Fencer.
type Config struct {
	// Node is this node's name (recorded as the executor of each result).
	Node string
	// Plugins builds devices by plugin name; nil means Builtins().
	Plugins map[string]Plugin
	// Clock times delays and timeouts; nil means clock.Real().
	Clock clock.Clock
	// Logger receives one line per attempt; nil discards.
	Logger *slog.Logger
	// Random draws the random part of each device's delay (delay_max);
	// nil means NewRandom(Node, the current time).
	Random *Random
}

// Options are the per-call options of FenceWith.
type Options struct {
	// Action overrides every device's action (off or reboot); "" keeps
	// each device's own (default reboot).
	Action string
	// ExtraDelay is waited once before the first device, on top of the
	// devices' own delays: the priority delay (PriorityDelay).
	ExtraDelay time.Duration
}

// Result is the outcome of one Fence call.
type Result struct {
	// Target is the node to fence; Action is off or reboot.
	Target string
	Action string
	// Device is the device (or "+"-joined devices of a topology level)
	// that fenced the node, or the last one tried.
	Device string
	// Executor is the node that ran the devices.
	Executor string
	// OK reports that the target is known to be off (or reset).
	OK bool
	// Err says why not.
	Err string
	// Started and Completed bound the attempt.
	Started, Completed time.Time
}

// Fencer runs fencing devices. It is safe for concurrent use.
type Fencer struct {
	node    string
	plugins map[string]Plugin
	clk     clock.Clock
	log     *slog.Logger
	rand    *Random
}

// New returns a Fencer. It starts nothing.
func New(cfg Config) *Fencer {
	f := &Fencer{node: cfg.Node, plugins: cfg.Plugins, clk: cfg.Clock, log: cfg.Logger, rand: cfg.Random}
	if f.plugins == nil {
		f.plugins = Builtins()
	}
	if f.clk == nil {
		f.clk = clock.Real()
	}
	if f.log == nil {
		f.log = slog.New(slog.DiscardHandler)
	}
	if f.rand == nil {
		f.rand = NewRandom(cfg.Node, uint64(f.clk.Now().UnixNano()))
	}
	return f
}

// ErrNoDevice is reported (in Result.Err) when no device can fence the
// target.
var ErrNoDevice = errors.New("fencing: no device can fence this node")

// Fence fences target with the devices cfg gives it: each topology level
// in index order (every device of a level must succeed), or, without
// levels, each device that names target in policy order until one
// succeeds. Each device waits its delay (static delay plus a random
// part below delay_max), then tries 1+retries times, each attempt
// bounded by its timeout. Fence blocks until done or ctx ends.
func (f *Fencer) Fence(ctx context.Context, cfg *policy.Config, target string) Result {
	return f.FenceWith(ctx, cfg, target, Options{})
}

// FenceWith is Fence with options: an action for every device, and an
// extra delay (the priority delay) waited once before the first device.
func (f *Fencer) FenceWith(ctx context.Context, cfg *policy.Config, target string, o Options) (r Result) {
	r = Result{Target: target, Action: "reboot", Executor: f.node, Started: f.clk.Now()}
	defer func() { r.Completed = f.clk.Now() }()
	if target == f.node {
		r.Err = fmt.Sprintf("fencing: node %s was asked to fence itself; refused (another node must fence it)", target)
		return r
	}
	plan := f.plan(cfg, target)
	if len(plan) == 0 {
		r.Err = fmt.Sprintf("%v: %s (add a [[fencing.device]] whose nodes list it)", ErrNoDevice, target)
		return r
	}
	if o.Action != "" && o.Action != "off" && o.Action != "reboot" {
		r.Err = fmt.Sprintf("fencing: action %q is not off or reboot", o.Action)
		return r
	}
	if o.ExtraDelay > 0 {
		f.log.Info("waiting for the priority fencing delay: the target runs the more important resources", "target", target, "delay", o.ExtraDelay)
		if err := f.wait(ctx, o.ExtraDelay); err != nil {
			r.Err = fmt.Sprintf("fencing: %s: priority delay: %v", target, err)
			return r
		}
	}
	var errs []string
	for _, level := range plan {
		names := make([]string, len(level))
		ok := true
		for i, d := range level {
			names[i] = d.ID
			if o.Action != "" {
				d.Action = o.Action
			}
			if d.Action != "" {
				r.Action = d.Action
			}
			if err := f.runDevice(ctx, cfg, d, target); err != nil {
				errs = append(errs, err.Error())
				ok = false
				break
			}
		}
		r.Device = strings.Join(names, "+")
		if ok {
			r.OK = true
			r.Err = ""
			f.log.Info("node fenced", "target", target, "device", r.Device, "action", r.Action)
			return r
		}
		if ctx.Err() != nil {
			break
		}
	}
	r.Err = strings.Join(errs, "; ")
	return r
}

// plan returns the device groups to try in order.
func (f *Fencer) plan(cfg *policy.Config, target string) [][]policy.FenceDevice {
	if cfg == nil {
		return nil
	}
	byID := map[string]policy.FenceDevice{}
	for _, d := range cfg.Fencing.Devices {
		byID[d.ID] = d
	}
	var levels []policy.FenceLevel
	for _, l := range cfg.Fencing.Levels {
		if l.Node == target {
			levels = append(levels, l)
		}
	}
	var out [][]policy.FenceDevice
	if len(levels) > 0 {
		sort.SliceStable(levels, func(i, j int) bool { return levels[i].Index < levels[j].Index })
		for _, l := range levels {
			var g []policy.FenceDevice
			for _, id := range l.Devices {
				if d, ok := byID[id]; ok {
					g = append(g, d)
				}
			}
			if len(g) > 0 {
				out = append(out, g)
			}
		}
		return out
	}
	for _, d := range cfg.Fencing.Devices {
		for _, n := range d.Nodes {
			if n == target {
				out = append(out, []policy.FenceDevice{d})
				break
			}
		}
	}
	return out
}

// runDevice waits the device's delay and tries it 1+retries times.
func (f *Fencer) runDevice(ctx context.Context, cfg *policy.Config, d policy.FenceDevice, target string) error {
	plugin, ok := f.plugins[d.Plugin]
	if !ok && d.Plugin == "watchdog" {
		// The watchdog plugin needs the cluster's watchdog_timeout and
		// the clock: one wait, no attempt timeout, no retry.
		if cfg.Cluster.TwoNode {
			// Under two_node the lone peer stays quorate too, so it
			// never stops and its watchdog never fires: waiting would
			// "fence" a node that still runs everything.
			return fmt.Errorf("fencing: device %q: watchdog fencing cannot settle a two_node split (the peer stays quorate and keeps running); use a power device or a witness", d.ID)
		}
		w, err := NewWatchdogWait(time.Duration(cfg.Cluster.WatchdogTimeout), f.clk)
		if err != nil {
			return fmt.Errorf("fencing: device %q: %w", d.ID, err)
		}
		if delay := f.deviceDelay(d); delay > 0 {
			if err := f.wait(ctx, delay); err != nil {
				return fmt.Errorf("fencing: device %q: %w", d.ID, err)
			}
		}
		f.log.Info("watchdog fencing: waiting watchdog_timeout, after which the node has stopped its resources or reset itself",
			"target", target, "device", d.ID, "watchdog_timeout", time.Duration(cfg.Cluster.WatchdogTimeout))
		return w.Fence(ctx, target, target, "reboot")
	}
	if !ok {
		return notBuilt(d)
	}
	dev, err := plugin(d)
	if err != nil {
		return err
	}
	if delay := f.deviceDelay(d); delay > 0 {
		f.log.Info("waiting for the device's fencing delay", "target", target, "device", d.ID, "delay", delay)
		if err := f.wait(ctx, delay); err != nil {
			return fmt.Errorf("fencing: device %q: %w", d.ID, err)
		}
	}
	port := target
	if p := d.HostMap[target]; p != "" {
		port = p
	}
	action := d.Action
	if action == "" {
		action = "reboot"
	}
	timeout := time.Duration(d.Timeout)
	if timeout <= 0 {
		timeout = time.Duration(policy.DefaultFenceTimeout)
	}
	tries := 1 + policy.DefaultFenceRetries
	if d.Retries != nil {
		tries = 1 + *d.Retries
	}
	var last error
	for i := 0; i < tries; i++ {
		if i > 0 {
			if err := f.wait(ctx, time.Duration(i)*time.Second); err != nil {
				return fmt.Errorf("fencing: device %q: %w", d.ID, err)
			}
		}
		actx, cancel := context.WithTimeout(ctx, timeout)
		last = dev.Fence(actx, target, port, action)
		cancel()
		if last == nil {
			return nil
		}
		f.log.Warn("fencing attempt failed", "target", target, "device", d.ID, "attempt", i+1, "of", tries, "err", last)
		if ctx.Err() != nil {
			break
		}
	}
	return last
}

func (f *Fencer) wait(ctx context.Context, d time.Duration) error {
	t := f.clk.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C():
		return nil
	}
}
