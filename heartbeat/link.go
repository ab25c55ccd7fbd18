package heartbeat

import (
	"fmt"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/hashicorp/memberlist"
)

// link is one gossip network: a memberlist instance bound to this node's
// address on that link. Each link detects failures on its own; a member
// is alive if it is alive on any link (see membership.go).
//
// link implements memberlist's Delegate, EventDelegate, AliveDelegate,
// MergeDelegate and PingDelegate. memberlist calls them with its own
// locks held: they only take c.mu briefly, never call into memberlist,
// and signal the Run loop with a non-blocking send.
type link struct {
	idx   int
	c     *Cluster
	queue *memberlist.TransmitLimitedQueue

	// ml is set by Run before any goroutine that reads it starts, and
	// cleared after they stopped.
	ml *memberlist.Memberlist

	// peers (guarded by c.mu) is the state of each member on this link.
	peers map[string]*linkPeer
	// rejoinNow wakes the re-join loop at once (buffer 1): the node list
	// changed.
	rejoinNow chan struct{}
}

type linkPeer struct {
	state   State
	node    memberlist.Node // Name, Addr, Port only
	meta    Meta
	hasMeta bool
}

func newLink(c *Cluster, idx int) *link {
	l := &link{idx: idx, c: c, peers: map[string]*linkPeer{}, rejoinNow: make(chan struct{}, 1)}
	l.queue = &memberlist.TransmitLimitedQueue{
		NumNodes:       l.numPresent,
		RetransmitMult: c.cfg.Timing.RetransmitMult,
	}
	return l
}

// numPresent counts the members present on this link (for the broadcast
// retransmit count).
func (l *link) numPresent() int {
	l.c.mu.Lock()
	defer l.c.mu.Unlock()
	n := 0
	for _, p := range l.peers {
		if p.state.Present() {
			n++
		}
	}
	return max(n, 1)
}

// setPeerLocked records n's state on this link. c.mu must be held.
func (l *link) setPeerLocked(n *memberlist.Node, st State) {
	p := l.peers[n.Name]
	if p == nil {
		p = &linkPeer{}
		l.peers[n.Name] = p
	}
	p.state = st
	p.node = memberlist.Node{Name: n.Name, Addr: append(net.IP(nil), n.Addr...), Port: n.Port}
	if len(n.Meta) > 0 {
		// memberlist hands over the newest meta it accepted on this
		// link (it orders alive messages by incarnation).
		if m, err := DecodeMeta(n.Meta); err == nil {
			p.meta, p.hasMeta = m, true
		}
	}
}

// suspect marks name suspect on this link (from memberlist's log line).
func (l *link) suspect(name string) {
	l.c.mu.Lock()
	if p := l.peers[name]; p != nil && p.state == StateAlive {
		p.state = StateSuspect
	}
	l.c.mu.Unlock()
	l.c.signal()
}

// NodeMeta returns this node's metadata (memberlist.Delegate).
func (l *link) NodeMeta(limit int) []byte {
	l.c.mu.Lock()
	defer l.c.mu.Unlock()
	b := l.c.meta.Encode()
	if len(b) > limit {
		return nil // cannot happen: MaxMetaSize is below memberlist's limit
	}
	return b
}

// NotifyMsg receives a user message (memberlist.Delegate).
func (l *link) NotifyMsg(b []byte) { l.c.receive(l.idx, b) }

// GetBroadcasts returns queued broadcasts (memberlist.Delegate).
func (l *link) GetBroadcasts(overhead, limit int) [][]byte {
	return l.queue.GetBroadcasts(overhead, limit)
}

// LocalState hands the join state (the live policy, set by the
// controller with SetJoinState) to a node that joins; periodic push/pulls
// carry nothing (memberlist.Delegate). A node fetching the policy with
// FetchJoinState receives it this way (joinfetch.go).
func (l *link) LocalState(join bool) []byte {
	if !join {
		return nil
	}
	l.c.mu.Lock()
	defer l.c.mu.Unlock()
	return l.c.joinState
}

// MergeRemoteState keeps the join state a member handed over when this
// node joined it (memberlist.Delegate): the controller checks whether
// that member's policy is newer and drops this node (TakePeerJoinState).
func (l *link) MergeRemoteState(b []byte, join bool) {
	if !join || len(b) == 0 || len(b) > MaxReliable {
		return
	}
	l.c.mu.Lock()
	l.c.peerState = append([]byte(nil), b...)
	l.c.mu.Unlock()
	nonBlocking(l.c.changes)
}

// NotifyJoin records a member joining (memberlist.EventDelegate).
func (l *link) NotifyJoin(n *memberlist.Node) {
	l.c.mu.Lock()
	l.setPeerLocked(n, StateAlive)
	l.c.mu.Unlock()
	l.c.log.Debug("member joined link", "node", n.Name, "link", l.idx, "addr", n.Address())
	l.c.signal()
}

// NotifyLeave records a member declared dead or leaving
// (memberlist.EventDelegate).
func (l *link) NotifyLeave(n *memberlist.Node) {
	l.c.mu.Lock()
	l.setPeerLocked(n, StateDead)
	l.c.mu.Unlock()
	l.c.log.Debug("member left link", "node", n.Name, "link", l.idx, "state", n.State)
	l.c.signal()
}

// NotifyUpdate records new metadata (memberlist.EventDelegate).
func (l *link) NotifyUpdate(n *memberlist.Node) {
	l.c.mu.Lock()
	l.setPeerLocked(n, StateAlive)
	l.c.mu.Unlock()
	l.c.signal()
}

// NotifyAlive refuses members that are not configured, that advertise an
// address the policy does not give them, or whose metadata is malformed
// (memberlist.AliveDelegate).
func (l *link) NotifyAlive(n *memberlist.Node) error {
	if strings.HasPrefix(n.Name, fetchPrefix) {
		return errFetchOnly // a node fetching the policy, never a member
	}
	if err := l.c.admit(n.Name, n.Address(), n.Meta); err != nil {
		l.c.refused(l.idx, n.Name, n.Address(), err)
		return err
	}
	return nil
}

// NotifyMerge refuses a join or push/pull that would bring in any member
// that is not admitted (memberlist.MergeDelegate).
func (l *link) NotifyMerge(peers []*memberlist.Node) error {
	for _, n := range peers {
		if strings.HasPrefix(n.Name, fetchPrefix) {
			// A node fetching the live policy (ward daemon --join): it
			// already received it; it never becomes a member.
			if l.c.firstInMinute("fetch/" + n.Name) {
				l.c.log.Info("handed the live policy to a node starting with --join", "node", strings.TrimPrefix(n.Name, fetchPrefix), "addr", n.Address(), "link", l.idx)
			}
			return errFetchOnly
		}
		if n.State == memberlist.StateDead || n.State == memberlist.StateLeft {
			if !l.c.known(n.Name) {
				err := fmt.Errorf("node %q is not in the policy", n.Name)
				l.c.refused(l.idx, n.Name, n.Address(), err)
				return err
			}
			continue
		}
		if err := l.c.admit(n.Name, n.Address(), n.Meta); err != nil {
			l.c.refused(l.idx, n.Name, n.Address(), err)
			return err
		}
	}
	return nil
}

// AckPayload adds nothing to acks (memberlist.PingDelegate).
func (l *link) AckPayload() []byte { return nil }

// NotifyPingComplete clears a suspicion when a direct probe succeeds
// (memberlist.PingDelegate).
func (l *link) NotifyPingComplete(other *memberlist.Node, _ time.Duration, _ []byte) {
	l.c.mu.Lock()
	changed := false
	if p := l.peers[other.Name]; p != nil && p.state == StateSuspect {
		p.state, changed = StateAlive, true
	}
	l.c.mu.Unlock()
	if changed {
		l.c.signal()
	}
}

// memberlistConfig builds this link's memberlist configuration.
func (l *link) memberlistConfig(bind string, t memberlist.NodeAwareTransport) (*memberlist.Config, error) {
	c := l.c
	conf := memberlist.DefaultLANConfig()
	c.cfg.Timing.apply(conf)
	conf.Name = c.cfg.Self
	conf.Label = "ward/" + c.cfg.ClusterName
	conf.Delegate = l
	conf.Events = l
	conf.Alive = l
	conf.Merge = l
	conf.Ping = l
	conf.Logger = newStdLogger(&mlLog{log: c.log, link: l})
	conf.EnableCompression = false
	if c.keyring != nil {
		kr, err := c.memberlistKeyring() // shared by every link (keyring.go)
		if err != nil {
			return nil, err
		}
		conf.Keyring = kr
		conf.GossipVerifyIncoming, conf.GossipVerifyOutgoing = true, true
	} else {
		conf.GossipVerifyIncoming, conf.GossipVerifyOutgoing = false, false
	}
	if t != nil {
		conf.Transport = t
		return conf, nil
	}
	host, port, err := net.SplitHostPort(bind)
	if err != nil {
		return nil, fmt.Errorf("heartbeat: link %d: address %q: %w", l.idx, bind, err)
	}
	p, _ := strconv.Atoi(port)
	conf.BindAddr, conf.BindPort = host, p
	conf.AdvertiseAddr, conf.AdvertisePort = host, p
	return conf, nil
}
