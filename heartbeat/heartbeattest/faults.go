package heartbeattest

import (
	"math/rand/v2"
	"sync"
	"time"
)

// LinkFaults degrade packet delivery on a whole Network, the way a lossy
// or congested network would. Streams (memberlist's TCP push/pull) are
// not affected; cuts and isolation still apply first.
type LinkFaults struct {
	// Loss is the probability (0..1) that a packet is dropped.
	Loss float64
	// Duplicate is the probability (0..1) that a packet is delivered
	// twice.
	Duplicate float64
	// MaxDelay delays each delivered packet by a uniformly random time
	// in [0, MaxDelay); zero delivers at once. Delayed packets may
	// arrive out of order.
	MaxDelay time.Duration
	// Seed seeds the random choices (reproducible in distribution only:
	// which packet is hit depends on goroutine timing).
	Seed uint64
}

// faults is a Network's packet fault state.
type faults struct {
	// mu guards the following.
	mu  sync.Mutex
	f   LinkFaults
	rnd *rand.Rand
}

// SetLinkFaults sets (or, with the zero value, clears) the packet faults
// of every link of the network.
func (n *Network) SetLinkFaults(f LinkFaults) {
	n.faults.mu.Lock()
	defer n.faults.mu.Unlock()
	n.faults.f = f
	n.faults.rnd = rand.New(rand.NewPCG(f.Seed, 0x9e3779b97f4a7c15))
}

// plan returns how many copies of a packet to deliver (0, 1 or 2) and
// the delay of each.
func (f *faults) plan() (copies int, delay [2]time.Duration) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.rnd == nil {
		return 1, delay
	}
	if f.f.Loss > 0 && f.rnd.Float64() < f.f.Loss {
		return 0, delay
	}
	copies = 1
	if f.f.Duplicate > 0 && f.rnd.Float64() < f.f.Duplicate {
		copies = 2
	}
	if f.f.MaxDelay > 0 {
		for i := range copies {
			delay[i] = time.Duration(f.rnd.Int64N(int64(f.f.MaxDelay)))
		}
	}
	return copies, delay
}
