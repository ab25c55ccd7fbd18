package heartbeat

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"log"
	"log/slog"
	"maps"
	"net"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hashicorp/memberlist"
	"github.com/ward-ha/ward/heartbeat/quorum"
	"github.com/ward-ha/ward/internal/clock"
)

// ErrNotRunning is returned by SendReliable before Run has started every
// link, or after Run returned.
var ErrNotRunning = errors.New("heartbeat: not running")

// Cluster is this node's membership layer: one memberlist per link,
// admission of configured nodes only, node metadata, quorum, re-joins,
// and small messages. Create it with New, then call Run.
type Cluster struct {
	cfg     Config
	log     *slog.Logger
	clk     clock.Clock
	keyring *Keyring // as configured; the live keys are in mlKeyring
	links   []*link
	boot    [16]byte
	msgSeq  atomic.Uint64
	running atomic.Bool

	dirty   chan struct{} // to the Run loop: state changed (buffer 1)
	resolve chan struct{} // to the resolver: addresses changed (buffer 1)
	publish chan struct{} // to the meta publisher: meta changed (buffer 1)
	changes chan struct{} // to the caller: snapshot changed (buffer 1)
	msgs    chan Message
	ready   chan struct{} // closed by Run once every link is up
	replay  replayFilter  // duplicates and replays (replay.go)

	// keyMu guards mlKeyring, the keyring every link shares, and
	// serializes keyring changes (keyring.go).
	keyMu     sync.Mutex
	mlKeyring *memberlist.Keyring

	// mu guards the following, and every link's peers. It is never held
	// while calling into memberlist.
	mu sync.Mutex
	// nodes (normalized addresses) and quorum follow the live policy:
	// Reconfigure replaces them (reconfigure.go).
	nodes          map[string]NodeSpec
	quorum         quorum.Config
	allowedGen     uint64 // grows with every Reconfigure
	joinState      []byte // handed to nodes fetching it (joinfetch.go)
	peerState      []byte // the last join state a member handed to this node
	meta           Meta
	witnessGranted bool
	seenAll        bool
	snap           Membership
	allowed        map[string]map[string]bool // node -> "ip:port" allowed; nil: any
	refusedAt      map[string]time.Time
	dropped        uint64
}

// New validates cfg and reads the key file; it starts nothing. It fails
// if the key file is missing, malformed or readable by others.
func New(cfg Config) (*Cluster, error) {
	nodes, err := cfg.validate()
	if err != nil {
		return nil, err
	}
	c := &Cluster{
		cfg:       cfg,
		log:       cfg.Logger,
		clk:       cfg.Clock,
		quorum:    cfg.quorumConfig(),
		nodes:     nodes,
		dirty:     make(chan struct{}, 1),
		resolve:   make(chan struct{}, 1),
		publish:   make(chan struct{}, 1),
		changes:   make(chan struct{}, 1),
		msgs:      make(chan Message, 256),
		ready:     make(chan struct{}),
		refusedAt: map[string]time.Time{},
	}
	if c.log == nil {
		c.log = slog.New(slog.DiscardHandler)
	}
	c.log = c.log.With("component", "heartbeat")
	if c.clk == nil {
		c.clk = clock.Real()
	}
	switch {
	case cfg.Keyring != nil:
		kr := *cfg.Keyring
		c.keyring = &kr
	case !cfg.Insecure:
		kr, err := LoadKeyFile(cfg.KeyFile)
		if err != nil {
			return nil, err
		}
		c.keyring = &kr
	}
	if _, err := rand.Read(c.boot[:]); err != nil {
		return nil, fmt.Errorf("heartbeat: boot id: %w", err)
	}
	c.meta = Meta{BootID: c.boot, Started: c.clk.Now().UnixMilli(), Seq: 1}
	for i := range nodes[cfg.Self].Addresses {
		c.links = append(c.links, newLink(c, i))
	}
	c.mu.Lock()
	c.refreshLocked()
	c.mu.Unlock()
	return c, nil
}

// Ready returns a channel closed once Run has started every link.
func (c *Cluster) Ready() <-chan struct{} { return c.ready }

// BootID returns this daemon's boot id.
func (c *Cluster) BootID() [16]byte { return c.boot }

// Links returns the number of links.
func (c *Cluster) Links() int { return len(c.links) }

// Membership returns the current snapshot. Safe for concurrent use; the
// caller owns the result.
func (c *Cluster) Membership() Membership {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.snap.clone()
}

// Changes returns a channel that receives a value after the snapshot
// changed. Signals carry no payload and coalesce: read Membership after
// each.
func (c *Cluster) Changes() <-chan struct{} { return c.changes }

// Messages returns the channel of messages from other nodes. The caller
// must keep reading it: when its buffer (256) is full, new messages are
// dropped and counted in Dropped.
func (c *Cluster) Messages() <-chan Message { return c.msgs }

// Dropped returns the number of messages dropped because Messages was
// not read fast enough.
func (c *Cluster) Dropped() uint64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.dropped
}

// SetTerm raises the term this node advertises to term (it never lowers
// it). It does not block; the change is gossiped by Run.
func (c *Cluster) SetTerm(term uint64) {
	c.updateMeta(func(m *Meta) bool {
		if term <= m.Term {
			return false
		}
		m.Term = term
		return true
	})
}

// SetEpoch sets the policy epoch this node advertises. It does not block.
func (c *Cluster) SetEpoch(epoch uint64) {
	c.updateMeta(func(m *Meta) bool {
		if epoch == m.Epoch {
			return false
		}
		m.Epoch = epoch
		return true
	})
}

// SetWitnessGranted records whether the witness grants its vote to this
// node's side (the witness client calls it). It does not block.
func (c *Cluster) SetWitnessGranted(granted bool) {
	c.mu.Lock()
	c.witnessGranted = granted
	c.mu.Unlock()
	c.signal()
}

// LocalMeta returns the metadata this node advertises.
func (c *Cluster) LocalMeta() Meta {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.meta
}

func (c *Cluster) updateMeta(f func(*Meta) bool) {
	c.mu.Lock()
	changed := f(&c.meta)
	if changed {
		c.meta.Seq++
	}
	c.mu.Unlock()
	if changed {
		nonBlocking(c.publish)
		c.signal()
	}
}

// signal wakes the Run loop. Never blocks.
func (c *Cluster) signal() { nonBlocking(c.dirty) }

func nonBlocking(ch chan struct{}) {
	select {
	case ch <- struct{}{}:
	default:
	}
}

// Broadcast gossips payload (at most MaxBroadcast bytes) to every member
// on every link. Delivery is best effort: each member receives it once
// (duplicates across links are dropped) if gossip reaches it. It does
// not block.
func (c *Cluster) Broadcast(payload []byte) error {
	if len(payload) > MaxBroadcast {
		return fmt.Errorf("heartbeat: broadcast of %d bytes is more than %d", len(payload), MaxBroadcast)
	}
	b := envelope{from: c.cfg.Self, boot: c.boot, seq: c.msgSeq.Add(1), payload: payload}.encode()
	for _, l := range c.links {
		l.queue.QueueBroadcast(broadcast(b))
	}
	return nil
}

// SendReliable sends payload (at most MaxReliable bytes) to the named
// member over TCP, trying each link on which the member is present until
// one succeeds. It blocks for up to the profile's TCP timeout per link;
// ctx is checked between attempts. The message names the boot of to
// that each link's gossip shows: another boot of to drops it (replay.go).
func (c *Cluster) SendReliable(ctx context.Context, to string, payload []byte) error {
	if len(payload) > MaxReliable {
		return fmt.Errorf("heartbeat: message to %s of %d bytes is more than %d", to, len(payload), MaxReliable)
	}
	if to == c.cfg.Self {
		return fmt.Errorf("heartbeat: send to %s: that is this node", to)
	}
	select {
	case <-c.ready: // every link's memberlist is set
	default:
		return ErrNotRunning
	}
	if !c.running.Load() {
		return ErrNotRunning
	}
	type target struct {
		l *link
		n memberlist.Node
		b []byte // addressed to the boot of to this link's gossip shows (replay.go)
	}
	var targets []target
	seq := c.msgSeq.Add(1) // one number on every link: the receiver keeps one copy
	c.mu.Lock()
	for _, l := range c.links {
		if p := l.peers[to]; p != nil && p.state.Present() && p.hasMeta {
			e := envelope{reliable: true, from: c.cfg.Self, boot: c.boot, to: p.meta.BootID, seq: seq, payload: payload}
			targets = append(targets, target{l, p.node, e.encode()})
		}
	}
	c.mu.Unlock()
	if len(targets) == 0 {
		return fmt.Errorf("heartbeat: send to %s: not present on any link", to)
	}
	var errs []error
	for _, t := range targets {
		if err := ctx.Err(); err != nil {
			return err
		}
		n := t.n
		err := t.l.ml.SendReliable(&n, t.b)
		if err == nil {
			return nil
		}
		errs = append(errs, fmt.Errorf("link %d: %w", t.l.idx, err))
	}
	return fmt.Errorf("heartbeat: send to %s: %w", to, errors.Join(errs...))
}

// receive handles a user message from link idx: decode, check, dedup,
// deliver without blocking.
func (c *Cluster) receive(idx int, b []byte) {
	e, err := decodeEnvelope(b)
	if err != nil {
		c.log.Warn("dropping a malformed message", "link", idx, "err", err)
		return
	}
	if !c.known(e.from) || e.from == c.cfg.Self {
		c.log.Warn("dropping a message from a node that is not in the policy", "link", idx, "from", e.from)
		return
	}
	if !c.acceptMessage(idx, e) {
		return
	}
	m := Message{From: e.from, Reliable: e.reliable, Payload: append([]byte(nil), e.payload...)}
	select {
	case c.msgs <- m:
	default:
		c.mu.Lock()
		c.dropped++
		c.mu.Unlock()
		c.log.Warn("message queue full: dropping a message; the controller is not keeping up", "from", e.from)
	}
}

// broadcast is a memberlist.Broadcast that never invalidates another.
type broadcast []byte

func (b broadcast) Invalidates(memberlist.Broadcast) bool { return false }
func (b broadcast) Message() []byte                       { return b }
func (b broadcast) Finished()                             {}

// known reports whether name is a configured node or the witness.
func (c *Cluster) known(name string) bool {
	c.mu.Lock()
	_, ok := c.nodes[name]
	c.mu.Unlock()
	return ok || c.cfg.Witness != "" && name == c.cfg.Witness
}

// admit decides whether a member announcing itself may be a member.
func (c *Cluster) admit(name, addr string, meta []byte) error {
	if !c.known(name) {
		return fmt.Errorf("node %q is not in the policy", name)
	}
	c.mu.Lock()
	allowed := c.allowed[name]
	c.mu.Unlock()
	if allowed != nil && !allowed[addr] {
		return fmt.Errorf("node %q announced address %s, which the policy does not give it", name, addr)
	}
	if _, err := DecodeMeta(meta); err != nil {
		return fmt.Errorf("node %q: %w", name, err)
	}
	return nil
}

// refused logs a refused member at most once a minute per name and
// address.
func (c *Cluster) refused(link int, name, addr string, err error) {
	if !c.firstInMinute(name + "@" + addr) {
		return
	}
	c.log.Warn("refusing a node that may not join: only nodes named in the policy may join; check the policy's node list and that the node runs with the right name",
		"node", name, "addr", addr, "link", link, "reason", err.Error())
}

// firstInMinute reports whether key was not reported within the last
// minute, and records it: it rate-limits repeated warnings.
func (c *Cluster) firstInMinute(key string) bool {
	now := c.clk.Now()
	c.mu.Lock()
	defer c.mu.Unlock()
	if last, seen := c.refusedAt[key]; seen && now.Sub(last) < time.Minute {
		return false
	}
	if len(c.refusedAt) > 1024 {
		clear(c.refusedAt)
	}
	c.refusedAt[key] = now
	return true
}

// refreshLocked rebuilds the snapshot from the links' states, evaluates
// quorum and reports whether the snapshot changed. c.mu must be held.
func (c *Cluster) refreshLocked() bool {
	now := c.clk.Now()
	prev := c.snap
	snap := Membership{Self: c.cfg.Self, WitnessGranted: c.witnessGranted}
	names := make([]string, 0, len(c.nodes)+1)
	for n := range c.nodes {
		names = append(names, n)
	}
	if c.cfg.Witness != "" {
		names = append(names, c.cfg.Witness)
	}
	slices.Sort(names)
	for _, name := range names {
		spec, isNode := c.nodes[name]
		m := Member{Name: name, Votes: spec.Votes, Witness: !isNode, Self: name == c.cfg.Self}
		var metaFrom State
		for _, l := range c.links {
			ls := LinkState{Link: l.idx, State: StateUnknown}
			if l.idx < len(spec.Addresses) {
				ls.Addr = spec.Addresses[l.idx]
			}
			p := l.peers[name]
			if p != nil {
				ls.State = p.state
				if ls.Addr == "" {
					ls.Addr = p.node.Address()
				}
			}
			if ls.Addr == "" && p == nil {
				continue // not on this link
			}
			m.Links = append(m.Links, ls)
			m.State = max(m.State, ls.State)
			if p != nil && p.hasMeta && (!m.HasMeta || p.state > metaFrom || (p.state == metaFrom && p.meta.newer(m.Meta))) {
				m.Meta, m.HasMeta, metaFrom = p.meta, true, p.state
			}
		}
		if m.Self {
			m.State = StateAlive
			m.Meta, m.HasMeta = c.meta, true
		}
		if !m.HasMeta {
			if old, ok := prev.Member(name); ok && old.HasMeta {
				m.Meta, m.HasMeta = old.Meta, true
			}
		}
		m.Since = now
		if old, ok := prev.Member(name); ok && old.State == m.State {
			m.Since = old.Since
		}
		snap.Members = append(snap.Members, m)
	}
	allAlive := true
	for _, m := range snap.Members {
		if !m.Witness && m.State != StateAlive {
			allAlive = false
		}
	}
	if allAlive {
		c.seenAll = true
	}
	snap.SeenAll = c.seenAll
	var present []string
	for _, m := range snap.Members {
		if !m.Witness && m.State.Present() {
			present = append(present, m.Name)
		}
	}
	snap.Quorum = c.quorum.Evaluate(quorum.Input{Alive: present, SeenAll: c.seenAll, WitnessGranted: c.witnessGranted})
	if snap.Quorum.Quorate != c.meta.Quorate {
		c.meta.Quorate = snap.Quorum.Quorate
		c.meta.Seq++
		nonBlocking(c.publish)
		for i := range snap.Members {
			if snap.Members[i].Self {
				snap.Members[i].Meta = c.meta
			}
		}
	}
	if prev.Members != nil && snap.sameAs(prev) {
		return false
	}
	snap.Version = prev.Version + 1
	c.snap = snap
	return true
}

// newStdLogger wraps w as the *log.Logger memberlist wants.
func newStdLogger(w *mlLog) *log.Logger { return log.New(w, "", 0) }

// resolveAllowed resolves every configured address to the "ip:port"
// forms a member may announce. A name that does not resolve leaves that
// node unrestricted by address (the key and the name still apply).
func (c *Cluster) resolveAllowed(ctx context.Context) map[string]map[string]bool {
	out := map[string]map[string]bool{}
	c.mu.Lock()
	nodes := maps.Clone(c.nodes)
	c.mu.Unlock()
	for name, spec := range nodes {
		set := map[string]bool{}
		ok := true
		for _, a := range spec.Addresses {
			host, port, _ := net.SplitHostPort(a)
			if ip := net.ParseIP(host); ip != nil {
				set[net.JoinHostPort(ip.String(), port)] = true
				continue
			}
			ips, err := net.DefaultResolver.LookupIPAddr(ctx, host)
			if err != nil || len(ips) == 0 {
				c.log.Warn("cannot resolve a node's address: it will be admitted by name and key only", "node", name, "addr", a, "err", err)
				ok = false
				continue
			}
			for _, ip := range ips {
				set[net.JoinHostPort(ip.IP.String(), port)] = true
			}
		}
		if ok {
			out[name] = set
		}
	}
	return out
}
