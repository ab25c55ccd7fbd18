package heartbeat

import (
	"fmt"
	"math"
	"time"

	"github.com/hashicorp/memberlist"
)

// Timing is a failure-detection profile: the memberlist settings that
// decide how fast a silent node is declared dead, and how often ward
// re-joins configured nodes it does not see.
type Timing struct {
	// Name is lan, wan or conservative (or custom).
	Name string
	// ProbeInterval is how often each node probes one other node.
	ProbeInterval time.Duration
	// ProbeTimeout is how long a direct probe waits for its ack before
	// indirect probes are tried.
	ProbeTimeout time.Duration
	// SuspicionMult scales the suspicion timeout: a suspect node is
	// declared dead after SuspicionMult * max(1, log10(n)) *
	// ProbeInterval, or up to SuspicionMaxTimeoutMult times that while
	// too few other nodes confirm the suspicion.
	SuspicionMult int
	// SuspicionMaxTimeoutMult bounds the suspicion timeout from above.
	SuspicionMaxTimeoutMult int
	// GossipInterval is how often gossip (state changes and broadcasts)
	// is sent to GossipNodes random nodes.
	GossipInterval time.Duration
	// GossipNodes is the gossip fan-out.
	GossipNodes int
	// RetransmitMult scales how often a broadcast is retransmitted.
	RetransmitMult int
	// PushPullInterval is the period of full state synchronization.
	PushPullInterval time.Duration
	// TCPTimeout bounds stream operations: joins, push/pull, reliable
	// sends.
	TCPTimeout time.Duration
	// RejoinInterval is how often configured nodes that are not members
	// are joined again (memberlist never re-merges a long partition).
	RejoinInterval time.Duration
}

// The timing profiles' names.
const (
	ProfileLAN          = "lan"
	ProfileWAN          = "wan"
	ProfileConservative = "conservative"
)

// Profile returns the named timing profile; "" is lan.
//
//   - lan: a silent node is declared dead in about a second on an idle
//     LAN (probe every 175 ms, 100 ms ack timeout, suspicion 3 probe
//     intervals once another member confirms it, 4 times that while
//     nobody does). The confirmation is what keeps one overloaded
//     observer from declaring a healthy node dead: with SuspicionMult 3,
//     memberlist waits for one independent suspicion (Lifeguard) before
//     it shortens the timeout to the minimum; with 2 it needs none, and
//     a single missed probe round became a death after 400 ms under
//     load (docs/benchmarks.md). Two-node clusters have nobody to
//     confirm: the minimum applies at once. The other knobs stay at
//     memberlist's values on purpose: 3 indirect checks (with three
//     nodes the one other member is asked), awareness up to 8 (an
//     observer that misses nacks slows its own probes), and the 100 ms
//     ack timeout (a longer one only leaves less of the interval to the
//     indirect and TCP probes; the interval bounds a probe round anyway).
//   - wan: tolerates round trips of several hundred milliseconds; dead
//     in about 5 s.
//   - conservative: memberlist's own LAN defaults, for noisy or
//     overloaded networks and VMs that pause; dead in about 6 s.
//
// docs/benchmarks.md has the measured figures.
func Profile(name string) (Timing, error) {
	switch name {
	case "", ProfileLAN:
		return Timing{
			Name:                    ProfileLAN,
			ProbeInterval:           175 * time.Millisecond,
			ProbeTimeout:            100 * time.Millisecond,
			SuspicionMult:           3,
			SuspicionMaxTimeoutMult: 4,
			GossipInterval:          50 * time.Millisecond,
			GossipNodes:             3,
			RetransmitMult:          4,
			PushPullInterval:        10 * time.Second,
			TCPTimeout:              time.Second,
			RejoinInterval:          2 * time.Second,
		}, nil
	case ProfileWAN:
		return Timing{
			Name:                    ProfileWAN,
			ProbeInterval:           time.Second,
			ProbeTimeout:            700 * time.Millisecond,
			SuspicionMult:           3,
			SuspicionMaxTimeoutMult: 4,
			GossipInterval:          200 * time.Millisecond,
			GossipNodes:             4,
			RetransmitMult:          4,
			PushPullInterval:        30 * time.Second,
			TCPTimeout:              5 * time.Second,
			RejoinInterval:          5 * time.Second,
		}, nil
	case ProfileConservative:
		return Timing{
			Name:                    ProfileConservative,
			ProbeInterval:           time.Second,
			ProbeTimeout:            500 * time.Millisecond,
			SuspicionMult:           4,
			SuspicionMaxTimeoutMult: 6,
			GossipInterval:          200 * time.Millisecond,
			GossipNodes:             3,
			RetransmitMult:          4,
			PushPullInterval:        30 * time.Second,
			TCPTimeout:              10 * time.Second,
			RejoinInterval:          5 * time.Second,
		}, nil
	}
	return Timing{}, fmt.Errorf("heartbeat: timing profile %q is unknown; use lan, wan or conservative", name)
}

// validate reports settings memberlist cannot work with.
func (t Timing) validate() error {
	switch {
	case t.ProbeInterval <= 0 || t.ProbeTimeout <= 0 || t.GossipInterval <= 0:
		return fmt.Errorf("heartbeat: timing %q: probe interval, probe timeout and gossip interval must be > 0", t.Name)
	case t.ProbeTimeout >= t.ProbeInterval:
		return fmt.Errorf("heartbeat: timing %q: probe timeout %v must be below the probe interval %v", t.Name, t.ProbeTimeout, t.ProbeInterval)
	case t.SuspicionMult < 1 || t.SuspicionMaxTimeoutMult < 1:
		return fmt.Errorf("heartbeat: timing %q: suspicion multipliers must be >= 1", t.Name)
	case t.TCPTimeout <= 0 || t.RejoinInterval <= 0 || t.PushPullInterval <= 0:
		return fmt.Errorf("heartbeat: timing %q: TCP timeout, rejoin and push/pull intervals must be > 0", t.Name)
	case t.GossipNodes < 1 || t.RetransmitMult < 1:
		return fmt.Errorf("heartbeat: timing %q: gossip nodes and retransmit multiplier must be >= 1", t.Name)
	}
	return nil
}

// MinDeadAfter is the shortest time after which the other members of an
// n-node cluster can declare a silent node dead: the minimum suspicion
// timeout. A DC's lease (check-quorum interval) must be shorter than
// this, so that a cut-off DC stops acting before a successor can be
// elected (see docs/protocol.md).
func (t Timing) MinDeadAfter(n int) time.Duration {
	return time.Duration(float64(t.SuspicionMult) * nodeScale(n) * float64(t.ProbeInterval))
}

// MaxDeadAfter is an upper estimate of the time for an n-node cluster to
// declare a silent node dead: a full round of probes before the node's
// turn, then the longest suspicion timeout. It ignores memberlist's
// awareness back-off, which slows probes on an overloaded node.
func (t Timing) MaxDeadAfter(n int) time.Duration {
	round := time.Duration(max(n, 1)) * t.ProbeInterval
	return round + time.Duration(t.SuspicionMaxTimeoutMult)*t.MinDeadAfter(n)
}

func nodeScale(n int) float64 {
	return math.Max(1, math.Log10(math.Max(1, float64(n))))
}

// apply copies the profile into a memberlist configuration.
func (t Timing) apply(c *memberlist.Config) {
	c.ProbeInterval = t.ProbeInterval
	c.ProbeTimeout = t.ProbeTimeout
	c.SuspicionMult = t.SuspicionMult
	c.SuspicionMaxTimeoutMult = t.SuspicionMaxTimeoutMult
	c.GossipInterval = t.GossipInterval
	c.GossipNodes = t.GossipNodes
	c.RetransmitMult = t.RetransmitMult
	c.PushPullInterval = t.PushPullInterval
	c.TCPTimeout = t.TCPTimeout
	c.GossipToTheDeadTime = 4 * t.MaxDeadAfter(3)
}
