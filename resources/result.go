package resources

import (
	"strconv"
	"time"
)

// Result is the record of one finished operation.
type Result struct {
	// Seq numbers results in the order the executor finished them,
	// from 1.
	Seq      uint64 `json:"seq"`
	Resource string `json:"resource"`
	Agent    string `json:"agent"`
	Action   string `json:"action"`
	// Interval is the recurring monitor's interval; zero for one-shot
	// operations and probes.
	Interval time.Duration `json:"interval,omitempty"`
	// Expect is what a recurring monitor expects (OK, or
	// RunningPromoted for a promoted instance's monitor).
	Expect Code `json:"expect,omitempty"`
	// Code is the OCF code; Kind says whether the agent completed.
	Code Code `json:"rc"`
	Kind Kind `json:"kind,omitempty"`
	// Output is the agent's output, capped; Truncated says bytes were
	// dropped.
	Output    string `json:"output,omitempty"`
	Truncated bool   `json:"truncated,omitempty"`
	// ExitReason is the agent's own one-line explanation of a failure.
	ExitReason string `json:"exit_reason,omitempty"`
	// Error explains a KindError, KindTimeout or KindCanceled result.
	Error string `json:"error,omitempty"`
	// Started and Finished come from the executor's clock.
	Started  time.Time `json:"started"`
	Finished time.Time `json:"finished"`
	// Attributes are node attributes the agent asked to set (see
	// Outcome.Attributes).
	Attributes map[string]string `json:"attributes,omitempty"`
	// Term is the request's DC term (zero for monitors and local
	// calls); the controller reports the result to that term's DC only.
	Term uint64 `json:"term,omitempty"`
	// Changed reports, for a recurring monitor, that this result's code
	// or kind differs from the previous run's (always true for the
	// first run and for one-shot operations). Callers that forward
	// monitor results may drop the unchanged ones.
	Changed bool `json:"changed"`
}

// Duration is how long the operation took.
func (r Result) Duration() time.Duration { return r.Finished.Sub(r.Started) }

// Probe reports whether r is a one-shot monitor: a probe that discovers
// the resource's state rather than checking an expectation.
func (r Result) Probe() bool { return r.Action == ActionMonitor && r.Interval == 0 }

// Key names the operation as Pacemaker does: "start_0", "monitor_10000"
// (interval in milliseconds). History keeps the last result per key.
func (r Result) Key() string {
	return r.Action + "_" + strconv.FormatInt(r.Interval.Milliseconds(), 10)
}

// Failure returns how severe a failure r is, or SeverityNone when r is
// not a failure:
//   - an operation that timed out or was canceled is a soft failure; one
//     that could not run (KindError) is as severe as its code;
//   - a probe succeeds with 0, 7 or 8: those are states it discovered;
//   - a recurring monitor succeeds only with the code it expects (0, or
//     8 for a promoted instance): 7 means the resource died;
//   - a stop succeeds with 0 or 7 (already stopped);
//   - every other action succeeds with 0 only.
//
// A failure's severity is its code's Recovery: soft (recover here), hard
// (ban this node) or fatal (ban everywhere).
func (r Result) Failure() Severity {
	switch r.Kind {
	case KindTimeout, KindCanceled:
		return SeveritySoft
	case KindError:
		return r.Code.Recovery()
	}
	ok := false
	switch {
	case r.Probe():
		ok = r.Code == OK || r.Code == NotRunning || r.Code == RunningPromoted
	case r.Action == ActionMonitor:
		ok = r.Code == r.Expect
	case r.Action == ActionStop:
		ok = r.Code == OK || r.Code == NotRunning
	default:
		ok = r.Code == OK
	}
	if ok {
		return SeverityNone
	}
	return r.Code.Recovery()
}

// Reporter receives every result the executor produces: those of Exec
// and Probe calls (which their callers also get back) and every run of
// every recurring monitor. It is how the controller learns of monitor
// failures (Result.Failure() != SeverityNone).
type Reporter interface {
	// Report is called once per finished operation, from the executor's
	// goroutines: concurrently for different resources, in order for one
	// resource. It must not block for long (hand the result to a
	// goroutine of your own) and must not call back into the Executor
	// synchronously. r is the callee's to keep.
	Report(r Result)
}

// ReporterFunc adapts a function to Reporter.
type ReporterFunc func(Result)

// Report calls f(r).
func (f ReporterFunc) Report(r Result) { f(r) }
