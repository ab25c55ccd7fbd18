package fencing

import (
	"hash/fnv"
	"math/rand/v2"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/ward-ha/ward/policy"
)

// This file holds the delays that settle a two-node fence race: when the
// link between two nodes breaks, each wants to fence the other, and the
// one that waits longer loses. A device's static delay (usually on the
// device that fences the preferred node) and a random delay up to
// delay_max add up; priority_fencing_delay is added when the victim runs
// the more important resources, so that it survives.

// Random is the fencer's random source for delay_max. It is safe for
// concurrent use.
type Random struct {
	mu sync.Mutex
	// r guards the following.
	r *rand.Rand
}

// NewRandom returns a random source seeded from node and seed. The
// daemon passes a seed of its own (the boot time); tests pass a fixed one
// so that the delays of a run repeat.
func NewRandom(node string, seed uint64) *Random {
	h := fnv.New64a()
	h.Write([]byte(node))
	return &Random{r: rand.New(rand.NewPCG(h.Sum64(), seed))}
}

// Duration returns a duration in [0, max); 0 when max <= 0.
func (r *Random) Duration(max time.Duration) time.Duration {
	if max <= 0 {
		return 0
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	return time.Duration(r.r.Int64N(int64(max)))
}

// deviceDelay is the delay before the first attempt of d: its static
// delay plus a random one below its delay_max.
func (f *Fencer) deviceDelay(d policy.FenceDevice) time.Duration {
	return time.Duration(d.Delay) + f.rand.Duration(time.Duration(d.DelayMax))
}

// ResourcePriority returns the priority of resource id (a primitive,
// group or clone; a clone instance "id:N" counts as its clone): its own
// meta priority, else its group's, else its clone's (a clone without one
// takes its resource's), else the cluster's resource_defaults, else 0.
func ResourcePriority(cfg *policy.Config, id string) int {
	if cfg == nil {
		return 0
	}
	id, _, _ = strings.Cut(id, ":")
	parents := map[string]string{}
	children := map[string]string{}
	metas := map[string]*policy.Meta{}
	for i := range cfg.Primitives {
		metas[cfg.Primitives[i].ID] = &cfg.Primitives[i].Meta
	}
	for i := range cfg.Groups {
		g := &cfg.Groups[i]
		metas[g.ID] = &g.Meta
		for _, m := range g.Members {
			parents[m] = g.ID
		}
	}
	for i := range cfg.Clones {
		c := &cfg.Clones[i]
		metas[c.ID] = &c.Meta
		parents[c.Resource] = c.ID
		children[c.ID] = c.Resource
	}
	for n, seen := id, 0; n != "" && seen < 4; n, seen = parents[n], seen+1 {
		if m := metas[n]; m != nil && m.Priority != nil {
			return *m.Priority
		}
	}
	// A clone without a priority of its own takes its resource's.
	if c := children[id]; c != "" {
		if m := metas[c]; m != nil && m.Priority != nil {
			return *m.Priority
		}
	}
	if p := cfg.Cluster.ResourceDefaults.Priority; p != nil {
		return *p
	}
	return 0
}

// NodePriority is the total priority of what a node runs, as Pacemaker
// counts it for priority-fencing-delay: the sum of the priorities of its
// active resources, plus one for each promoted instance.
func NodePriority(cfg *policy.Config, active, promoted []string) int {
	total := 0
	for _, id := range active {
		total += ResourcePriority(cfg, id)
	}
	for _, id := range promoted {
		total += ResourcePriority(cfg, id) + 1
	}
	return total
}

// PriorityDelay returns the delay to add before fencing target:
// cluster.priority_fencing_delay when target's total priority (from
// totals, node -> NodePriority) is higher than that of every other node
// in totals, else 0. Ties give no delay (no node is preferred).
func PriorityDelay(cfg *policy.Config, totals map[string]int, target string) time.Duration {
	if cfg == nil || cfg.Cluster.PriorityFencingDelay <= 0 {
		return 0
	}
	mine, ok := totals[target]
	if !ok {
		return 0
	}
	others := make([]string, 0, len(totals))
	for n := range totals {
		if n != target {
			others = append(others, n)
		}
	}
	sort.Strings(others)
	for _, n := range others {
		if totals[n] >= mine {
			return 0
		}
	}
	return time.Duration(cfg.Cluster.PriorityFencingDelay)
}
