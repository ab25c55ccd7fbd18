package policy

import (
	"fmt"
	"sort"
	"time"
)

// Schedule computes the transition that takes the cluster from the
// observed status st towards what cfg asks for, at instant now. It is a
// pure function: no I/O, no clock, no goroutines, no global state; the
// same input gives the same output, byte for byte once encoded.
//
// The pipeline: read node states and failures; decide fencing; compute
// every resource's base scores (location, stickiness, bans); place the
// resources one unit (primitive, group or clone) at a time, in priority
// order, each after the resources it is colocated with; choose promoted
// instances; then derive the actions and their ordering from the
// difference between what runs now and the placement.
//
// cfg may come from Parse without defaults filled: every nil option takes
// its documented default. A nil cfg schedules nothing.
func Schedule(cfg *Config, st Status, now time.Time) Transition {
	if cfg == nil {
		cfg = &Config{}
	}
	s := newSched(cfg, st, now)
	s.run()
	return s.output()
}

// sched holds one scheduling run's working state. It lives for one call.
type sched struct {
	cfg *Config
	st  Status
	now time.Time

	nodes   []*snode
	nodeIdx map[string]int
	rs      []*srsc
	rsIdx   map[string]int
	prims   []int // primitive indexes
	units   []int // top-level resources, config order

	active     [][]obs // per resource (primitives only)
	bans       [][]ban // per resource
	orphans    []orphan
	clears     []clearFC
	expired    map[[2]int]bool
	stopFail   map[int]bool
	demoteFail map[[2]int]bool

	vecs       [][]Score // per resource
	notAllowed [][]bool  // per resource, opt-in clusters only
	contribs   [][]contrib
	mass       [][]massContrib // per resource
	reasons    [][]uint8       // per resource, per node: reasonList index (nil: none)
	promoLocs  []promoLoc
	promoOut   map[int][]promoAt // per promotable clone

	colocs   []coloc
	ords     []ord
	thisWith [][]int // per unit: colocations where it is the dependent
	withThis [][]int // per unit: colocations where it is the primary

	ust      []ustate
	pinsts   []pinst
	pinstOf  [][]int // per primitive
	unitVecs [][]Score
	baseVecs [][]Score

	utilKeys  []string
	boolPool  [][]bool
	placedBuf []placedAt
	scoreBufs [][]Score
	byID      []int // resources sorted by ID, for the score tables

	noQuorum bool

	next     *time.Time
	warnings []string
}

func newSched(cfg *Config, st Status, now time.Time) *sched {
	return &sched{
		cfg:        cfg,
		st:         st,
		now:        now,
		expired:    map[[2]int]bool{},
		stopFail:   map[int]bool{},
		demoteFail: map[[2]int]bool{},
		promoOut:   map[int][]promoAt{},
	}
}

func (s *sched) warnf(format string, args ...any) {
	s.warnings = append(s.warnings, fmt.Sprintf(format, args...))
}

func (s *sched) run() {
	s.buildIndex()
	nr := len(s.rs)
	s.vecs = make([][]Score, nr)
	s.notAllowed = make([][]bool, nr)
	s.contribs = make([][]contrib, nr)
	s.mass = make([][]massContrib, nr)
	s.reasons = make([][]uint8, nr)
	s.thisWith = make([][]int, nr)
	s.withThis = make([][]int, nr)
	s.ust = make([]ustate, nr)
	s.pinstOf = make([][]int, nr)
	s.unitVecs = make([][]Score, nr)
	s.baseVecs = make([][]Score, nr)
	for i := range s.rs {
		s.vec(i)
		s.ust[i].node = -1
	}
	s.readNodes()
	s.noQuorum = !s.st.Quorate && s.noQuorumPolicy() != NoQuorumIgnore
	s.readResources()
	s.decideFencing()
	s.applyLocations()
	s.applyStickiness()
	s.applyBans()
	s.expandColocations()
	s.collectUtilKeys()

	for _, u := range s.assignOrder() {
		s.assign(u)
	}
	s.applyOrderBlocking()
}

// decideFencing fences unclean nodes, and offline nodes thought to run
// managed resources, when fencing is enabled and the partition may act.
func (s *sched) decideFencing() {
	for _, n := range s.nodes {
		// Without quorum, a node may still be fenced while it is in our
		// membership (Pacemaker's pe_can_fence).
		canFence := s.stonithEnabled() && (!s.noQuorum || n.state == NodeOnline)
		switch {
		case n.state == NodeUnclean:
			s.fenceNode(n, "node is unclean (lost, or not seen since the cluster started, while it may run resources)")
		case n.state == NodeOffline && n.hasActive:
			s.fenceNode(n, "node is offline but resources are thought active there")
		}
		if n.fence && !canFence {
			n.fence = false
			if s.stonithEnabled() {
				s.warnf("node %s needs fencing (%s) but this partition has no quorum; its resources stay blocked", n.name, n.fenceWhy)
			} else if n.state == NodeUnclean || (n.state == NodeOnline && n.hasActive) {
				s.warnf("node %s needs fencing (%s) but fencing is disabled (stonith_enabled = false)", n.name, n.fenceWhy)
			}
		}
	}
	if s.noQuorum && s.noQuorumPolicy() == NoQuorumSuicide && s.stonithEnabled() {
		for _, n := range s.nodes {
			if n.state == NodeOnline {
				s.fenceNode(n, "no quorum and no_quorum_policy = suicide")
			}
		}
	}
	// Without fencing, a lost node's resources are assumed stopped only
	// when the node is cleanly down; an unclean node keeps them blocked.
	if !s.stonithEnabled() {
		for pi := range s.active {
			for k := range s.active[pi] {
				o := &s.active[pi][k]
				if n := s.nodes[o.node]; n.state == NodeOffline {
					o.gone = true
				}
			}
		}
	}
	for pi := range s.active {
		for k := range s.active[pi] {
			o := &s.active[pi][k]
			if s.nodes[o.node].fence {
				o.gone = true
				o.implied = true
			}
		}
	}
	for _, n := range s.nodes {
		if n.fence {
			n.reason = ReasonNodeUnclean
		}
	}
}

// assignOrder sorts the units the way Pacemaker does: higher priority
// first; then, only when a placement strategy uses utilization, the higher score on the node where it runs now, then the
// higher score on the best nodes (usable nodes first, then more free
// capacity, then name), then configuration order.
func (s *sched) assignOrder() []int {
	// File order: a unit stands where its first primitive is listed (so
	// a group or clone written between two primitives is placed between
	// them, as Pacemaker places resources in CIB order); fencing devices
	// come first.
	order := append([]int(nil), s.units...)
	pos := make([]int, len(s.rs))
	for i, pi := range s.prims {
		pos[pi] = i
	}
	sort.SliceStable(order, func(a, b int) bool {
		return s.filePos(order[a], pos) < s.filePos(order[b], pos)
	})
	nodeOrder := make([]int, 0, len(s.nodes))
	for i := range s.nodes {
		nodeOrder = append(nodeOrder, i)
	}
	balanced := s.placementStrategy() == PlacementBalanced
	sort.SliceStable(nodeOrder, func(a, b int) bool {
		x, y := s.nodes[nodeOrder[a]], s.nodes[nodeOrder[b]]
		if x.usable() != y.usable() {
			return x.usable()
		}
		if balanced {
			if c := s.compareCapacity(x, y); c != 0 {
				return c > 0
			}
		}
		return false
	})
	full := s.placementStrategy() != PlacementDefault
	curScore := make([]Score, len(s.rs))
	for _, u := range order {
		if !full {
			break
		}
		curScore[u] = -Infinity
		r := s.rs[u]
		if r.kind == kindClone {
			continue
		}
		if cur := s.currentNode(s.members(r)); cur >= 0 {
			curScore[u] = s.baseVec(u)[cur]
		}
	}
	sort.SliceStable(order, func(a, b int) bool {
		x, y := order[a], order[b]
		if px, py := s.rs[x].prio, s.rs[y].prio; px != py {
			return px > py
		}
		if !full {
			return false
		}
		if curScore[x] != curScore[y] {
			return curScore[x] > curScore[y]
		}
		vx, vy := s.baseVec(x), s.baseVec(y)
		for _, n := range nodeOrder {
			if vx[n] != vy[n] {
				return vx[n] > vy[n]
			}
		}
		return false
	})
	return order
}

// filePos is where unit u stands in the policy file: the position of its
// first primitive (fencing devices, listed first, come first).
func (s *sched) filePos(u int, pos []int) int {
	ms := s.members(s.rs[u])
	if len(ms) == 0 {
		return len(s.prims)
	}
	return pos[ms[0].idx]
}

func (s *sched) collectUtilKeys() {
	if s.placementStrategy() == PlacementDefault {
		return
	}
	keys := map[string]bool{}
	for _, n := range s.nodes {
		for k := range n.util {
			keys[k] = true
		}
	}
	for k := range keys {
		s.utilKeys = append(s.utilKeys, k)
	}
	sort.Strings(s.utilKeys)
	for _, n := range s.nodes {
		n.used = map[string]int64{}
	}
}

func (s *sched) placementStrategy() PlacementStrategy {
	switch s.cfg.Cluster.PlacementStrategy {
	case PlacementUtilization, PlacementBalanced, PlacementMinimal:
		return s.cfg.Cluster.PlacementStrategy
	}
	return PlacementDefault
}
