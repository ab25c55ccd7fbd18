package sim

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"time"
)

// Fault kinds a schedule draws from.
const (
	FaultKill      = "kill"       // kill -9 the daemon; its resources keep running
	FaultRestart   = "restart"    // boot a down node again
	FaultFreeze    = "freeze"     // no traffic to or from the node, its agents stop progressing
	FaultPartition = "partition"  // split the nodes in two groups
	FaultOneWay    = "one-way"    // drop traffic from one node to another only
	FaultLossy     = "lossy"      // drop, duplicate and delay packets on every link
	FaultHeal      = "heal"       // heal the network, thaw frozen nodes, end link faults
	FaultMonitor   = "agent-fail" // a resource's next monitor fails
	FaultHang      = "agent-hang" // a resource's next monitor or stop hangs until its timeout
	FaultFence     = "fence-fail" // the fencing device fails for a node until the heal
	FaultPolicy    = "policy"     // apply a policy that moves the preference of vip
)

// Step is one fault of a schedule.
type Step struct {
	// After is the pause before the step, since the previous one.
	After time.Duration `json:"after_ns"`
	// Kind is one of the Fault* names.
	Kind string `json:"kind"`
	// Node is the node the fault hits (kill, restart, freeze, agent,
	// fence; the sender of one-way).
	Node string `json:"node,omitempty"`
	// Peer is the receiver of one-way.
	Peer string `json:"peer,omitempty"`
	// Group is one side of a partition (the other side is the rest).
	Group []string `json:"group,omitempty"`
	// Resource and Action are the agent fault's target.
	Resource string `json:"resource,omitempty"`
	Action   string `json:"action,omitempty"`
	// Prefer is the node the policy step prefers for vip ("" none).
	Prefer string `json:"prefer,omitempty"`
}

// String describes the step on one line.
func (s Step) String() string {
	b := fmt.Sprintf("+%v %s", s.After.Round(time.Millisecond), s.Kind)
	switch s.Kind {
	case FaultOneWay:
		b += fmt.Sprintf(" %s->%s", s.Node, s.Peer)
	case FaultPartition:
		b += fmt.Sprintf(" [%s] | rest", strings.Join(s.Group, " "))
	case FaultMonitor, FaultHang:
		b += fmt.Sprintf(" %s %s %s", s.Node, s.Resource, s.Action)
	case FaultPolicy:
		if s.Prefer == "" {
			b += " no preference"
		} else {
			b += " prefer " + s.Prefer
		}
	case FaultHeal, FaultLossy:
	default:
		b += " " + s.Node
	}
	return b
}

// NewSchedule draws k faults for the nodes names from seed. The same
// seed, k and names give the same schedule.
func NewSchedule(seed uint64, k int, names []string) []Step {
	r := rand.New(rand.NewPCG(seed, 0x5157))
	kinds := []string{FaultKill, FaultRestart, FaultFreeze, FaultPartition, FaultPartition, FaultOneWay, FaultLossy,
		FaultHeal, FaultHeal, FaultMonitor, FaultHang, FaultFence, FaultPolicy}
	pick := func() string { return names[r.IntN(len(names))] }
	var out []Step
	for range k {
		s := Step{After: time.Duration(300+r.IntN(2200)) * time.Millisecond, Kind: kinds[r.IntN(len(kinds))]}
		switch s.Kind {
		case FaultOneWay:
			s.Node = pick()
			for s.Peer = pick(); s.Peer == s.Node; s.Peer = pick() {
			}
		case FaultPartition:
			// A minority of one or two, drawn without repeats.
			perm := r.Perm(len(names))
			for _, i := range perm[:1+r.IntN(max(1, (len(names)-1)/2))] {
				s.Group = append(s.Group, names[i])
			}
		case FaultMonitor, FaultHang:
			s.Node = pick()
			s.Resource = []string{"vip", "db"}[r.IntN(2)]
			s.Action = "monitor"
			if s.Kind == FaultHang && r.IntN(2) == 0 {
				s.Action = "stop"
			}
		case FaultPolicy:
			if i := r.IntN(len(names) + 1); i < len(names) {
				s.Prefer = names[i]
			}
		case FaultHeal, FaultLossy:
		default:
			s.Node = pick()
		}
		out = append(out, s)
	}
	return out
}
