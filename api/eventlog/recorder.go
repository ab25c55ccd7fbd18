package eventlog

import (
	"context"
	"log/slog"
	"time"

	"github.com/ward-ha/ward/api"
	"github.com/ward-ha/ward/internal/clock"
	"github.com/ward-ha/ward/policy"
)

// Source is what the Recorder observes: the node's api.Backend.
type Source interface {
	Status(ctx context.Context) (api.ClusterStatus, error)
	Policy(ctx context.Context) (api.PolicyInfo, error)
}

// Recorder polls a Source and appends what changed to a Log.
type Recorder struct {
	src      Source
	log      *Log
	clk      clock.Clock
	interval time.Duration
	logger   *slog.Logger
}

// DefaultInterval is how often the Recorder polls.
const DefaultInterval = 500 * time.Millisecond

// NewRecorder returns a recorder of src into l, polling every interval
// (DefaultInterval if <= 0) on clk (clock.Real() if nil). It starts
// nothing.
func NewRecorder(src Source, l *Log, clk clock.Clock, interval time.Duration, logger *slog.Logger) *Recorder {
	if clk == nil {
		clk = clock.Real()
	}
	if interval <= 0 {
		interval = DefaultInterval
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return &Recorder{src: src, log: l, clk: clk, interval: interval, logger: logger}
}

// Run polls until ctx is done and returns nil then. A failing poll is
// logged and retried at the next interval.
func (r *Recorder) Run(ctx context.Context) error {
	tr := NewTracker(r.log.Events(api.EventQuery{Kind: api.EventResource}).Events)
	var epoch uint64
	var wanted map[string]bool
	t := r.clk.NewTimer(0)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C():
		}
		st, err := r.src.Status(ctx)
		if err == nil && (wanted == nil || st.PolicyEpoch != epoch) {
			var pi api.PolicyInfo
			if pi, err = r.src.Policy(ctx); err == nil {
				wanted, epoch = Wanted(pi.Source), st.PolicyEpoch
			}
		}
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			r.logger.Debug("eventlog: cannot read the status; retrying", "err", err)
		} else if evs := tr.Step(st, wanted, r.clk.Now()); len(evs) > 0 {
			if _, err := r.log.Append(evs...); err != nil {
				r.logger.Error("eventlog: cannot append events; the event log misses them", "events", len(evs), "err", err)
			}
		}
		t.Reset(r.interval)
	}
}

// Wanted reads a policy source and says, per primitive, whether the
// policy wants it running: not when it, its group or its clone has
// target_role Stopped or is_managed false, nor in cluster maintenance.
// A source that does not parse gives an empty map (every resource
// wanted).
func Wanted(source string) map[string]bool {
	out := map[string]bool{}
	cfg, err := policy.Parse("live policy", []byte(source))
	if err != nil {
		return out
	}
	stoppedMeta := func(m policy.Meta) bool {
		return m.TargetRole == policy.RoleStopped || (m.IsManaged != nil && !*m.IsManaged)
	}
	off := map[string]bool{}
	for _, c := range cfg.Clones {
		if stoppedMeta(c.Meta) {
			off[c.Resource] = true
		}
	}
	for _, g := range cfg.Groups {
		if stoppedMeta(g.Meta) || off[g.ID] {
			for _, m := range g.Members {
				off[m] = true
			}
		}
	}
	for _, p := range cfg.Primitives {
		out[p.ID] = !cfg.Cluster.Maintenance && !off[p.ID] && !stoppedMeta(p.Meta)
	}
	return out
}
