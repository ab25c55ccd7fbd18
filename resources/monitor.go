package resources

import (
	"context"
	"sort"
	"time"
)

// monitor is one recurring monitor. Executor.mu guards its fields.
type monitor struct {
	spec  MonitorSpec
	gen   uint64 // identifies this monitor among replacements
	timer interface{ Stop() bool }
	busy  bool    // a run is queued or running
	last  *Result // previous run, for Result.Changed
}

// monitorRef names a due monitor run.
type monitorRef struct {
	resource string
	interval time.Duration
	gen      uint64
}

func (m *monitor) stopTimerLocked() {
	if m.timer != nil {
		m.timer.Stop()
		m.timer = nil
	}
}

// StartMonitor enables a recurring monitor, replacing any monitor of the
// same resource with the same interval. Its first run happens at once
// (when Run is running, otherwise when Run starts); each next run starts
// Interval after the previous one ended. Every run's result goes to the
// Reporter. StartMonitor does not block on the agent.
func (e *Executor) StartMonitor(spec MonitorSpec) error {
	if err := spec.check(); err != nil {
		return err
	}
	if spec.Timeout == 0 {
		spec.Timeout = DefaultTimeout
	}
	if spec.Expect == 0 {
		spec.Expect = OK
	}
	spec.Params = cloneMap(spec.Params)
	spec.Meta = cloneMap(spec.Meta)
	e.mu.Lock()
	r := e.rscLocked(spec.Resource)
	var gen uint64 = 1
	if old := r.monitors[spec.Interval]; old != nil {
		old.stopTimerLocked()
		gen = old.gen + 1
	}
	m := &monitor{spec: spec, gen: gen}
	r.monitors[spec.Interval] = m
	running := e.running
	if running {
		e.due = append(e.due, monitorRef{spec.Resource, spec.Interval, gen})
	}
	e.mu.Unlock()
	if running {
		e.signal()
	}
	return nil
}

// StopMonitor disables the recurring monitor of resource with interval
// and reports whether there was one. A run in progress finishes (and is
// reported) but is not followed by another. The controller stops a
// resource's monitors before it stops, demotes or promotes it.
func (e *Executor) StopMonitor(resource string, interval time.Duration) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	r := e.rscs[resource]
	if r == nil {
		return false
	}
	m := r.monitors[interval]
	if m == nil {
		return false
	}
	m.stopTimerLocked()
	delete(r.monitors, interval)
	return true
}

// Monitors returns the recurring monitors enabled for resource, by
// interval.
func (e *Executor) Monitors(resource string) []MonitorSpec {
	e.mu.Lock()
	defer e.mu.Unlock()
	r := e.rscs[resource]
	if r == nil {
		return nil
	}
	out := make([]MonitorSpec, 0, len(r.monitors))
	for _, m := range r.monitors {
		out = append(out, m.spec)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Interval < out[j].Interval })
	return out
}

// armLocked schedules m's next run Interval from now.
func (e *Executor) armLocked(r *rsc, m *monitor) {
	m.stopTimerLocked()
	ref := monitorRef{r.id, m.spec.Interval, m.gen}
	m.timer = e.clock.AfterFunc(m.spec.Interval, func() { e.markDue(ref) })
}

// markDue queues a run of the monitor ref names, if it is still current.
func (e *Executor) markDue(ref monitorRef) {
	e.mu.Lock()
	r := e.rscs[ref.resource]
	ok := e.running && r != nil && r.monitors[ref.interval] != nil && r.monitors[ref.interval].gen == ref.gen
	if ok {
		e.due = append(e.due, ref)
	}
	e.mu.Unlock()
	if ok {
		e.signal()
	}
}

// runMonitor runs one due monitor, unless it was replaced, stopped, or is
// already running.
func (e *Executor) runMonitor(ctx context.Context, ref monitorRef) {
	e.mu.Lock()
	r := e.rscs[ref.resource]
	var m *monitor
	if r != nil {
		m = r.monitors[ref.interval]
	}
	if m == nil || m.gen != ref.gen || m.busy || !e.running {
		e.mu.Unlock()
		return
	}
	m.busy = true
	m.timer = nil
	spec := m.spec
	e.inflight.Add(1)
	e.mu.Unlock()
	defer e.inflight.Done()

	req := Request{Resource: spec.Resource, Agent: spec.Agent, Action: ActionMonitor,
		Params: spec.Params, Meta: spec.Meta, Timeout: spec.Timeout}
	// execute clears m.busy when the run completes; a run that never
	// started (shutdown while queued) clears it here.
	if _, err := e.execute(ctx, r, req, spec.Interval, spec.Expect, m); err != nil {
		e.mu.Lock()
		m.busy = false
		e.mu.Unlock()
		e.log.Debug("monitor run abandoned", "resource", spec.Resource, "interval", spec.Interval, "error", err)
	}
}

func cloneMap(m map[string]string) map[string]string {
	if m == nil {
		return nil
	}
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}
