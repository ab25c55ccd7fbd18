// Package witness is ward's tie-breaker for two-node clusters: a small
// server on a third machine (`ward witness --listen ADDR`) that holds one
// quorum vote and gives it to one side of a split only.
//
// Each node asks for the vote every Lease/3 (Client.Run), telling the
// witness which nodes it sees alive (its view) and whether it is the DC.
// The witness grants the vote for one view at a time, for a lease:
//
//   - a request whose view equals the granted view renews it;
//   - a request from a member of the granted view whose view contains
//     the whole granted view (the side grew: a heal) moves the grant to
//     the larger view;
//   - any other request is refused while the lease runs. Once it has
//     expired, the witness collects requests for a decision window and
//     grants the side with the DC, else the side holding the lowest node
//     name. The first window after the witness starts lasts at least a
//     lease: a grant given before a restart has expired everywhere
//     before a new one is given (nothing is persisted).
//
// A node counts the witness vote only for the view it asked with, and
// only until its own lease ends (measured from when it sent the request,
// so never later than the witness's). After a cut, each side's view
// shrinks, its old grant no longer counts, and only one side can obtain
// the new one: the other loses quorum and stops.
//
// Requests and answers are authenticated with an HMAC-SHA256 of the
// cluster key; answers echo the request's nonce (no replay).
//
// Callers must: build the server with New (the key, lease and clock) and
// serve Handler; on each node, build a Client and run Client.Run with a
// View function and a Granted callback (heartbeat.Cluster.SetWitnessGranted).
package witness

import (
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sort"
	"sync"
	"time"

	"github.com/ward-ha/ward/internal/clock"
)

// Request is one node's request for the witness vote.
type Request struct {
	// Cluster is the cluster's name; the witness serves one cluster.
	Cluster string `json:"cluster"`
	// Node is the requesting node.
	Node string `json:"node"`
	// View lists the nodes the requester sees alive, itself included.
	View []string `json:"view"`
	// DC reports that the requester is the DC.
	DC bool `json:"dc,omitempty"`
	// Nonce is echoed in the answer.
	Nonce string `json:"nonce"`
	// SentUnixMS is the requester's clock when it sent the request.
	SentUnixMS int64 `json:"sent_unix_ms"`
	// Term is the highest DC term the requester has seen.
	Term uint64 `json:"term,omitempty"`
}

// Response is the witness's answer.
type Response struct {
	// Granted reports that the vote is the requester's view's until
	// LeaseMS after the request was sent.
	Granted bool `json:"granted"`
	// LeaseMS is the lease length.
	LeaseMS int64 `json:"lease_ms"`
	// Holder is the view that holds the vote (empty when none).
	Holder []string `json:"holder"`
	// Nonce is the request's.
	Nonce string `json:"nonce"`
	// Reason says why the vote was or was not granted.
	Reason string `json:"reason"`
	// Term is the highest DC term any request told this witness since
	// it started. A node that wins the DC role with the witness vote
	// claims above it, so the two sides of a split never lead the same
	// term one after the other (the witness is the only voter they
	// share, and it does not vote per term).
	Term uint64 `json:"term,omitempty"`
}

// Config configures a Witness.
type Config struct {
	// Cluster is the only cluster name served.
	Cluster string
	// Lease is how long a grant lasts (default 3s). Nodes hold it for
	// at most that long after sending the request.
	Lease time.Duration
	// Decide is the decision window after a lease expired (default
	// Lease/2): requests are collected, then one side is chosen.
	Decide time.Duration
	// Clock is the time source; nil means clock.Real().
	Clock clock.Clock
	// Logger receives grants and refusals; nil discards.
	Logger *slog.Logger
}

// Witness decides who holds the vote. It is safe for concurrent use.
type Witness struct {
	cluster       string
	lease, decide time.Duration
	clk           clock.Clock
	log           *slog.Logger

	mu sync.Mutex
	// holder, until, window and candidates are guarded by mu.
	holder     []string  // granted view, sorted
	until      time.Time // lease end (zero: none)
	window     time.Time // end of the decision window (zero: none open)
	candidates map[string]candidate
	term       uint64 // highest term requested with
}

type candidate struct {
	view []string
	dc   bool
}

// New returns a Witness.
func New(cfg Config) (*Witness, error) {
	if cfg.Cluster == "" {
		return nil, errors.New("witness: the cluster name is empty")
	}
	w := &Witness{cluster: cfg.Cluster, lease: cfg.Lease, decide: cfg.Decide, clk: cfg.Clock, log: cfg.Logger,
		candidates: map[string]candidate{}}
	if w.lease <= 0 {
		w.lease = 3 * time.Second
	}
	if w.decide <= 0 {
		w.decide = w.lease / 2
	}
	if w.clk == nil {
		w.clk = clock.Real()
	}
	if w.log == nil {
		w.log = slog.New(slog.DiscardHandler)
	}
	// A witness that just started may have granted the vote before it
	// stopped, and the holder counts that grant for up to a lease after
	// its last request. Its first decision window therefore lasts at
	// least a lease: granting another side sooner would give both sides
	// of a split the vote at once (both quorate, two DCs). The window
	// also lets it hear the terms of both sides before it grants.
	w.window = w.clk.Now().Add(max(w.lease, w.decide))
	return w, nil
}

// Vote answers one request.
func (w *Witness) Vote(req Request) (resp Response) {
	view := normalize(req.View)
	resp = Response{LeaseMS: w.lease.Milliseconds(), Nonce: req.Nonce}
	if req.Cluster != w.cluster {
		resp.Reason = fmt.Sprintf("this witness serves cluster %q, not %q", w.cluster, req.Cluster)
		return resp
	}
	if !slices.Contains(view, req.Node) {
		resp.Reason = "the requester is not in its own view"
		return resp
	}
	now := w.clk.Now()
	w.mu.Lock()
	defer w.mu.Unlock()
	w.term = max(w.term, req.Term)
	// resp is the named result: the holder and term go into every answer.
	defer func() { resp.Holder, resp.Term = append([]string(nil), w.holder...), w.term }()
	if now.Before(w.until) {
		switch {
		case slices.Equal(view, w.holder):
			resp.Granted, resp.Reason = true, "renewed"
		case slices.Contains(w.holder, req.Node) && containsAll(view, w.holder):
			w.log.Info("witness vote moves to a larger view (the partition healed)", "from", w.holder, "to", view)
			w.holder = view
			resp.Granted, resp.Reason = true, "view grew"
		default:
			resp.Reason = "the vote is held by another view"
			return resp
		}
		w.until = now.Add(w.lease)
		return resp
	}
	// No valid lease: collect candidates for a decision window (New
	// opens the first one).
	if w.window.IsZero() {
		w.window = now.Add(w.decide)
		clear(w.candidates)
		if len(w.holder) > 0 {
			w.log.Warn("witness lease expired; deciding which side gets the vote", "last_holder", w.holder, "window", w.decide)
		}
	}
	w.candidates[req.Node] = candidate{view: view, dc: req.DC}
	if now.Before(w.window) {
		resp.Reason = "deciding"
		return resp
	}
	chosen := w.choose()
	w.window = time.Time{}
	clear(w.candidates)
	w.holder, w.until = chosen, now.Add(w.lease)
	w.log.Info("witness vote granted", "view", chosen)
	if slices.Equal(view, chosen) {
		resp.Granted, resp.Reason = true, "granted"
	} else {
		resp.Reason = "the vote went to another view"
	}
	return resp
}

// choose picks among the candidates: a view with the DC, else the view
// holding the lowest node name (ties: the larger view, then the first by
// name). w.mu must be held.
func (w *Witness) choose() []string {
	nodes := make([]string, 0, len(w.candidates))
	for n := range w.candidates {
		nodes = append(nodes, n)
	}
	sort.Strings(nodes)
	var best []string
	bestDC := false
	for _, n := range nodes {
		c := w.candidates[n]
		switch {
		case best == nil:
		case c.dc && !bestDC:
		case c.dc == bestDC && better(c.view, best):
		default:
			continue
		}
		best, bestDC = c.view, c.dc
	}
	return best
}

// better reports whether view a wins over b without a DC: it holds the
// lowest node name, then it is larger.
func better(a, b []string) bool {
	if a[0] != b[0] {
		return a[0] < b[0]
	}
	return len(a) > len(b)
}

// Holder returns the view holding the vote and the lease end.
func (w *Witness) Holder() ([]string, time.Time) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]string(nil), w.holder...), w.until
}

// normalize sorts and deduplicates a view, dropping empty names.
func normalize(v []string) []string {
	out := make([]string, 0, len(v))
	for _, n := range v {
		if n != "" {
			out = append(out, n)
		}
	}
	sort.Strings(out)
	return slices.Compact(out)
}

// containsAll reports whether every element of sub is in set (both
// sorted).
func containsAll(set, sub []string) bool {
	for _, s := range sub {
		if _, ok := slices.BinarySearch(set, s); !ok {
			return false
		}
	}
	return true
}
