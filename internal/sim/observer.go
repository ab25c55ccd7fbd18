package sim

import (
	"fmt"
	"sort"
	"sync"
	"time"
)

// Violation is one broken invariant.
type Violation struct {
	// Kind names the invariant: two-active, promoted-max,
	// start-without-quorum, recovered-before-fencing, two-dc,
	// stale-term, no-convergence.
	Kind string `json:"kind"`
	// Detail says what was seen.
	Detail string `json:"detail"`
	// At is the time since the run began.
	At time.Duration `json:"at_ns"`
}

// lostNode is a node cut off from the majority (crashed, frozen,
// isolated, on the minority side): what it held since, and whether it
// was fenced since.
type lostNode struct {
	since time.Time
	held  map[string]string // resource -> role seen while lost
	// pending are the starts and promotes that were under way in the
	// node's agents when it was lost or since (resource -> role they
	// may leave): the node may complete them at any time (a thaw), so
	// they count as held.
	pending map[string]string
	fenced  bool
}

// observer checks the invariants: on every recorded event and on a
// sampling tick.
type observer struct {
	begin     time.Time
	names     []string
	needed    int           // votes for quorum
	ignoreNQ  bool          // no_quorum_policy = ignore
	grace     time.Duration // gossip lag allowed before a minority knows it
	singles   []string      // non-clone resources
	promos    map[string]int
	roleOn    func(node, rsc string) string
	inflight  func(node string) map[string]string // nil: not tracked
	isUp      func(node string) bool
	isFrozen  func(node string) bool
	reachable func(from, to string) bool

	// mu guards the following.
	mu            sync.Mutex
	minoritySince map[string]time.Time
	lost          map[string]*lostNode
	dcs           map[uint64]map[string]bool
	seen          map[string]bool
	violations    []Violation
	counts        Counts
}

// Counts are what happened during a run, to tell a quiet run from a
// busy one.
type Counts struct {
	Starts   int `json:"starts"`
	Promotes int `json:"promotes"`
	Fences   int `json:"fences"`
	// LateMinority counts starts and promotes in a partition that had
	// lost quorum, within the grace (allowed: the DC lease and the
	// gossip view lag behind a cut).
	LateMinority int `json:"late_minority"`
	// Refences counts fences of a node that was already powered off
	// and had not booted since (a liveness bug: see docs/reliability.md,
	// Found).
	Refences int `json:"refences"`
	// Fenced counts the fences per victim.
	Fenced map[string]int `json:"fenced,omitempty"`
}

func (o *observer) violate(kind, detail string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.violateLocked(kind, detail)
}

func (o *observer) violateLocked(kind, detail string) {
	key := kind + "|" + detail
	if o.seen[key] {
		return
	}
	o.seen[key] = true
	o.violations = append(o.violations, Violation{Kind: kind, Detail: detail, At: time.Since(o.begin)})
}

// dispatched records that node acted as DC of term.
func (o *observer) dispatched(term uint64, node string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.dcs[term] == nil {
		o.dcs[term] = map[string]bool{}
	}
	o.dcs[term][node] = true
	if len(o.dcs[term]) > 1 {
		var who []string
		for n := range o.dcs[term] {
			who = append(who, n)
		}
		sort.Strings(who)
		o.violateLocked("two-dc", fmt.Sprintf("term %d: %v dispatched as DC", term, who))
	}
}

// action checks a successful start or promote of rsc on node.
func (o *observer) action(kind, node, rsc string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if kind == "promote" {
		o.counts.Promotes++
	} else {
		o.counts.Starts++
	}
	now := time.Now()
	since, minority := o.minoritySince[node]
	if minority && now.Sub(since) <= o.grace {
		o.counts.LateMinority++
	}
	if minority && !o.ignoreNQ && now.Sub(since) > o.grace {
		o.violateLocked("start-without-quorum", fmt.Sprintf("%s of %s on %s, %v after its partition lost quorum", kind, rsc, node, now.Sub(since).Round(time.Millisecond)))
	}
	for x, l := range o.lost {
		if x == node || l.fenced {
			continue
		}
		role, how := l.held[rsc], "holding it"
		if p := l.pending[rsc]; p != "" && (role == "" || p == "promoted") {
			role, how = p, "with an agent call under way that may leave it"
		}
		_, promotable := o.promos[rsc]
		if (kind == "start" && !promotable && role != "") || (kind == "promote" && role == "promoted") {
			o.violateLocked("recovered-before-fencing", fmt.Sprintf("%s of %s on %s while %s (lost %v before, %s %s) was not fenced",
				kind, rsc, node, x, now.Sub(l.since).Round(time.Millisecond), how, role))
		}
	}
	o.sampleLocked()
}

// fenced records that the device powered node off; wasOff if it was
// off already.
func (o *observer) fenced(node string, wasOff bool) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.counts.Fences++
	if wasOff {
		o.counts.Refences++
	}
	if o.counts.Fenced == nil {
		o.counts.Fenced = map[string]int{}
	}
	o.counts.Fenced[node]++
	if l := o.lost[node]; l != nil {
		l.fenced = true
	}
}

// topology recomputes who is in a quorate partition after a fault: the
// connected components of the nodes that are up and not frozen, over
// links that carry traffic both ways.
func (o *observer) topology() {
	o.mu.Lock()
	defer o.mu.Unlock()
	now := time.Now()
	comp := map[string]int{}
	size := map[int]int{}
	id := 0
	for _, n := range o.names {
		if _, done := comp[n]; done || !o.isUp(n) || o.isFrozen(n) {
			continue
		}
		id++
		stack := []string{n}
		comp[n] = id
		for len(stack) > 0 {
			a := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			size[id]++
			for _, b := range o.names {
				if _, done := comp[b]; done || !o.isUp(b) || o.isFrozen(b) || !o.reachable(a, b) || !o.reachable(b, a) {
					continue
				}
				comp[b] = id
				stack = append(stack, b)
			}
		}
	}
	major := 0
	for c, s := range size {
		if s >= o.needed {
			major = c
		}
	}
	for _, n := range o.names {
		c, ok := comp[n]
		if ok && c == major && major != 0 {
			delete(o.minoritySince, n)
			delete(o.lost, n)
			continue
		}
		if _, was := o.minoritySince[n]; !was {
			o.minoritySince[n] = now
		}
		if major != 0 && o.lost[n] == nil {
			o.lost[n] = &lostNode{since: now, held: map[string]string{}, pending: map[string]string{}}
		}
	}
	o.sampleLocked()
}

// sample checks the state invariants now.
func (o *observer) sample() {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.sampleLocked()
}

func (o *observer) sampleLocked() {
	for x, l := range o.lost {
		if l.fenced {
			continue
		}
		for _, r := range o.singles {
			if role := o.roleOn(x, r); role != "" {
				l.held[r] = role
			}
		}
		for r := range o.promos {
			if role := o.roleOn(x, r); role != "" && l.held[r] != "promoted" {
				l.held[r] = role
			}
		}
		if o.inflight != nil {
			for r, role := range o.inflight(x) {
				if l.pending[r] != "promoted" {
					l.pending[r] = role
				}
			}
		}
	}
	for _, r := range o.singles {
		var on []string
		for _, n := range o.names {
			if o.roleOn(n, r) != "" {
				on = append(on, n)
			}
		}
		if len(on) > 1 {
			o.violateLocked("two-active", fmt.Sprintf("%s active on %v at once, none of them fenced", r, on))
		}
	}
	for r, limit := range o.promos {
		var on []string
		for _, n := range o.names {
			if o.roleOn(n, r) == "promoted" {
				on = append(on, n)
			}
		}
		if len(on) > limit {
			o.violateLocked("promoted-max", fmt.Sprintf("%s promoted on %v, promoted_max %d", r, on, limit))
		}
	}
}

// result returns the violations so far.
func (o *observer) result() []Violation {
	o.mu.Lock()
	defer o.mu.Unlock()
	return append([]Violation(nil), o.violations...)
}

// tally returns the counts so far.
func (o *observer) tally() Counts {
	o.mu.Lock()
	defer o.mu.Unlock()
	out := o.counts
	out.Fenced = map[string]int{}
	for k, v := range o.counts.Fenced {
		out.Fenced[k] = v
	}
	return out
}
