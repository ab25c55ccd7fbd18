package resources

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"runtime"
	"runtime/debug"
	"sort"
	"sync"
	"time"

	"github.com/ward-ha/ward/internal/clock"
)

// Sentinel errors of the Executor.
var (
	// ErrStaleTerm is returned (wrapped) by Exec and Probe for a request
	// whose Term is lower than the highest term the executor has seen:
	// it comes from a DC that has been superseded.
	ErrStaleTerm = errors.New("resources: action from a stale DC term")
	// ErrStopped is returned by Exec, Probe and ProbeAll once Run has
	// begun to shut down, and is the cancellation cause of the
	// operations it abandoned.
	ErrStopped = errors.New("resources: executor stopped")
	// errTimeout is the cancellation cause of an operation whose timeout
	// fired.
	errTimeout = errors.New("operation timed out")
)

// Config configures an Executor.
type Config struct {
	// Agents resolves agent names. Required.
	Agents Resolver
	// NodeName is this node's name. When set, every call carries it as
	// the meta attribute on_node (OCF_RESKEY_CRM_meta_on_node), which
	// OCF agents use to name their node, unless the request sets it.
	NodeName string
	// Reporter receives every result. Nil drops them.
	Reporter Reporter
	// Clock drives timeouts and monitor intervals. Nil means clock.Real().
	Clock clock.Clock
	// Logger receives one debug line per operation and one warning per
	// failure. Nil discards.
	Logger *slog.Logger
	// MaxConcurrent caps the operations running at once on this node
	// (Pacemaker's node-action-limit). Zero means twice the CPUs.
	MaxConcurrent int
	// HistoryLimit bounds each resource's result log and failure log.
	// Zero means 32. History keeps the last 4 KiB of each result's
	// output, so a resource's history stays under about
	// 3 x HistoryLimit x 4 KiB.
	HistoryLimit int
	// Scrub, when set, rewrites every agent output and exit reason
	// before it is logged, kept or reported: the daemon masks the
	// policy's secret values with it.
	Scrub func(string) string
}

// Executor runs agent operations on this node: one at a time per
// resource, at most MaxConcurrent at a time in all, each bounded by its
// timeout; it runs recurring monitors, and remembers each resource's
// history and fail count. It holds no cluster policy: it does what it is
// asked and reports what happened. See the package documentation for the
// caller's duties.
type Executor struct {
	agents   Resolver
	node     string
	reporter Reporter
	clock    clock.Clock
	log      *slog.Logger
	limit    int
	scrub    func(string) string // Config.Scrub; nil: none
	slots    chan struct{}       // one token per running operation
	wake     chan struct{}       // cap 1: monitors became due
	stopped  chan struct{}       // closed when Run begins to shut down
	inflight sync.WaitGroup

	// mu guards the following.
	mu      sync.Mutex
	started bool // Run was called
	running bool // Run runs: monitors are armed
	closed  bool // Run is shutting down or returned: Exec refuses
	rscs    map[string]*rsc
	due     []monitorRef
	cancels map[uint64]context.CancelCauseFunc
	nextID  uint64
	seq     uint64
	term    uint64 // highest DC term seen
}

// rsc is the executor's state for one resource.
type rsc struct {
	id    string
	queue chan struct{} // cap 1: held while an operation of this resource runs
	// Executor.mu guards the following.
	hist     history
	monitors map[time.Duration]*monitor
}

// New returns an Executor. It starts nothing: call Run.
func New(cfg Config) (*Executor, error) {
	if cfg.Agents == nil {
		return nil, errors.New("resources: Config.Agents is nil; pass an agent registry (agents/registry)")
	}
	if cfg.MaxConcurrent < 0 || cfg.HistoryLimit < 0 {
		return nil, fmt.Errorf("resources: MaxConcurrent %d and HistoryLimit %d must not be negative", cfg.MaxConcurrent, cfg.HistoryLimit)
	}
	e := &Executor{
		agents:   cfg.Agents,
		node:     cfg.NodeName,
		reporter: cfg.Reporter,
		clock:    cfg.Clock,
		log:      cfg.Logger,
		limit:    cfg.HistoryLimit,
		scrub:    cfg.Scrub,
		wake:     make(chan struct{}, 1),
		stopped:  make(chan struct{}),
		rscs:     map[string]*rsc{},
		cancels:  map[uint64]context.CancelCauseFunc{},
	}
	if e.reporter == nil {
		e.reporter = ReporterFunc(func(Result) {})
	}
	if e.clock == nil {
		e.clock = clock.Real()
	}
	if e.log == nil {
		e.log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if e.limit == 0 {
		e.limit = 32
	}
	n := cfg.MaxConcurrent
	if n == 0 {
		n = 2 * runtime.NumCPU()
	}
	e.slots = make(chan struct{}, n)
	return e, nil
}

// Run runs recurring monitors until ctx ends. Exec and Probe work from
// New until Run returns (they run in their caller's goroutine). When ctx ends, Run cancels every operation in flight
// (killing agent processes), waits for them and for every monitor
// goroutine, and returns nil. Run may be called only once.
func (e *Executor) Run(ctx context.Context) error {
	e.mu.Lock()
	if e.started {
		e.mu.Unlock()
		return errors.New("resources: Executor.Run called twice")
	}
	e.started, e.running = true, true
	for _, r := range e.rscs {
		for _, m := range r.monitors {
			e.due = append(e.due, monitorRef{r.id, m.spec.Interval, m.gen})
		}
	}
	e.mu.Unlock()
	e.signal()

	var wg sync.WaitGroup
	for {
		select {
		case <-ctx.Done():
			e.shutdown()
			wg.Wait()
			e.inflight.Wait()
			return nil
		case <-e.wake:
			e.mu.Lock()
			due := e.due
			e.due = nil
			e.mu.Unlock()
			for _, ref := range due {
				wg.Add(1)
				go func() {
					defer wg.Done()
					e.runMonitor(ctx, ref)
				}()
			}
		}
	}
}

func (e *Executor) shutdown() {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.running = false
	e.closed = true
	close(e.stopped)
	for _, r := range e.rscs {
		for _, m := range r.monitors {
			m.stopTimerLocked()
		}
	}
	for _, cancel := range e.cancels {
		cancel(ErrStopped)
	}
	e.due = nil
}

func (e *Executor) signal() {
	select {
	case e.wake <- struct{}{}:
	default:
	}
}

// Exec runs one operation and returns its result. It blocks until the
// resource's earlier operations are done, a node slot is free, and the
// agent has finished or timed out. The result is also recorded in the
// resource's history and sent to the Reporter. The error is non-nil only
// when no operation ran: a bad request, ErrStopped, or ctx ending
// while the request waited in the queue (wrapping ctx's error). If ctx
// ends while the agent runs, the agent is killed and the result has
// KindCanceled. Exec is safe for concurrent use.
func (e *Executor) Exec(ctx context.Context, req Request) (Result, error) {
	if err := req.check(); err != nil {
		return Result{}, err
	}
	if req.Timeout == 0 {
		req.Timeout = DefaultTimeout
	}
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	e.mu.Lock()
	if e.closed {
		e.mu.Unlock()
		return Result{}, ErrStopped
	}
	if err := e.checkTermLocked(req); err != nil {
		e.mu.Unlock()
		return Result{}, err
	}
	r := e.rscLocked(req.Resource)
	e.nextID++
	id := e.nextID
	e.cancels[id] = cancel
	e.inflight.Add(1)
	e.mu.Unlock()
	defer func() {
		e.mu.Lock()
		delete(e.cancels, id)
		e.mu.Unlock()
		e.inflight.Done()
	}()
	return e.execute(ctx, r, req, 0, OK, nil)
}

// Probe runs a one-shot monitor of a resource to discover its state:
// OK (running), NotRunning, RunningPromoted, or a failure. It is Exec
// with Action set to monitor. The controller probes every resource the
// policy names when the node joins, and on demand (cleanup, refresh).
func (e *Executor) Probe(ctx context.Context, req Request) (Result, error) {
	req.Action = ActionMonitor
	return e.Exec(ctx, req)
}

// ProbeAll probes every request at once (still limited by MaxConcurrent
// and serialized per resource) and returns the results in the order of
// reqs. A request that could not run has a result with KindError and its
// reason in Error.
func (e *Executor) ProbeAll(ctx context.Context, reqs []Request) []Result {
	out := make([]Result, len(reqs))
	var wg sync.WaitGroup
	for i, req := range reqs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			res, err := e.Probe(ctx, req)
			if err != nil {
				res = Result{Resource: req.Resource, Agent: req.Agent, Action: ActionMonitor,
					Code: ErrGeneric, Kind: KindError, Error: err.Error()}
			}
			out[i] = res
		}()
	}
	wg.Wait()
	return out
}

func (e *Executor) rscLocked(id string) *rsc {
	r := e.rscs[id]
	if r == nil {
		r = &rsc{id: id, queue: make(chan struct{}, 1), monitors: map[time.Duration]*monitor{}}
		e.rscs[id] = r
	}
	return r
}

// execute waits for the resource's queue and a node slot, runs the
// operation, records and reports the result. mon is the recurring
// monitor this run belongs to, or nil.
func (e *Executor) execute(ctx context.Context, r *rsc, req Request, interval time.Duration, expect Code, mon *monitor) (Result, error) {
	select {
	case r.queue <- struct{}{}:
	case <-ctx.Done():
		return Result{}, fmt.Errorf("resources: %s %s: gave up waiting for the resource's previous operation: %w", req.Resource, req.Action, context.Cause(ctx))
	}
	defer func() { <-r.queue }()
	select {
	case e.slots <- struct{}{}:
	case <-ctx.Done():
		return Result{}, fmt.Errorf("resources: %s %s: gave up waiting for one of %d operation slots: %w", req.Resource, req.Action, cap(e.slots), context.Cause(ctx))
	}
	// The term may have moved on while the request waited, and the
	// caller may have given up on it (a start whose node lost quorum):
	// checked again at the moment the agent call would begin.
	e.mu.Lock()
	err := e.checkTermLocked(req)
	e.mu.Unlock()
	if err == nil && ctx.Err() != nil {
		err = fmt.Errorf("resources: %s %s: abandoned before its agent call began: %w", req.Resource, req.Action, context.Cause(ctx))
	}
	if err != nil {
		<-e.slots
		return Result{}, err
	}
	res := e.runOp(ctx, req, interval, expect)
	res.Term = req.Term
	<-e.slots

	e.mu.Lock()
	e.seq++
	res.Seq = e.seq
	res.Changed = true
	if mon != nil {
		res.Changed = mon.last == nil || mon.last.Code != res.Code || mon.last.Kind != res.Kind
		last := res
		mon.last = &last
		// Not busy from here: the next timer may fire (on a fake clock,
		// at once) and its run must not be skipped.
		mon.busy = false
		if cur := r.monitors[interval]; cur == mon && e.running {
			e.armLocked(r, mon)
		}
	}
	r.hist.addLocked(res, e.limit)
	e.mu.Unlock()

	if sev := res.Failure(); sev != SeverityNone {
		e.log.Warn("operation failed", "resource", res.Resource, "op", res.Key(), "agent", res.Agent,
			"rc", int(res.Code), "result", res.Code.String(), "kind", string(res.Kind), "severity", sev.String(),
			"reason", res.ExitReason, "error", res.Error, "output", lastLine(res.Output))
	} else {
		e.log.Debug("operation done", "resource", res.Resource, "op", res.Key(), "rc", int(res.Code), "duration", res.Duration())
	}
	e.reporter.Report(res)
	return res, nil
}

// runOp resolves the agent and runs one action under the timeout.
func (e *Executor) runOp(ctx context.Context, req Request, interval time.Duration, expect Code) Result {
	res := Result{
		Resource: req.Resource, Agent: req.Agent, Action: req.Action,
		Interval: interval, Expect: expect, Started: e.clock.Now(),
	}
	agent, err := e.agents.Lookup(req.Agent)
	if err != nil {
		res.Code, res.Kind, res.Error = ErrNotInstalled, KindError, err.Error()
		res.Finished = e.clock.Now()
		return res
	}
	meta := req.Meta
	if _, ok := meta["on_node"]; e.node != "" && !ok {
		meta = cloneMap(meta)
		if meta == nil {
			meta = map[string]string{}
		}
		meta["on_node"] = e.node
	}
	opCtx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	timer := e.clock.AfterFunc(req.Timeout, func() { cancel(errTimeout) })
	out := e.callAgent(opCtx, agent, Call{
		Resource: req.Resource, Action: req.Action, Params: req.Params, Meta: meta,
		Interval: interval, Timeout: req.Timeout, Notify: req.Notify,
	})
	timer.Stop()
	res.Finished = e.clock.Now()
	res.Code, res.Output, res.Truncated, res.Attributes = out.Code, out.Output, out.Truncated, out.Attributes
	res.ExitReason = out.ExitReason
	if e.scrub != nil {
		res.Output, res.ExitReason = e.scrub(res.Output), e.scrub(res.ExitReason)
	}
	switch cause := context.Cause(opCtx); {
	case errors.Is(cause, errTimeout):
		res.Code, res.Kind = ErrGeneric, KindTimeout
		res.Error = fmt.Sprintf("%s %s timed out after %v; the agent's processes were killed (raise the op's timeout if the agent is just slow)", req.Resource, req.Action, req.Timeout)
	case opCtx.Err() != nil:
		res.Code, res.Kind = ErrGeneric, KindCanceled
		res.Error = fmt.Sprintf("%s %s canceled: %v; the resource's state is unknown until probed", req.Resource, req.Action, cause)
	case out.Err != nil:
		res.Kind, res.Error = KindError, out.Err.Error()
	}
	return res
}

// callAgent calls agent.Do, turning a panic of an in-process agent into a
// failed operation: one broken agent must not take the node's executor
// (and every resource it runs) down with it.
func (e *Executor) callAgent(ctx context.Context, agent Agent, c Call) (out Outcome) {
	defer func() {
		if p := recover(); p != nil {
			e.log.Error("agent panicked; reporting the operation as failed", "resource", c.Resource, "action", c.Action,
				"panic", fmt.Sprint(p), "stack", string(debug.Stack()))
			out = Outcome{Code: ErrGeneric, Err: fmt.Errorf("agent panicked during %s of %s: %v (a bug in the agent: report it)", c.Action, c.Resource, p)}
		}
	}()
	return agent.Do(ctx, c)
}

func lastLine(s string) string {
	for len(s) > 0 && (s[len(s)-1] == '\n' || s[len(s)-1] == ' ') {
		s = s[:len(s)-1]
	}
	for i := len(s) - 1; i >= 0; i-- {
		if s[i] == '\n' {
			return s[i+1:]
		}
	}
	return s
}

// History returns what the executor remembers of resource, and false
// when it knows nothing of it. The result is a copy.
func (e *Executor) History(resource string) (History, bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	r := e.rscs[resource]
	if r == nil {
		return History{}, false
	}
	return r.hist.snapshot(resource), true
}

// Resources returns the IDs of every resource the executor knows
// (operated on, or monitored), sorted.
func (e *Executor) Resources() []string {
	e.mu.Lock()
	defer e.mu.Unlock()
	ids := make([]string, 0, len(e.rscs))
	for id := range e.rscs {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	return ids
}

// ClearFailures resets resource's fail count and failure log (an
// operator's cleanup). Its op history stays.
func (e *Executor) ClearFailures(resource string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if r := e.rscs[resource]; r != nil {
		r.hist.failCount = 0
		r.hist.lastFailure = time.Time{}
		r.hist.failures = nil
	}
}

// Forget drops everything the executor knows of resource (it was
// removed from the policy). It fails while the resource has recurring
// monitors: stop them first.
func (e *Executor) Forget(resource string) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	r := e.rscs[resource]
	if r == nil {
		return nil
	}
	if len(r.monitors) > 0 {
		return fmt.Errorf("resources: forget %q: it still has %d recurring monitors; stop them first", resource, len(r.monitors))
	}
	if len(r.queue) > 0 {
		return fmt.Errorf("resources: forget %q: an operation is running; retry when it is done", resource)
	}
	delete(e.rscs, resource)
	return nil
}

// ObserveTerm raises the highest DC term the executor has seen to term
// (it never lowers it) and returns the result. The controller calls it
// at start-up with the persisted highest term, and whenever it sees a
// higher one; from then on requests of lower terms are refused.
func (e *Executor) ObserveTerm(term uint64) uint64 {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.term = max(e.term, term)
	return e.term
}

// checkTermLocked refuses a request of a stale term and raises the mark
// for a newer one.
func (e *Executor) checkTermLocked(req Request) error {
	if req.Term == 0 {
		return nil
	}
	if req.Term < e.term {
		return fmt.Errorf("%w: %s %s was sent in term %d, but term %d is current; the old DC must not act",
			ErrStaleTerm, req.Resource, req.Action, req.Term, e.term)
	}
	e.term = req.Term
	return nil
}
