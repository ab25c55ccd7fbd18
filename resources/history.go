package resources

import (
	"sort"
	"time"
)

// History is what the executor remembers of one resource on this node.
// The controller reads it to build the cluster status (op history, fail
// counts) after a restart of the DC or on join.
type History struct {
	Resource string `json:"resource"`
	// Last holds the latest result of each operation key ("start_0",
	// "monitor_10000", ...), sorted by key.
	Last []Result `json:"last"`
	// Log holds the latest results, oldest first, at most
	// Config.HistoryLimit of them.
	Log []Result `json:"log"`
	// FailCount counts failures since the last ClearFailures;
	// LastFailure is when the latest happened (zero when none).
	FailCount   int       `json:"fail_count"`
	LastFailure time.Time `json:"last_failure,omitzero"`
	// Failures are the most recent failed results, oldest first, at most
	// Config.HistoryLimit of them.
	Failures []Result `json:"failures,omitempty"`
}

// history is the mutable form of History, guarded by Executor.mu.
type history struct {
	last        map[string]Result
	log         []Result
	failCount   int
	lastFailure time.Time
	failures    []Result
}

// historyOutputLimit is how much of an operation's output history keeps
// per entry (the tail, where errors are). The caller of Exec and the
// Reporter get the whole captured output; history, which lives as long
// as the daemon, keeps a little of it for each of many entries.
const historyOutputLimit = 4 << 10

// addLocked records r, keeping at most limit entries in each log.
func (h *history) addLocked(r Result, limit int) {
	if n := len(r.Output); n > historyOutputLimit {
		r.Output = "[...]" + r.Output[n-historyOutputLimit:]
		r.Truncated = true
	}
	if h.last == nil {
		h.last = map[string]Result{}
	}
	h.last[r.Key()] = r
	h.log = appendBounded(h.log, r, limit)
	if r.Failure() != SeverityNone {
		h.failCount++
		h.lastFailure = r.Finished
		h.failures = appendBounded(h.failures, r, limit)
	}
}

func appendBounded(s []Result, r Result, limit int) []Result {
	if len(s) >= limit {
		// Copy instead of reslicing so the dropped results can be freed.
		s = append(s[:0:0], s[len(s)-limit+1:]...)
	}
	return append(s, r)
}

func (h *history) snapshot(resource string) History {
	out := History{
		Resource:    resource,
		Log:         append([]Result(nil), h.log...),
		FailCount:   h.failCount,
		LastFailure: h.lastFailure,
		Failures:    append([]Result(nil), h.failures...),
	}
	for _, r := range h.last {
		out.Last = append(out.Last, r)
	}
	sort.Slice(out.Last, func(i, j int) bool { return out.Last[i].Key() < out.Last[j].Key() })
	return out
}
