package controller

import (
	"context"
	"encoding/hex"
	"time"

	"github.com/ward-ha/ward/heartbeat"
	"github.com/ward-ha/ward/policy"
)

// loopState is everything the Run goroutine owns. No other goroutine
// reads or writes it, so it needs no mutex (style.md §4-§5).
type loopState struct {
	cfg *policy.Config
	pol PolicyState
	mem heartbeat.Membership

	// The DC this node follows: dcName won dcTerm (the highest seen).
	dcName string
	dcTerm uint64
	// observedTerm: a term arrived in a message during this run.
	observedTerm bool
	// lastPong is when this node last answered pingDC's lease ping: it
	// grants no other claim within a lease of it.
	lastPong time.Time
	pingDC   string

	// Election.
	claim  *claimState
	isDC   bool
	myTerm uint64

	// DC: lease answers (ping send time, per node).
	acks map[string]time.Time

	// DC: join and the cluster's state.
	joined    map[string]*nodeReport // answered in this term, still present
	joinAsked map[string]time.Time
	known     map[string]*nodeReport // last report of every node (kept for lost nodes)
	boots     map[string]bootInfo    // latest boot of each node
	// bootLearned is when this node learned boots[node].
	bootLearned map[string]time.Time
	fencedOK    map[string]map[string]bool
	flags       map[string]nodeFlags
	flagsTerm   uint64
	conflict    string
	devices     map[string]string // fencing device -> node the scheduler placed it on
	// maybe holds, per node, resources a start or promotion was sent
	// for without a result yet: a lost node may run them.
	maybe map[string]map[string]policy.ResourceStatus
	// inherited is the latest view of a previous DC found at join.
	inherited *clusterView

	// DC: transitions.
	trans    *transition
	transSeq uint64
	lastInfo *transitionInfo
	dirty    bool
	recheck  time.Time
	backoff  map[string]fenceBackoff
	applies  []*pendingApply

	// fences running on this node (fence_cancel.go).
	fences []*fenceRun
	// witness vote as the client last reported it (fence_witness.go).
	witness witnessState
	// ops are operator fences run on other members (backend_fence.go).
	ops opFences
	// lastPresent is when each node was last seen present
	// (fence_cancel.go: watchdog fencing covers one loss only).
	lastPresent map[string]time.Time

	// Member side.
	// marks: the newest transition received here (replay.go).
	marks actionMark

	// guard: starts and promotions accepted here (guard.go).
	guard       startGuard
	inflight    map[string]policy.ActionKind // resource -> action running here
	attrs       map[string]string
	probed      map[string]bool
	probing     bool
	afterProbe  []func(context.Context) // run once the probes in flight are done
	reportDirty bool
	view        *clusterView
	nq          nqState

	senders map[string]chan []byte
}

func (l *loopState) init(cfg *policy.Config, pol PolicyState) {
	l.cfg, l.pol = cfg, pol
	l.acks = map[string]time.Time{}
	l.joined = map[string]*nodeReport{}
	l.joinAsked = map[string]time.Time{}
	l.known = map[string]*nodeReport{}
	l.boots = map[string]bootInfo{}
	l.bootLearned = map[string]time.Time{}
	l.fencedOK = map[string]map[string]bool{}
	l.flags = map[string]nodeFlags{}
	l.backoff = map[string]fenceBackoff{}
	l.devices = map[string]string{}
	l.maybe = map[string]map[string]policy.ResourceStatus{}
	l.attrs = map[string]string{}
	l.inflight = map[string]policy.ActionKind{}
	l.probed = map[string]bool{}
	l.senders = map[string]chan []byte{}
}

// noteBoot records a boot of node seen in gossip metadata.
func (l *loopState) noteBoot(node string, m heartbeat.Meta, now time.Time) {
	l.mergeBoot(node, bootInfo{ID: hex.EncodeToString(m.BootID[:]), Started: m.Started}, now)
}

// mergeBoot keeps the latest boot of node.
func (l *loopState) mergeBoot(node string, b bootInfo, now time.Time) {
	if b.ID == "" || b.ID == zeroBoot {
		return
	}
	if cur, ok := l.boots[node]; !ok || b.Started > cur.Started {
		l.boots[node] = b
		l.bootLearned[node] = now
	}
}

var zeroBoot = hex.EncodeToString(make([]byte, 16))

// nodeVotes returns a node's configured votes (default 1).
func (l *loopState) nodeVotes(name string) int {
	for _, n := range l.cfg.Nodes {
		if n.Name == name {
			if n.Votes != nil {
				return *n.Votes
			}
			return 1
		}
	}
	return 0
}

// totalVotes is the configured total (witness included).
func (l *loopState) totalVotes() int {
	if l.mem.Quorum.Total > 0 {
		return l.mem.Quorum.Total
	}
	t := 0
	for _, n := range l.cfg.Nodes {
		t += l.nodeVotes(n.Name)
	}
	return t
}

// twoNode reports a two_node cluster.
func (l *loopState) twoNode() bool { return l.cfg.Cluster.TwoNode && len(l.cfg.Nodes) == 2 }

// peer returns the other node of a two-node cluster.
func (l *loopState) peer(self string) string {
	for _, n := range l.cfg.Nodes {
		if n.Name != self {
			return n.Name
		}
	}
	return ""
}
