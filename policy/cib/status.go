package cib

import (
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/ward-ha/ward/policy"
)

// nodeRT is a node's state while the status section is derived.
type nodeRT struct {
	name    string
	state   *element // node_state, nil when absent
	online  bool     // Pacemaker's details->online
	unclean bool
	// observedUnclean is the state from membership alone; unclean also
	// holds what the history implies (on-fail=fence, resources thought
	// active on an offline node), which the scheduler derives itself.
	observedUnclean bool
	standbyOnFail   bool
	pending         bool
	standby         bool
	maintenance     bool
	shutdown        bool
	attrs           map[string]string // transient attributes
	failCounts      map[string]*failCount
	// rawIDs maps a status id to the lrm_resource id seen on the node
	// ("db" to "db:1" for anonymous clone instances).
	rawIDs    map[string]string
	merged    map[string]string // permanent + transient
	resources []policy.ResourceStatus
}

// deriveStatus implements Pacemaker's unpacking of the status section
// (lib/pengine/unpack.c; see pacemaker-facts.md §3).
func (im *importer) deriveStatus(st *element) *policy.Status {
	out := &policy.Status{Nodes: []policy.NodeStatus{}}
	if q, ok := im.root.lookup("have-quorum"); ok {
		out.Quorate = isTrue(q)
	}
	if dc := im.root.attr("dc-uuid"); dc != "" {
		if n, ok := im.nodeByID[dc]; ok {
			out.DC = n
		} else if im.knownNode(dc) {
			out.DC = dc
		}
	}
	if ed := strings.TrimSpace(im.root.attr("execution-date")); ed != "" {
		if sec, ok := parseEpoch(ed); ok {
			t := time.Unix(sec, 0).UTC()
			out.ExecutionDate = &t
			if im.now.IsZero() {
				im.now = t
			}
		} else {
			im.lossy(im.root, "execution-date "+strconv.Quote(ed)+" is not an epoch; ignored")
		}
	}
	nodes := make([]*nodeRT, 0, len(im.cfg.Nodes))
	byName := map[string]*nodeRT{}
	for _, n := range im.cfg.Nodes {
		rt := &nodeRT{name: n.Name, attrs: map[string]string{}, merged: map[string]string{}}
		for k, v := range n.Attributes {
			rt.merged[k] = v
		}
		nodes = append(nodes, rt)
		byName[n.Name] = rt
	}
	var states []*element
	if st != nil {
		for _, ns := range st.all("node_state") {
			name := ns.attr("uname")
			if name == "" {
				name = im.nodeByID[ns.attr("id")]
			}
			rt := byName[name]
			if rt == nil {
				im.lossy(ns, "status of a node that is not configured (remote, guest or removed node); ignored")
				continue
			}
			if rt.state != nil {
				im.lossy(ns, "second node_state for the same node; ignored")
				continue
			}
			rt.state = ns
			states = append(states, ns)
		}
	}
	for _, rt := range nodes {
		im.nodeOnlineStatus(rt)
		rt.observedUnclean = rt.unclean
		im.readFailCounts(rt)
	}
	// Resource history, in node_state order. With fencing disabled the
	// history of offline nodes is not read (Pacemaker defers it forever).
	for _, ns := range states {
		rt := byName[nodeStateName(im, ns)]
		if !im.fenced && !rt.online {
			continue
		}
		lrm := ns.child("lrm")
		if lrm == nil {
			continue
		}
		for _, lr := range lrm.children {
			if lr.name != "lrm_resources" {
				continue
			}
			for _, r := range lr.all("lrm_resource") {
				im.unpackResource(rt, r)
			}
		}
	}
	// Nodes are listed in status order (node_state order, then nodes never
	// seen): Pacemaker numbers anonymous clone instances in that order,
	// which decides ties between equal instances.
	ordered := make([]*nodeRT, 0, len(nodes))
	for _, ns := range states {
		ordered = append(ordered, byName[nodeStateName(im, ns)])
	}
	for _, rt := range nodes {
		if rt.state == nil {
			ordered = append(ordered, rt)
		}
	}
	for _, rt := range ordered {
		attachFailCounts(rt)
		im.promotionScores(rt)
		ns := policy.NodeStatus{Name: rt.name, Standby: rt.standby, Maintenance: rt.maintenance, Resources: rt.resources}
		if rt.unclean || rt.standbyOnFail {
			im.res.pacemaker[rt.name] = pcmkNode{unclean: rt.unclean, standby: rt.standbyOnFail}
		}
		switch {
		case rt.observedUnclean:
			ns.State = policy.NodeUnclean
		case !rt.online:
			ns.State = policy.NodeOffline
		case rt.pending:
			ns.State = policy.NodePending
		default:
			ns.State = policy.NodeOnline
		}
		if len(rt.attrs) > 0 {
			ns.Attributes = rt.attrs
		}
		out.Nodes = append(out.Nodes, ns)
	}
	return out
}

func nodeStateName(im *importer, ns *element) string {
	if n := ns.attr("uname"); n != "" {
		return n
	}
	return im.nodeByID[ns.attr("id")]
}

// nodeOnlineStatus reads transient attributes and computes the node's
// state (determine_online_status and its fencing/no-fencing variants).
func (im *importer) nodeOnlineStatus(rt *nodeRT) {
	ns := rt.state
	if ns == nil {
		// Never seen: unclean until fenced when startup-fencing holds.
		rt.unclean = im.startupFencing && im.fenced
		return
	}
	if ta := ns.child("transient_attributes"); ta != nil {
		for _, p := range im.readSets(ta, "instance_attributes") {
			// Fail counts stay attributes too (rules may test them);
			// readFailCounts also sums them per resource.
			rt.attrs[p.name] = p.value
			rt.merged[p.name] = p.value
		}
	}
	rt.standby = isTrue(rt.merged["standby"])
	rt.maintenance = isTrue(rt.merged["maintenance"])
	delete(rt.attrs, "standby")
	delete(rt.attrs, "maintenance")
	if v := rt.merged["shutdown"]; v != "" && v != "0" {
		rt.shutdown = true
	}
	join := ns.attr("join")
	expected := ns.attr("expected")
	member := memberSince(ns)
	onlineSince := crmdSince(ns)
	if !im.fenced {
		switch {
		case member <= 0:
		case onlineSince > 0:
			rt.online = strings.EqualFold(join, "member")
		case !rt.shutdown && strings.EqualFold(expected, "member"):
			rt.unclean = true // peer is unexpectedly down
		}
		return
	}
	terminate := false
	if v := rt.merged["terminate"]; v != "" {
		if b, ok := parseBool(v); ok {
			terminate = b
		} else if n, err := strconv.ParseInt(v, 10, 64); err == nil && n > 0 {
			terminate = true
		}
	}
	if member < 0 {
		rt.unclean = true // peer has not been seen by the cluster
		return
	}
	switch {
	case join == "banned":
		rt.unclean = true
	case terminate:
		if !(member <= 0 && onlineSince <= 0 && join == "down") {
			rt.unclean = true
		}
	case expected == "" || expected == "down":
		if member > 0 || onlineSince > 0 {
			rt.pending = true
		}
	case member <= 0:
		rt.unclean = true // no longer part of the cluster
	case onlineSince <= 0:
		rt.unclean = true // peer process no longer available
	case join == "member":
	case join == "pending" || join == "down":
		rt.pending = true
	default:
		rt.unclean = true
	}
	rt.online = member > 0
}

// memberSince is unpack_node_member: -1 when in_ccm is absent or
// unreadable, 0 when not a member, >0 (a time or 1) when a member.
func memberSince(ns *element) int64 {
	v, ok := ns.lookup("in_ccm")
	if !ok {
		return -1
	}
	if b, ok := parseBool(v); ok {
		if b {
			return 1
		}
		return 0
	}
	n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
	if err != nil || n < 0 {
		return -1
	}
	return n
}

// crmdSince is unpack_node_online: 0 when the controller is offline.
func crmdSince(ns *element) int64 {
	v := strings.TrimSpace(ns.attr("crmd"))
	switch strings.ToLower(v) {
	case "", "offline":
		return 0
	case "online":
		return 1
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < 0 {
		return 0
	}
	return n
}

// promotionScores renames promotion scores of anonymous clone instances
// ("master-db:1") to the primitive's name ("master-db"), the form ward
// reads. Pacemaker uses the score of the instance whose history is on the
// node, else the plain name, else any instance's.
func (im *importer) promotionScores(rt *nodeRT) {
	type cand struct{ name, value string }
	byPrim := map[string][]cand{}
	for name, v := range rt.attrs {
		rest, ok := strings.CutPrefix(name, "master-")
		if !ok {
			continue
		}
		i := strings.LastIndexByte(rest, ':')
		if i <= 0 {
			continue
		}
		if _, err := strconv.Atoi(rest[i+1:]); err != nil {
			continue
		}
		base := rest[:i]
		if info, ok := im.prims[base]; !ok || info.unique {
			continue
		}
		byPrim[base] = append(byPrim[base], cand{name, v})
	}
	for base, cs := range byPrim {
		plain := "master-" + base
		chosen := ""
		want := "master-" + rt.rawIDs[base]
		for _, c := range cs {
			if c.name == want {
				chosen = c.value
			}
		}
		if _, ok := rt.attrs[plain]; !ok && chosen == "" {
			sort.Slice(cs, func(i, j int) bool { return cs[i].name < cs[j].name })
			chosen = cs[0].value
		}
		if chosen != "" {
			rt.attrs[plain] = chosen
		}
		for _, c := range cs {
			delete(rt.attrs, c.name)
		}
	}
}

// maxEpoch is 9999-12-31T23:59:59Z, the last second a timestamp can
// have and still be written as RFC 3339 (and so as JSON).
const maxEpoch = 253402300799

// parseEpoch reads a Pacemaker timestamp (seconds since 1970). It
// refuses what is not a number and what falls outside years 1970-9999.
func parseEpoch(s string) (int64, bool) {
	sec, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
	if err != nil || sec < 0 || sec > maxEpoch {
		return 0, false
	}
	return sec, true
}
