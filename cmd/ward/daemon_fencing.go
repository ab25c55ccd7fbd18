package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync/atomic"
	"time"

	"github.com/spf13/pflag"

	"github.com/ward-ha/ward/controller"
	"github.com/ward-ha/ward/fencing"
	"github.com/ward-ha/ward/heartbeat"
	"github.com/ward-ha/ward/heartbeat/witness"
	"github.com/ward-ha/ward/policy"
)

// This file holds the parts of fencing that run beside the controller in
// `ward daemon`: the watchdog feeder (when the policy fences through the
// watchdog plugin) and the witness client (with --witness). The daemon
// adds the flags with addFencingAidFlags and runs what fencingAids
// returns, each on its own goroutine with the daemon's context.

// fencingAidOptions are the daemon's flags for them.
type fencingAidOptions struct {
	// watchdog is /dev/watchdog, or file:PATH for the simulated one.
	watchdog string
	// witness is the witness's host:port ("" none).
	witness string
}

// addFencingAidFlags adds --watchdog-device and --witness to f.
func addFencingAidFlags(f *pflag.FlagSet, o *fencingAidOptions) {
	f.StringVar(&o.watchdog, "watchdog-device", "/dev/watchdog", "watchdog of this node, used when the policy fences through the watchdog plugin (file:PATH: a simulated one, supervised by ward watchdog-sim)")
	f.StringVar(&o.witness, "witness", "", "address (host:port) of the cluster's ward witness (default: the policy's cluster.witness); must agree with the policy when both are set")
}

// witnessAddr returns the witness this daemon counts a vote for: the
// policy's cluster.witness, or --witness. Both may be given only if they
// agree: nodes that disagree on the witness disagree on quorum.
func witnessAddr(flag string, cfg *policy.Config) (string, error) {
	pol := cfg.Cluster.Witness
	switch {
	case flag == "":
		return pol, nil
	case pol == "" || pol == flag:
		return flag, nil
	}
	return "", fmt.Errorf("--witness %s differs from the policy's cluster.witness %s: every node must count the same witness; drop --witness (the policy is shared by every node) or change cluster.witness with ward policy apply", flag, pol)
}

// usesWatchdog reports whether cfg fences through the watchdog plugin.
func usesWatchdog(cfg *policy.Config) bool {
	for _, d := range cfg.Fencing.Devices {
		if d.Plugin == "watchdog" {
			return true
		}
	}
	return false
}

// fencingAids returns the goroutines to run: the watchdog feeder when
// cfg uses the watchdog plugin (the device is opened, which arms it, now:
// an error stops the daemon), the witness client when o.witness is set.
// witnessControl is what the witness client needs of the controller:
// *controller.Controller.
type witnessControl interface {
	SetWitnessVote(ctx context.Context, v witness.Vote, witnessTerm uint64) error
	WitnessInfo(ctx context.Context) (dc bool, term uint64, err error)
}

func fencingAids(o fencingAidOptions, cfg *policy.Config, node string, key []byte, hb *heartbeat.Cluster, ex controller.Executor, wc witnessControl, log *slog.Logger) ([]func(context.Context) error, error) {
	var runs []func(context.Context) error
	if usesWatchdog(cfg) {
		timeout := time.Duration(cfg.Cluster.WatchdogTimeout)
		if timeout <= 0 {
			return nil, errors.New("the policy fences through the watchdog plugin but cluster.watchdog_timeout is not set")
		}
		var dev fencing.WatchdogDevice
		var err error
		if path, ok := strings.CutPrefix(o.watchdog, "file:"); ok {
			dev, err = fencing.NewFileWatchdog(path, nil)
		} else {
			// The device resets the node half of watchdog_timeout after
			// the last feed.
			dev, err = fencing.OpenDevWatchdog(o.watchdog, timeout/2)
		}
		if err != nil {
			return nil, err
		}
		feeder := fencing.NewFeeder(dev, timeout, controller.WatchdogHealth(hb, ex), nil, log.With("component", "watchdog"))
		runs = append(runs, feeder.Run)
	}
	if o.witness != "" {
		// The controller learns each answer (the vote's view and lease,
		// the witness's highest term) before the heartbeat counts the
		// vote; it counts it only for that view and lease.
		// The DC flag is refreshed with each request (Term asks the
		// controller); the view function, called every few tens of
		// milliseconds to re-check the grant, only reads it.
		var isDC atomic.Bool
		term := func() uint64 {
			if wc == nil {
				return 0
			}
			ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
			defer cancel()
			dc, t, err := wc.WitnessInfo(ctx)
			if err != nil {
				return 0
			}
			isDC.Store(dc)
			return t
		}
		cc := witness.ClientConfig{Addr: o.witness, Cluster: cfg.Cluster.Name, Node: node, Key: key,
			PrimaryKey: hb.PrimaryKey, // follows ward key rotate
			Logger:     log.With("component", "witness"), Term: term}
		if wc != nil {
			cc.OnVote = func(v witness.Vote, term uint64) {
				ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
				defer cancel()
				if err := wc.SetWitnessVote(ctx, v, term); err != nil {
					log.Warn("the controller did not take the witness vote in time", "err", err)
				}
			}
		}
		c := witness.NewClient(cc)
		view := func() ([]string, bool) { return witnessView(hb.Membership()), isDC.Load() }
		runs = append(runs, func(ctx context.Context) error {
			return c.Run(ctx, time.Second, view, hb.SetWitnessGranted)
		})
	}
	return runs, nil
}

// witnessView lists the configured nodes this node sees present (alive
// or suspect, as the quorum and the controller count them), itself
// included (the witness is not a node).
func witnessView(m heartbeat.Membership) []string {
	var out []string
	for _, mb := range m.Members {
		if !mb.Witness && (mb.Self || mb.State.Present()) {
			out = append(out, mb.Name)
		}
	}
	return out
}
