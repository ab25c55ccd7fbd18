package lab

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// Scenario is one entry of the fault catalogue: a fault injected into a
// running cluster (PostgreSQL primary/standby + VIP, a writer through
// the VIP, the invariants checked all along) and the outcome it must
// have.
type Scenario struct {
	// Name identifies the scenario (--only).
	Name string
	// Fault says what is done.
	Fault string
	// Expect is the outcome the scenario checks.
	Expect string
	// Proves says what a pass shows about ward.
	Proves string
	// CI marks the scenarios of the integration test's subset.
	CI bool
	// Setup adjusts the cluster's options before it is built.
	Setup func(o *FaultOptions)
	// Run injects the fault and checks the expectation; an error says
	// what happened instead.
	Run func(ctx context.Context, c *FaultCluster, r *Record) error
}

// Record is what a scenario notes while it runs.
type Record struct {
	// FaultAt is when the fault was injected.
	FaultAt time.Time
	// Recovery is the time from FaultAt until the scenario saw its
	// expected outcome (0 when it did not say).
	Recovery time.Duration
	// Notes say what happened.
	Notes []string
}

// Fault marks the injection of the fault now.
func (r *Record) Fault() { r.FaultAt = time.Now() }

// Recovered marks the expected outcome as reached now.
func (r *Record) Recovered() { r.Recovery = time.Since(r.FaultAt) }

// Notef adds a note.
func (r *Record) Notef(format string, args ...any) {
	r.Notes = append(r.Notes, fmt.Sprintf(format, args...))
}

// Result is the outcome of one scenario.
type Result struct {
	Scenario string `json:"scenario"`
	// Pass is true when the expectation was met, no invariant was broken
	// and no acknowledged write was lost.
	Pass bool `json:"pass"`
	// Outcome says what happened, in a line.
	Outcome    string        `json:"outcome"`
	RecoveryMS int64         `json:"recovery_ms"`
	MaxGapMS   int64         `json:"max_write_gap_ms"`
	Violations []Violation   `json:"violations"`
	Acked      int           `json:"acked"`
	Lost       int           `json:"lost"`
	Seconds    float64       `json:"seconds"`
	Notes      []string      `json:"notes,omitempty"`
	LogsKept   string        `json:"logs_kept,omitempty"`
	Duration   time.Duration `json:"-"`
}

// RunOptions are the runner's settings.
type RunOptions struct {
	// Prefix starts the lab's namespace names ("wardfc-").
	Prefix string
	// Exe is the ward binary the hosts run.
	Exe string
	// KeepDir, when set, receives the logs of every failed scenario
	// (of every scenario with KeepAll).
	KeepDir string
	// KeepAll keeps the logs of passed scenarios too.
	KeepAll bool
	// Log receives progress.
	Log *slog.Logger
	// Timeout bounds one scenario (default 6 minutes).
	Timeout time.Duration
}

// Warmup is how long the writer runs before a scenario's fault.
const Warmup = 2 * time.Second

// RunScenario builds a fresh cluster, runs sc on it, then checks every
// acknowledged write and collects the violations.
func RunScenario(ctx context.Context, sc Scenario, ro RunOptions) Result {
	start := time.Now()
	res := Result{Scenario: sc.Name}
	if ro.Timeout == 0 {
		ro.Timeout = 6 * time.Minute
	}
	if ro.Log == nil {
		ro.Log = slog.New(slog.DiscardHandler)
	}
	ctx, cancel := context.WithTimeout(ctx, ro.Timeout)
	defer cancel()
	o := FaultOptions{Prefix: ro.Prefix, Exe: ro.Exe, Nodes: 3, Log: ro.Log,
		Policy: FaultPolicyOptions{PolicyOptions: PolicyOptions{Synchronous: true, Fast: true}}}
	if sc.Setup != nil {
		sc.Setup(&o)
	}
	c, err := StartFaultCluster(ctx, o)
	if err != nil {
		res.Outcome = "fail: the cluster did not start: " + err.Error()
		res.Duration = time.Since(start)
		res.Seconds = res.Duration.Seconds()
		return res
	}
	rec := &Record{}
	// Two seconds of acknowledged writes before the fault, so that the
	// final check has something to lose.
	var runErr error
	if _, err := c.WaitAck(ctx, time.Now().Add(Warmup), 30*time.Second); err != nil {
		runErr = fmt.Errorf("no write acknowledged before the fault: %w", err)
	} else {
		runErr = sc.Run(ctx, c, rec)
	}
	end := time.Now()
	acked, lost, werr := c.CheckWrites(ctx)
	res.Acked, res.Lost = acked, lost
	res.Violations = c.Inv.Violations()
	if res.Violations == nil {
		res.Violations = []Violation{}
	}
	res.Notes = rec.Notes
	if !rec.FaultAt.IsZero() {
		res.MaxGapMS = c.MaxGap(rec.FaultAt, end).Milliseconds()
	}
	res.RecoveryMS = rec.Recovery.Milliseconds()
	switch {
	case runErr != nil:
		res.Outcome = "fail: " + runErr.Error()
	case werr != nil:
		res.Outcome = "fail: " + werr.Error()
	case len(res.Violations) > 0:
		res.Outcome = fmt.Sprintf("fail: %d invariant violation(s)", len(res.Violations))
	default:
		res.Pass = true
		res.Outcome = "pass"
		if len(rec.Notes) > 0 {
			res.Outcome += ": " + strings.Join(rec.Notes, "; ")
		}
	}
	keep := ""
	if (!res.Pass || ro.KeepAll) && ro.KeepDir != "" {
		keep = filepath.Join(ro.KeepDir, sc.Name)
		res.LogsKept = keep
	}
	c.Close(keep)
	res.Duration = time.Since(start)
	res.Seconds = float64(res.Duration.Milliseconds()) / 1000
	return res
}

// FindScenarios returns the scenarios named in only (all when empty), or
// an error naming the unknown ones.
func FindScenarios(all []Scenario, only []string) ([]Scenario, error) {
	if len(only) == 0 {
		return all, nil
	}
	var out []Scenario
	var unknown []string
	for _, n := range only {
		found := false
		for _, s := range all {
			if s.Name == n {
				out = append(out, s)
				found = true
			}
		}
		if !found {
			unknown = append(unknown, n)
		}
	}
	if len(unknown) > 0 {
		var names []string
		for _, s := range all {
			names = append(names, s.Name)
		}
		return nil, fmt.Errorf("unknown scenario(s) %s (known: %s)", strings.Join(unknown, ", "), strings.Join(names, ", "))
	}
	return out, nil
}

// logTail returns the last n lines of host i's daemon log.
func (c *FaultCluster) logTail(i, n int) string {
	b, err := os.ReadFile(c.L.DaemonLog(i))
	if err != nil {
		return ""
	}
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
