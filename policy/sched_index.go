package policy

import (
	"sort"
	"strings"
	"time"
)

// This file builds the scheduler's integer-indexed view of a Config: nodes
// and resources numbered once, parents and children resolved, and the
// effective meta values (resource -> group -> clone -> resource_defaults
// -> built-in default) computed up front so the inner loops read plain
// fields. It never trusts that Load filled defaults: nil pointers mean
// "inherit".

// placeholderFenceAgent is the agent of the device `ward import cib`
// writes when a CIB enables fencing without a device; it is not placed.
const placeholderFenceAgent = "fence_placeholder_replace_me"

type rkind uint8

const (
	kindPrim rkind = iota
	kindGroup
	kindClone
)

func (k rkind) String() string {
	switch k {
	case kindGroup:
		return "group"
	case kindClone:
		return "clone"
	}
	return "primitive"
}

// snode is one configured node as the scheduler sees it.
type snode struct {
	name    string
	idx     int
	state   NodeState
	standby bool
	maint   bool
	// shutdown: the node is shutting down (a "shutdown" attribute); it
	// runs nothing.
	shutdown bool
	attrs    map[string]string
	util     map[string]int64
	// reason is why nothing may run here; ReasonNone when usable.
	reason Reason
	// fence is set when this transition fences the node.
	fence      bool
	fenceWhy   string
	hasActive  bool // something managed is active on it
	count      int  // instances assigned in this transition
	used       map[string]int64
	configured bool
}

func (n *snode) usable() bool { return n.reason == ReasonNone }

// srsc is one resource: a primitive, group or clone.
type srsc struct {
	id       string
	kind     rkind
	idx      int
	parent   int // -1 for top level
	children []int
	prim     *Primitive
	grp      *Group
	cl       *Clone
	unit     int     // top-level ancestor (itself when top level)
	memb     []*srsc // cached members (see members); read-only

	// Effective meta.
	stick   Score
	prio    int
	target  Role
	managed bool
	migThr  int64
	failTO  time.Duration
	util    map[string]int64
	stonith bool
	device  bool // a fencing device, placed where it is monitored
	promo   bool // promotable clone, or inside one

	// Group options.
	ordered    bool
	collocated bool
}

// meta levels from the resource up to the cluster defaults.
func (s *sched) metaChain(r *srsc) []*Meta {
	var out []*Meta
	for x := r; x != nil; {
		switch x.kind {
		case kindPrim:
			out = append(out, &x.prim.Meta)
		case kindGroup:
			out = append(out, &x.grp.Meta)
		case kindClone:
			out = append(out, &x.cl.Meta)
		}
		if x.parent < 0 {
			break
		}
		x = s.rs[x.parent]
	}
	return append(out, &s.cfg.Cluster.ResourceDefaults)
}

func (s *sched) inClone(r *srsc) *srsc {
	for x := r; x != nil; {
		if x.kind == kindClone {
			return x
		}
		if x.parent < 0 {
			return nil
		}
		x = s.rs[x.parent]
	}
	return nil
}

func roleRank(r Role) int {
	switch r {
	case RoleStopped:
		return 0
	case RoleUnpromoted:
		return 1
	case RoleStarted:
		return 2
	case RolePromoted:
		return 3
	}
	return 4
}

func (s *sched) fillMeta(r *srsc) {
	chain := s.metaChain(r)
	r.managed = !s.cfg.Cluster.Maintenance
	r.target = RoleUnknown
	r.migThr = int64(Infinity)
	gotStick, gotPrio, gotThr, gotFT := false, false, false, false
	for _, m := range chain {
		if m.IsManaged != nil && !*m.IsManaged {
			r.managed = false
		}
		if m.TargetRole != RoleUnknown && (r.target == RoleUnknown || roleRank(m.TargetRole) < roleRank(r.target)) {
			r.target = m.TargetRole
		}
		if !gotStick && m.Stickiness != nil {
			r.stick, gotStick = *m.Stickiness, true
		}
		if !gotPrio && m.Priority != nil {
			r.prio, gotPrio = *m.Priority, true
		}
		if !gotThr && m.MigrationThreshold != nil {
			r.migThr, gotThr = int64(*m.MigrationThreshold), true
		}
		if !gotFT && m.FailureTimeout != nil {
			r.failTO, gotFT = m.FailureTimeout.D(), true
		}
		if r.util == nil && len(m.Utilization) > 0 && m != &s.cfg.Cluster.ResourceDefaults {
			r.util = m.Utilization
		}
	}
	if !gotStick && s.inClone(r) != nil {
		// Pacemaker gives clone instances a stickiness of 1 by default.
		r.stick = 1
	}
	if r.target == RoleUnknown {
		r.target = RoleStarted
	}
	if c := s.inClone(r); c != nil {
		r.promo = c.cl.Promotable
	}
}

func (s *sched) buildIndex() {
	cfg := s.cfg
	// Nodes: configured nodes, plus any node the status names.
	seen := map[string]bool{}
	var names []string
	for _, n := range cfg.Nodes {
		if n.Name != "" && !seen[n.Name] {
			seen[n.Name] = true
			names = append(names, n.Name)
		}
	}
	for _, n := range s.st.Nodes {
		if n.Name != "" && !seen[n.Name] {
			seen[n.Name] = true
			names = append(names, n.Name)
		}
	}
	sort.Strings(names)
	s.nodeIdx = make(map[string]int, len(names))
	s.nodes = make([]*snode, len(names))
	for i, nm := range names {
		s.nodes[i] = &snode{name: nm, idx: i, state: NodeOffline, attrs: map[string]string{}}
		s.nodeIdx[nm] = i
	}
	for i := range cfg.Nodes {
		cn := &cfg.Nodes[i]
		n := s.nodes[s.nodeIdx[cn.Name]]
		if n.configured {
			continue
		}
		n.configured = true
		n.standby = cn.Standby
		n.maint = cn.Maintenance
		for k, v := range cn.Attributes {
			n.attrs[k] = v
		}
		n.util = cn.Utilization
	}

	// Resources: primitives, groups, clones in config order.
	s.rsIdx = map[string]int{}
	add := func(r *srsc) {
		if r.id == "" {
			return
		}
		if _, dup := s.rsIdx[r.id]; dup {
			s.warnf("resource ID %q is defined twice; the second definition is ignored", r.id)
			return
		}
		r.idx = len(s.rs)
		r.parent = -1
		s.rsIdx[r.id] = r.idx
		s.rs = append(s.rs, r)
	}
	// Fencing devices are placed like primitives, first (a CIB usually defines them first): the node that "runs" a
	// device is the one that monitors it (Pacemaker's stonith resources).
	// The import's placeholder device stands for no real device.
	devs := make([]Primitive, 0, len(cfg.Fencing.Devices))
	for _, d := range cfg.Fencing.Devices {
		if d.Agent == placeholderFenceAgent {
			continue
		}
		devs = append(devs, Primitive{ID: d.ID, Agent: "stonith:" + d.Agent})
	}
	for i := range devs {
		add(&srsc{id: devs[i].ID, kind: kindPrim, prim: &devs[i], stonith: true, device: true})
	}
	for i := range cfg.Primitives {
		p := &cfg.Primitives[i]
		add(&srsc{id: p.ID, kind: kindPrim, prim: p, stonith: strings.HasPrefix(p.Agent, "stonith:")})
	}
	for i := range cfg.Groups {
		g := &cfg.Groups[i]
		add(&srsc{id: g.ID, kind: kindGroup, grp: g,
			ordered: g.Ordered == nil || *g.Ordered, collocated: g.Collocated == nil || *g.Collocated})
	}
	for i := range cfg.Clones {
		c := &cfg.Clones[i]
		add(&srsc{id: c.ID, kind: kindClone, cl: c})
	}
	// Parents.
	for _, r := range s.rs {
		switch r.kind {
		case kindGroup:
			for _, m := range r.grp.Members {
				ci, ok := s.rsIdx[m]
				if !ok || s.rs[ci].kind != kindPrim || s.rs[ci].parent >= 0 {
					s.warnf("group %q: member %q is not a free primitive; ignored", r.id, m)
					continue
				}
				s.rs[ci].parent = r.idx
				r.children = append(r.children, ci)
			}
		case kindClone:
			ci, ok := s.rsIdx[r.cl.Resource]
			if !ok || s.rs[ci].kind == kindClone || s.rs[ci].parent >= 0 {
				s.warnf("clone %q: resource %q is not a free primitive or group; ignored", r.id, r.cl.Resource)
				continue
			}
			s.rs[ci].parent = r.idx
			r.children = append(r.children, ci)
		}
	}
	for _, r := range s.rs {
		top := r
		for top.parent >= 0 {
			top = s.rs[top.parent]
		}
		r.unit = top.idx
		s.fillMeta(r)
		if r.kind == kindPrim {
			s.prims = append(s.prims, r.idx)
		}
		if r.parent < 0 {
			s.units = append(s.units, r.idx)
		}
	}
	// Fill the members cache now, so that it is read-only afterwards (score
	// tables may be built from several goroutines).
	for _, r := range s.rs {
		s.members(r)
	}
}

// members returns the primitives under r in order (r itself for a
// primitive).
func (s *sched) members(r *srsc) []*srsc {
	if r.memb != nil {
		return r.memb
	}
	switch r.kind {
	case kindPrim:
		r.memb = []*srsc{r}
		return r.memb
	}
	out := []*srsc{}
	for _, c := range r.children {
		out = append(out, s.members(s.rs[c])...)
	}
	r.memb = out
	return out
}

// primTemplate returns the unit's primitive or group below a clone.
func (s *sched) cloneChild(c *srsc) *srsc {
	if len(c.children) == 0 {
		return nil
	}
	return s.rs[c.children[0]]
}

func (s *sched) stonithEnabled() bool {
	return s.cfg.Cluster.StonithEnabled == nil || *s.cfg.Cluster.StonithEnabled
}

func (s *sched) symmetric() bool {
	return s.cfg.Cluster.Symmetric == nil || *s.cfg.Cluster.Symmetric
}

func (s *sched) noQuorumPolicy() NoQuorumPolicy {
	if s.cfg.Cluster.NoQuorumPolicy == "" {
		return NoQuorumStop
	}
	return s.cfg.Cluster.NoQuorumPolicy
}

func (s *sched) startFailureIsFatal() bool {
	return s.cfg.Cluster.StartFailureIsFatal == nil || *s.cfg.Cluster.StartFailureIsFatal
}

// cloneMax is the effective clone_max.
func (s *sched) cloneMax(c *srsc) int {
	if c.cl.CloneMax != nil {
		if *c.cl.CloneMax < 0 {
			return 0
		}
		return *c.cl.CloneMax
	}
	return len(s.nodes)
}

func (s *sched) cloneNodeMax(c *srsc) int {
	if c.cl.CloneNodeMax != nil {
		if *c.cl.CloneNodeMax < 0 {
			return 0
		}
		return *c.cl.CloneNodeMax
	}
	return 1
}

// unique reports whether the instances of clone c are distinct: a
// globally unique clone, or (as Pacemaker 3 defaults) one that may run
// several instances per node, since anonymous instances on one node could
// not be told apart.
func (s *sched) unique(c *srsc) bool {
	return c.cl.GloballyUnique || s.cloneNodeMax(c) > 1
}

func (s *sched) promotedMax(c *srsc) int {
	if c.cl.PromotedMax != nil {
		return *c.cl.PromotedMax
	}
	return 1
}

func (s *sched) promotedNodeMax(c *srsc) int {
	if c.cl.PromotedNodeMax != nil {
		return *c.cl.PromotedNodeMax
	}
	return 1
}
