package controller

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"sync"
	"time"

	"github.com/ward-ha/ward/fencing"
	"github.com/ward-ha/ward/heartbeat"
	"github.com/ward-ha/ward/internal/clock"
	"github.com/ward-ha/ward/policy"
	"github.com/ward-ha/ward/resources"
)

// Membership tells who is alive (heartbeat.Cluster implements it).
type Membership interface {
	// Membership returns the current snapshot; the caller owns it. Safe
	// for concurrent use; does not block.
	Membership() heartbeat.Membership
	// Changes signals (no payload, coalesced) that the snapshot changed.
	Changes() <-chan struct{}
}

// Messenger carries controller messages between nodes.
type Messenger interface {
	// Messages delivers messages from other nodes; it must be read
	// continuously.
	Messages() <-chan heartbeat.Message
	// SendReliable sends payload to one node. It blocks up to the
	// transport's timeout; safe for concurrent use.
	SendReliable(ctx context.Context, to string, payload []byte) error
}

// Publisher gossips this node's term and policy epoch. Its methods never
// block.
type Publisher interface {
	SetTerm(term uint64)
	SetEpoch(epoch uint64)
}

// Cluster is the membership layer the controller drives:
// *heartbeat.Cluster.
type Cluster interface {
	Membership
	Messenger
	Publisher
}

// Executor runs resource operations on this node: *resources.Executor.
// Every method is safe for concurrent use; Exec blocks until the
// operation ends, the others do not block. Returned values belong to the
// caller.
type Executor interface {
	Exec(ctx context.Context, req resources.Request) (resources.Result, error)
	StartMonitor(spec resources.MonitorSpec) error
	StopMonitor(resource string, interval time.Duration) bool
	Monitors(resource string) []resources.MonitorSpec
	History(resource string) (resources.History, bool)
	Resources() []string
	ClearFailures(resource string)
}

// Fencer fences other nodes: *fencing.Fencer. Fence blocks until the
// devices answered (or ctx ends) and is safe for concurrent use.
type Fencer interface {
	Fence(ctx context.Context, cfg *policy.Config, target string) fencing.Result
}

// Hooks let tests observe safety-relevant events. Each is called on the
// controller's goroutine and must not block. Nil hooks are skipped.
type Hooks struct {
	// Dispatched is called when this node, as DC of term, sends an
	// action.
	Dispatched func(term uint64, a policy.Action)
	// Executing is called when this node starts an action of term, with
	// the highest term it had seen at that moment.
	Executing func(term, seen uint64, a policy.Action)
	// Elected is called when this node wins term.
	Elected func(term uint64)
}

// Config configures a Controller.
type Config struct {
	// Node is this node's name. Required.
	Node string
	// Store is this node's persisted state. Required.
	Store *Store
	// Policy is the live policy this node starts with (the saved one, or
	// the bootstrap file saved at epoch 1). Required.
	Policy *policy.Config
	// Cluster is the membership layer. Required.
	Cluster Cluster
	// Executor runs this node's resource operations. Required.
	Executor Executor
	// Reports must be the Reporter given to the executor. Required.
	Reports *Reports
	// Fencer runs fencing devices on this node. Required when
	// stonith is enabled.
	Fencer Fencer
	// Timing is the heartbeat's timing profile; the lease, ping and
	// retry intervals derive from it. Zero: heartbeat's lan profile.
	Timing heartbeat.Timing
	// Clock is the time source; nil means clock.Real().
	Clock clock.Clock
	// Logger receives the controller's logs; nil discards.
	Logger *slog.Logger
	// SelfFence is called when no_quorum_policy = suicide and this node
	// lost quorum. Nil: the node stops its resources instead and logs
	// that it cannot self-fence.
	SelfFence func() error
	// Hooks observe events (tests).
	Hooks Hooks
}

// Controller is one node's controller: it takes part in DC elections,
// runs the actions a DC sends, applies no_quorum_policy, and, when it is
// the DC, collects every node's state, schedules and dispatches. Build
// it with New and call Run; see the package documentation.
type Controller struct {
	node    string
	store   *Store
	cl      Cluster
	ex      Executor
	fencer  Fencer
	reports *Reports
	clk     clock.Clock
	log     *slog.Logger
	hooks   Hooks
	suicide func() error

	lease     time.Duration // DC lease (check-quorum)
	tick      time.Duration // loop tick: pings, timeouts
	claimWait time.Duration // how long a claim waits for votes
	joinRetry time.Duration
	margin    time.Duration // added to an action's timeout
	minDead   time.Duration
	settle    time.Duration // how long a new DC waits for nodes it never saw
	runSince  time.Time     // when Run started: join.go settling (cold start)
	// startNodes are the policy's nodes when Run started (startup.go).
	startNodes map[string]bool
	inbox      chan func(context.Context)
	wg         sync.WaitGroup
	requests   chan request  // API requests, served by the loop
	done       chan struct{} // closed when Run returns

	loop loopState  // owned by the Run goroutine
	fwd  forwarding // API requests forwarded to the DC (backend_forward.go)
	// mship: growing and shrinking (membership.go); Run goroutine only.
	mship membershipState
	keys  keyRequests // key requests waiting for acks (backend_key.go)
	// leave: clean leaves, this node's and others' (leave.go); Run
	// goroutine only.
	leave leaveState
}

// New checks cfg and returns a Controller. It starts nothing.
func New(cfg Config) (*Controller, error) {
	var errs []error
	if cfg.Node == "" {
		errs = append(errs, errors.New("controller: Config.Node is empty"))
	}
	if cfg.Store == nil || cfg.Policy == nil || cfg.Cluster == nil || cfg.Executor == nil || cfg.Reports == nil {
		errs = append(errs, errors.New("controller: Store, Policy, Cluster, Executor and Reports are required"))
	}
	if cfg.Policy != nil {
		if err := checkNodeCount(cfg.Policy); err != nil {
			errs = append(errs, err)
		}
	}
	if cfg.Policy != nil && stonith(cfg.Policy) && cfg.Fencer == nil {
		errs = append(errs, errors.New("controller: stonith is enabled but no Fencer was given"))
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	t := cfg.Timing
	if t.ProbeInterval == 0 {
		t, _ = heartbeat.Profile(heartbeat.ProfileLAN)
	}
	c := &Controller{
		node: cfg.Node, store: cfg.Store, cl: cfg.Cluster, ex: cfg.Executor, fencer: cfg.Fencer,
		reports: cfg.Reports, clk: cfg.Clock, log: cfg.Logger, hooks: cfg.Hooks, suicide: cfg.SelfFence,
		inbox:    make(chan func(context.Context), 1024),
		requests: make(chan request),
		done:     make(chan struct{}),
	}
	if c.clk == nil {
		c.clk = clock.Real()
	}
	if c.log == nil {
		c.log = slog.New(slog.DiscardHandler)
	}
	n := max(len(cfg.Policy.Nodes), 1)
	c.minDead = t.MinDeadAfter(n)
	// The lease must end before the others can declare this node dead
	// and elect a successor: half the minimum detection time. It is
	// computed once, from the policy's node count at start; memberlist
	// scales its suspicion with the live member count, but
	// MinDeadAfter(n0)/2 < MinDeadAfter(n) for any n as long as
	// log10(n0) < 2, so growing or shrinking a cluster of fewer than
	// 100 nodes never makes the lease outlast detection (settle and
	// margin, also fixed at start, only delay or hasten a decision).
	// MaxNodes enforces that bound.
	c.lease = c.minDead / 2
	c.tick = max(c.lease/4, 10*time.Millisecond)
	c.claimWait = max(2*c.lease, 4*t.ProbeInterval)
	c.joinRetry = max(c.claimWait, time.Second)
	c.margin = max(2*t.MaxDeadAfter(n), 5*time.Second)
	c.settle = 2*t.RejoinInterval + t.MaxDeadAfter(n)
	c.loop.init(cfg.Policy, cfg.Store.Policy())
	return c, nil
}

// MaxNodes is the largest cluster ward runs: the DC lease is derived
// from the failure detection of the policy's node count (New), and it
// stays shorter than detection at any membership size only below 100
// nodes.
const MaxNodes = 99

// checkNodeCount refuses a policy with more than MaxNodes nodes.
func checkNodeCount(cfg *policy.Config) error {
	if n := len(cfg.Nodes); n > MaxNodes {
		return fmt.Errorf("policy.toml: node: %d nodes are defined; ward runs clusters of at most %d nodes (the DC lease, derived from failure detection, could outlast it in larger ones)", n, MaxNodes)
	}
	return nil
}

// Lease returns the DC lease interval (for logs and tests).
func (c *Controller) Lease() time.Duration { return c.lease }

// stonith reports whether fencing is enabled in cfg.
func stonith(cfg *policy.Config) bool {
	return cfg.Cluster.StonithEnabled == nil || *cfg.Cluster.StonithEnabled
}

// Run runs the controller until ctx ends, then waits for every goroutine
// it started (actions in flight are canceled by the executor's own
// shutdown) and returns nil. It returns ErrRemoved once this node
// persisted a policy that no longer lists it.
func (c *Controller) Run(ctx context.Context) error {
	l := &c.loop
	c.runSince = c.clk.Now()
	c.noteStartNodes() // startup.go
	l.mem = c.cl.Membership()
	c.cl.SetEpoch(l.pol.Epoch)
	c.followMembership() // membership.go: node list and join state
	c.cl.SetTerm(c.store.Term().Seen)
	if c.store.TermsLost() {
		c.log.Error("term.state was lost: this node will not vote until it has seen the cluster's current term in a message")
	}
	c.log.Info("controller started", "node", c.node, "policy_epoch", l.pol.Epoch, "term", c.store.Term().Seen,
		"lease", c.lease, "no_quorum_policy", noQuorumPolicy(l.cfg))
	tick := c.clk.NewTimer(c.tick)
	defer tick.Stop()
	defer close(c.done)
	defer c.shutdown()
	// Workers stop with the loop even when it returns on its own
	// (ErrRemoved): this runs before shutdown waits for them.
	ctx, cancelWorkers := context.WithCancel(ctx)
	defer cancelWorkers()
	l.dirty = true
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-c.cl.Changes():
			c.onMembership()
		case m := <-c.cl.Messages():
			c.onWire(ctx, m.From, m.Payload)
		case <-c.reports.signal():
			c.onReports()
		case f := <-c.inbox:
			f(ctx)
		case r := <-c.requests:
			r.fn(ctx)
		case <-tick.C():
			tick.Reset(c.tick)
			c.onTick(ctx)
		}
		if err := c.removedErr(); err != nil {
			return err // membership.go: the live policy no longer lists this node
		}
		c.step(ctx)
	}
}

func (c *Controller) shutdown() {
	c.wg.Wait()
	for _, s := range c.loop.senders {
		close(s)
	}
	c.loop.senders = nil
	c.log.Info("controller stopped", "node", c.node)
}

// post runs f on the loop goroutine; it gives up when ctx ends. Workers
// use it to hand results back.
func (c *Controller) post(ctx context.Context, f func(context.Context)) {
	select {
	case c.inbox <- f:
	case <-ctx.Done():
	}
}

// goWorker runs f on a goroutine owned by the controller.
func (c *Controller) goWorker(ctx context.Context, f func(context.Context)) {
	c.wg.Go(func() { f(ctx) })
}

// send queues m for node to. A message to this node is handled by the
// loop as if it came from the network.
func (c *Controller) send(ctx context.Context, to string, m message) {
	b, err := encodeMessage(m)
	if err != nil {
		c.log.Error("cannot encode a message; this is a bug", "kind", m.Kind, "to", to, "err", err)
		return
	}
	if to == c.node {
		select {
		case c.inbox <- func(ctx context.Context) { c.onWire(ctx, c.node, b) }:
		default:
			c.log.Warn("controller inbox full: dropping a message to self", "kind", m.Kind)
		}
		return
	}
	l := &c.loop
	q := l.senders[to]
	if q == nil {
		q = make(chan []byte, 256)
		l.senders[to] = q
		c.wg.Go(func() { c.sender(ctx, to, q) })
	}
	select {
	case q <- b:
	default:
		c.log.Warn("send queue full: dropping a message; the node is slow or unreachable", "to", to, "kind", m.Kind)
	}
}

// sender sends queued messages to one node in order.
func (c *Controller) sender(ctx context.Context, to string, q <-chan []byte) {
	for {
		select {
		case <-ctx.Done():
			return
		case b, ok := <-q:
			if !ok {
				return
			}
			if err := c.cl.SendReliable(ctx, to, b); err != nil && ctx.Err() == nil {
				c.log.Debug("send failed", "to", to, "err", err)
			}
		}
	}
}

// onWire decodes and dispatches one message.
func (c *Controller) onWire(ctx context.Context, from string, b []byte) {
	m, err := decodeMessage(b)
	if err != nil {
		c.log.Warn("dropping a malformed controller message", "from", from, "err", err)
		return
	}
	switch m.Kind {
	case msgClaim:
		c.onClaim(ctx, from, m)
	case msgVote:
		c.onVote(ctx, from, m)
	case msgPing:
		c.onPing(ctx, from, m)
	case msgPong:
		c.onPong(from, m)
	case msgStale:
		c.observe(m.Term, "")
	case msgJoin:
		c.onJoin(ctx, from, m)
	case msgState:
		c.onState(ctx, from, m)
	case msgAction:
		if c.refuseWhileLeaving(ctx, from, m) { // leave.go
			return
		}
		c.onAction(ctx, from, m)
	case msgResult:
		c.onResult(ctx, from, m)
	case msgPolicy:
		c.onPolicy(ctx, from, m)
	case msgPolicyAck:
		c.onPolicyAck(from, m)
	case msgFenced:
		c.onFenced(from, m)
	case msgStatus:
		c.onStatus(ctx, from, m)
	case msgViewAck:
		c.onViewAck(ctx, from, m)
	case msgForward:
		c.onForward(ctx, from, m)
	case msgForwarded:
		c.onForwarded(m)
	case msgCleanup:
		c.onCleanup(from, m)
	case msgKey:
		c.onKey(ctx, from, m)
	case msgKeyAck:
		c.onKeyAck(from, m)
	case msgOpFence:
		c.onOpFence(ctx, from, m) // backend_fence.go
	case msgOpFenced:
		c.onOpFenced(ctx, from, m)
	case msgLeave:
		c.onLeave(ctx, from, m) // leave.go
	case msgLeaveAck:
		c.onLeaveAck(from, m)
	}
}

// observe records term from a message of from ("" when unknown) and
// steps down as DC when it is higher than the term this node leads. It
// returns the highest term seen.
func (c *Controller) observe(term uint64, from string) uint64 {
	l := &c.loop
	if _, err := c.store.ObserveTerm(term); err != nil {
		c.log.Error("cannot persist the term seen; refusing the message", "term", term, "err", err)
		return c.store.Term().Seen + 1
	}
	seen := c.store.Term().Seen
	c.cl.SetTerm(seen)
	l.observedTerm = true
	if l.isDC && seen > l.myTerm {
		c.stepDown(fmt.Sprintf("a higher term %d was seen", seen))
	}
	return seen
}

// present reports whether name is a present (alive or suspect) node.
func (l *loopState) present(name string) bool {
	m, ok := l.mem.Member(name)
	return ok && !m.Witness && m.State.Present()
}

// MetaDownNodes is the meta attribute that gives a promote action the
// policy's nodes that were not members when the DC sent it (lost and
// fenced, offline, or never seen), comma-separated and sorted. An agent
// that checks its peers before promoting (the postgres agent) need not
// wait out a connection timeout for them.
const MetaDownNodes = "down_nodes"

// downNodes returns the policy's nodes that are not present, sorted.
func (l *loopState) downNodes(cfg *policy.Config) []string {
	var out []string
	for _, n := range cfg.Nodes {
		if !l.present(n.Name) {
			out = append(out, n.Name)
		}
	}
	sort.Strings(out)
	return out
}

// presentNodes returns the present configured nodes, sorted by name.
func (l *loopState) presentNodes() []string {
	var out []string
	for _, m := range l.mem.Members {
		if !m.Witness && m.State.Present() {
			out = append(out, m.Name)
		}
	}
	return out
}

func (c *Controller) onMembership() {
	l := &c.loop
	prev := l.mem
	l.mem = c.cl.Membership()
	for _, m := range l.mem.Members {
		if m.HasMeta && !m.Witness {
			l.noteBoot(m.Name, m.Meta, c.clk.Now())
			if !m.Self && m.Meta.Term > c.store.Term().Seen {
				c.observe(m.Meta.Term, m.Name) // a higher term in gossip ends this node's DC role
			}
		}
		old, _ := prev.Member(m.Name)
		if old.State.Present() && !m.State.Present() && !m.Self {
			c.log.Warn("node lost: no answer on any link", "node", m.Name, "quorate", l.mem.Quorum.Quorate,
				"votes", l.mem.Quorum.Votes, "needed", l.mem.Quorum.Needed)
		}
		if !old.State.Present() && m.State.Present() && !m.Self {
			c.log.Info("node joined", "node", m.Name)
		}
	}
	c.cancelStaleFences()
	// leave_restart.go: an action to a boot that is gone never answers.
	c.failActionsOfGoneBoots(prev)
	c.checkPeerPolicy() // membership.go: was this node removed while away?
	if prev.Quorum.Quorate != l.mem.Quorum.Quorate {
		if l.mem.Quorum.Quorate {
			c.log.Info("this partition has quorum", "votes", l.mem.Quorum.Votes, "needed", l.mem.Quorum.Needed)
		} else {
			c.log.Warn("this partition lost quorum; applying no_quorum_policy", "policy", noQuorumPolicy(l.cfg),
				"votes", l.mem.Quorum.Votes, "needed", l.mem.Quorum.Needed)
		}
	}
	l.dirty = true
}

// step runs after every event: the level-triggered part of the loop.
func (c *Controller) step(ctx context.Context) {
	l := &c.loop
	if l.isDC && !l.mem.Quorum.Quorate && noQuorumPolicy(l.cfg) != policy.NoQuorumIgnore {
		c.stepDown("this partition lost quorum")
	}
	c.checkGuards() // guard.go: abort accepted starts that must not run now
	c.election(ctx)
	c.noQuorum(ctx)
	c.sendReportIfDirty(ctx)
	if l.isDC {
		c.dcStep(ctx)
	}
}

// onTick runs every tick: lease pings, claim and action timeouts.
func (c *Controller) onTick(ctx context.Context) {
	l := &c.loop
	if l.isDC {
		c.sendPings(ctx)
		c.checkTimeouts()
		c.checkApplies()
		if !l.recheck.IsZero() && !c.clk.Now().Before(l.recheck) {
			l.recheck = time.Time{}
			l.dirty = true
		}
	}
}

func noQuorumPolicy(cfg *policy.Config) policy.NoQuorumPolicy {
	if cfg == nil || cfg.Cluster.NoQuorumPolicy == "" {
		return policy.NoQuorumStop
	}
	return cfg.Cluster.NoQuorumPolicy
}
