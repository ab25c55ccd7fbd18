package heartbeat

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"net"
	"slices"
	"time"
)

// Members is the part of a Config that follows the live policy while the
// cluster runs: the configured nodes and the quorum options. The witness,
// the cluster name, the timing profile and the key do not change without
// a restart.
type Members struct {
	// Nodes is every configured node, this node included.
	Nodes []NodeSpec
	// TwoNode and WaitForAll are the quorum options (see package quorum).
	TwoNode    bool
	WaitForAll bool
}

// Reconfigure replaces the configured nodes and quorum options of a
// running (or not yet running) cluster, as soon as a new policy is
// persisted: from then on admission (memberlist's alive and merge
// delegates), the re-join loop, message acceptance and the quorum votes
// follow m. A node no longer listed disappears from the snapshot at once,
// its messages are dropped and it can no longer join; a new node is
// joined at once and then every RejoinInterval.
//
// Reconfigure refuses (and changes nothing) a list without this node, or
// one that does not validate. This node's own addresses are bound at
// start: when m changes them, everything else is applied and an error
// says that the daemon must be restarted to bind the new ones. It does
// not block on the network: host names are resolved in the background
// (until then such a node is admitted by name and key only).
func (c *Cluster) Reconfigure(m Members) error {
	cfg := c.cfg
	cfg.Nodes, cfg.TwoNode, cfg.WaitForAll = m.Nodes, m.TwoNode, m.WaitForAll
	cfg.Transports = nil // the link count is checked below
	nodes, err := cfg.validate()
	if err != nil {
		return fmt.Errorf("heartbeat: new node list refused: %w", err)
	}
	var warn error
	c.mu.Lock()
	old := c.nodes
	self := old[c.cfg.Self]
	if !slices.Equal(nodes[c.cfg.Self].Addresses, self.Addresses) {
		warn = fmt.Errorf("heartbeat: the policy gives this node (%s) the addresses %v, but it is bound to %v: restart the daemon to bind them (until then the others may refuse it)",
			c.cfg.Self, nodes[c.cfg.Self].Addresses, self.Addresses)
		nodes[c.cfg.Self] = self
	}
	c.nodes = nodes
	c.quorum = cfg.quorumConfig()
	c.allowedGen++
	allowed := maps.Clone(c.allowed)
	if allowed == nil && c.running.Load() {
		allowed = map[string]map[string]bool{}
	}
	needDNS := false
	for name := range allowed {
		if _, ok := nodes[name]; !ok {
			delete(allowed, name)
		}
	}
	for name, spec := range nodes {
		if allowed == nil {
			break // Run resolves everything when it starts
		}
		if prev, ok := old[name]; ok && slices.Equal(prev.Addresses, spec.Addresses) {
			continue // unchanged: keep what was resolved
		}
		set, literal := literalAddrs(spec.Addresses)
		if literal {
			allowed[name] = set
			continue
		}
		delete(allowed, name) // by name and key only until resolved
		needDNS = true
	}
	if allowed != nil {
		c.allowed = allowed
	}
	changed := c.refreshLocked()
	c.mu.Unlock()
	if changed {
		nonBlocking(c.changes)
	}
	if needDNS {
		nonBlocking(c.resolve)
	}
	for _, l := range c.links {
		nonBlocking(l.rejoinNow)
	}
	if added, removed := diffNames(old, nodes); len(added)+len(removed) > 0 {
		c.log.Info("node list changed", "added", added, "removed", removed, "nodes", len(nodes))
	}
	return warn
}

// literalAddrs returns the "ip:port" set of addrs when every address is
// an IP literal (no lookup needed).
func literalAddrs(addrs []string) (map[string]bool, bool) {
	set := map[string]bool{}
	for _, a := range addrs {
		host, port, err := net.SplitHostPort(a)
		if err != nil {
			return nil, false
		}
		ip := net.ParseIP(host)
		if ip == nil {
			return nil, false
		}
		set[net.JoinHostPort(ip.String(), port)] = true
	}
	return set, true
}

// diffNames returns the names only in b (added) and only in a (removed).
func diffNames(a, b map[string]NodeSpec) (added, removed []string) {
	for n := range b {
		if _, ok := a[n]; !ok {
			added = append(added, n)
		}
	}
	for n := range a {
		if _, ok := b[n]; !ok {
			removed = append(removed, n)
		}
	}
	slices.Sort(added)
	slices.Sort(removed)
	return added, removed
}

// resolveLoop re-resolves the allowed addresses after a Reconfigure that
// named hosts (DNS must not block the caller).
func (c *Cluster) resolveLoop(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-c.resolve:
		}
		for ctx.Err() == nil {
			c.mu.Lock()
			gen := c.allowedGen
			c.mu.Unlock()
			rctx, cancel := context.WithTimeout(ctx, 10*time.Second)
			allowed := c.resolveAllowed(rctx)
			cancel()
			c.mu.Lock()
			if gen == c.allowedGen {
				c.allowed = allowed
				c.mu.Unlock()
				break
			}
			c.mu.Unlock() // reconfigured meanwhile: resolve again
		}
	}
}

// SetJoinState sets what this node hands to a node that joins or fetches
// it with FetchJoinState: the controller's encoded live policy. At most
// MaxReliable bytes; nil hands nothing.
func (c *Cluster) SetJoinState(b []byte) error {
	if len(b) > MaxReliable {
		return fmt.Errorf("heartbeat: join state of %d bytes is more than %d", len(b), MaxReliable)
	}
	c.mu.Lock()
	c.joinState = append([]byte(nil), b...)
	c.mu.Unlock()
	return nil
}

// TakePeerJoinState returns (once) the join state a member handed to
// this node when it last joined that member, or nil. Changes signals
// when one arrives. The controller uses it to learn that a newer policy
// no longer lists this node: the others then refuse it, but memberlist
// still lets it see them.
func (c *Cluster) TakePeerJoinState() []byte {
	c.mu.Lock()
	defer c.mu.Unlock()
	b := c.peerState
	c.peerState = nil
	return b
}

// fetchPrefix starts the memberlist name of a node that only fetches
// the join state; policy node names cannot contain '/'.
const fetchPrefix = "ward-join/"

// errFetchOnly refuses a fetching node's merge once it got the state.
var errFetchOnly = errors.New("ward-join: a node fetched the live policy; it does not become a member this way")
