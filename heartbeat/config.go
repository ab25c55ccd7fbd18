package heartbeat

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strconv"

	"github.com/hashicorp/memberlist"
	"github.com/ward-ha/ward/heartbeat/quorum"
	"github.com/ward-ha/ward/internal/clock"
)

// DefaultPort is the gossip port used when an address has none.
const DefaultPort = 7946

// NodeSpec is one configured node.
type NodeSpec struct {
	// Name is the node's name from the policy.
	Name string
	// Addresses are the node's gossip addresses, one per link, as "host"
	// or "host:port" (port DefaultPort when absent). Link i of the
	// cluster joins the i-th address of every node that has one.
	Addresses []string
	// Votes is the node's quorum votes.
	Votes int
}

// Config configures a Cluster.
type Config struct {
	// ClusterName separates clusters: packets carry it as a label, and a
	// node of another cluster is ignored even with the same key.
	ClusterName string
	// Self is this node's name; it must be one of Nodes.
	Self string
	// Nodes is every configured node, Self included. Only these (and
	// Witness) may join.
	Nodes []NodeSpec
	// Witness, when set, is the name of a witness allowed to join. It
	// holds one quorum vote, granted through SetWitnessGranted.
	Witness string
	// TwoNode and WaitForAll are the quorum options (see package quorum).
	TwoNode    bool
	WaitForAll bool
	// Timing is the failure-detection profile (see Profile).
	Timing Timing
	// KeyFile is the gossip key file (mode 0600), read by New. Required
	// unless Keyring is set or Insecure is true.
	KeyFile string
	// Keyring, when set, is used instead of reading KeyFile.
	Keyring *Keyring
	// Insecure disables gossip encryption. For tests and labs only: anyone
	// on the network could then join and speak for a node.
	Insecure bool
	// Transports, when set, holds one memberlist transport per link of
	// Self (tests use heartbeattest). When nil, each link binds UDP and
	// TCP on Self's address for that link.
	Transports []memberlist.NodeAwareTransport
	// Logger receives heartbeat's and memberlist's logs. Nil: discard.
	Logger *slog.Logger
	// Clock drives the re-join timer and time stamps. Nil: clock.Real().
	// memberlist's own timers always run on real time.
	Clock clock.Clock
}

// quorumConfig returns the quorum configuration of c.
func (c Config) quorumConfig() quorum.Config {
	q := quorum.Config{Votes: map[string]int{}, Witness: c.Witness != "", TwoNode: c.TwoNode, WaitForAll: c.WaitForAll}
	for _, n := range c.Nodes {
		q.Votes[n.Name] = n.Votes
	}
	return q
}

// validate checks c and returns the nodes with normalized addresses.
func (c Config) validate() (map[string]NodeSpec, error) {
	var errs []error
	nodes := map[string]NodeSpec{}
	if len(c.ClusterName) > 200 {
		errs = append(errs, fmt.Errorf("heartbeat: cluster name is %d bytes, more than 200", len(c.ClusterName)))
	}
	for i, n := range c.Nodes {
		switch {
		case n.Name == "":
			errs = append(errs, fmt.Errorf("heartbeat: node %d has no name", i+1))
			continue
		case len(n.Name) > maxNameLen:
			errs = append(errs, fmt.Errorf("heartbeat: node %q: name longer than %d bytes", n.Name[:32]+"...", maxNameLen))
			continue
		case nodes[n.Name].Name != "":
			errs = append(errs, fmt.Errorf("heartbeat: node %q is configured twice", n.Name))
			continue
		case len(n.Addresses) == 0:
			errs = append(errs, fmt.Errorf("heartbeat: node %q has no address", n.Name))
		}
		norm := n
		norm.Addresses = nil
		for _, a := range n.Addresses {
			hp, err := normalizeAddr(a)
			if err != nil {
				errs = append(errs, fmt.Errorf("heartbeat: node %q: %w", n.Name, err))
				continue
			}
			norm.Addresses = append(norm.Addresses, hp)
		}
		nodes[n.Name] = norm
	}
	if c.Witness != "" {
		if _, dup := nodes[c.Witness]; dup {
			errs = append(errs, fmt.Errorf("heartbeat: witness %q is also a node", c.Witness))
		}
		if len(c.Witness) > maxNameLen {
			errs = append(errs, fmt.Errorf("heartbeat: witness name longer than %d bytes", maxNameLen))
		}
	}
	self, ok := nodes[c.Self]
	if !ok {
		errs = append(errs, fmt.Errorf("heartbeat: this node %q is not in the node list; set the node name (--node) to one of the policy's nodes", c.Self))
	}
	if c.Transports != nil && ok && len(c.Transports) != len(self.Addresses) {
		errs = append(errs, fmt.Errorf("heartbeat: %d transports for %d links", len(c.Transports), len(self.Addresses)))
	}
	if err := c.Timing.validate(); err != nil {
		errs = append(errs, err)
	}
	if err := c.quorumConfig().Validate(); err != nil {
		errs = append(errs, err)
	}
	if !c.Insecure && c.Keyring == nil && c.KeyFile == "" {
		errs = append(errs, fmt.Errorf("heartbeat: no gossip key: set the key file (default %s, made with `ward key generate`)", DefaultKeyFile))
	}
	return nodes, errors.Join(errs...)
}

// normalizeAddr turns "host" or "host:port" into "host:port".
func normalizeAddr(a string) (string, error) {
	if a == "" {
		return "", errors.New("empty address")
	}
	if ip := net.ParseIP(a); ip != nil { // bare IPv4 or IPv6
		return net.JoinHostPort(a, strconv.Itoa(DefaultPort)), nil
	}
	host, port, err := net.SplitHostPort(a)
	if err != nil {
		return net.JoinHostPort(a, strconv.Itoa(DefaultPort)), nil
	}
	p, err := strconv.Atoi(port)
	if err != nil || p < 1 || p > 65535 {
		return "", fmt.Errorf("address %q: port %q must be 1-65535", a, port)
	}
	if host == "" {
		return "", fmt.Errorf("address %q has no host", a)
	}
	return a, nil
}
