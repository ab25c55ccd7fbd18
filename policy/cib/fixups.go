package cib

import (
	"encoding/xml"
	"fmt"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"github.com/ward-ha/ward/policy"
)

// This file adjusts the mapped configuration to what ward's loader
// accepts where Pacemaker is more lenient (ops that never run, roles on
// resources that have none, constraints naming a clone's child), and
// reports each adjustment.

// elementFor returns the CIB element with id, or a stand-in naming it.
func (im *importer) elementFor(kind, id string) *element {
	if e, ok := im.ids[id]; ok {
		return e
	}
	return &element{name: kind, attrs: []xml.Attr{{Name: xml.Name{Local: "id"}, Value: id}}}
}

// indexClones records, for every clone, its promotability and the clone
// of each resource inside it.
func (im *importer) indexClones() {
	im.promotable = map[string]bool{}
	im.cloneOfID = map[string]string{}
	groups := map[string][]string{}
	for _, g := range im.cfg.Groups {
		groups[g.ID] = g.Members
	}
	for _, c := range im.cfg.Clones {
		im.promotable[c.ID] = c.Promotable
		im.promotable[c.Resource] = c.Promotable
		im.cloneOfID[c.Resource] = c.ID
		for _, m := range groups[c.Resource] {
			im.promotable[m] = c.Promotable
			im.cloneOfID[m] = c.ID
		}
	}
}

// promotableID reports whether id is a promotable clone or inside one.
func (im *importer) promotableID(id string) bool { return im.promotable[id] }

// cloneOf returns the clone that contains id (directly or through a
// group), or "".
func (im *importer) cloneOf(id string) string { return im.cloneOfID[id] }

var clusterNameRe = regexp.MustCompile(`[^A-Za-z0-9_.-]+`)

// fixForWard applies the adjustments.
func (im *importer) fixForWard() {
	c := im.cfg
	im.indexClones()
	if c.Cluster.Name == "" {
		base := strings.TrimSuffix(filepath.Base(im.name), filepath.Ext(im.name))
		base = strings.Trim(clusterNameRe.ReplaceAllString(base, "-"), "-.")
		if base == "" {
			base = "imported"
		}
		if len(base) > 60 {
			base = base[:60]
		}
		c.Cluster.Name = base
		im.comment("cluster", "name: the CIB has no cluster-name; this one comes from the file name")
	}
	if r := c.Cluster.ResourceDefaults.TargetRole; r == policy.RolePromoted || r == policy.RoleUnpromoted {
		im.lossy(im.root, "rsc_defaults target-role "+string(r)+" cannot be a default for every resource in ward; dropped")
		c.Cluster.ResourceDefaults.TargetRole = ""
	}
	for i := range c.Nodes {
		n := &c.Nodes[i]
		if !validHost(n.Name) {
			addr := fmt.Sprintf("192.0.2.%d", i+1)
			im.lossy(im.elementFor("node", n.Name), fmt.Sprintf("node name %q is not a host name; address %s (a documentation address) written in its place: set the node's real address", n.Name, addr))
			n.Addresses = []string{addr}
		}
	}
	for i := range c.Primitives {
		im.fixPrimitive(&c.Primitives[i])
	}
	for i := range c.Groups {
		im.fixTargetRole("group", c.Groups[i].ID, &c.Groups[i].Meta)
	}
	for i := range c.Clones {
		im.fixTargetRole("clone", c.Clones[i].ID, &c.Clones[i].Meta)
	}
	im.fixConstraints()
	im.breakLoops()
	im.uniqueIDs()
	for i := range c.Alerts {
		a := &c.Alerts[i]
		if a.Path != "" && !filepath.IsAbs(a.Path) {
			im.lossy(im.elementFor("alert", a.ID), fmt.Sprintf("alert path %q is relative; ward needs an absolute path: written as /%s", a.Path, a.Path))
			a.Path = "/" + a.Path
		}
	}
}

func validHost(h string) bool {
	if h == "" || len(h) > 253 {
		return false
	}
	for _, label := range strings.Split(h, ".") {
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return false
		}
		for i := 0; i < len(label); i++ {
			ch := label[i]
			if !(ch >= 'a' && ch <= 'z' || ch >= 'A' && ch <= 'Z' || ch >= '0' && ch <= '9' || ch == '-' || ch == '_') {
				return false
			}
		}
	}
	return true
}

// fixTargetRole writes a Promoted/Unpromoted target-role outside a
// promotable clone as Started.
func (im *importer) fixTargetRole(kind, id string, m *policy.Meta) {
	if (m.TargetRole == policy.RolePromoted || m.TargetRole == policy.RoleUnpromoted) && !im.promotableID(id) {
		im.lossy(im.elementFor(kind, id), fmt.Sprintf("target-role %s on a resource that is not in a promotable clone: written as Started", m.TargetRole))
		m.TargetRole = policy.RoleStarted
	}
}

func (im *importer) fixPrimitive(p *policy.Primitive) {
	el := im.elementFor("primitive", p.ID)
	prom := im.promotableID(p.ID)
	im.fixTargetRole("primitive", p.ID, &p.Meta)
	var ops []policy.Op
	seen := map[string]bool{}
	monitors := map[policy.Duration]bool{}
	for _, op := range p.Ops {
		switch {
		case (op.Name == "promote" || op.Name == "demote") && !prom:
			im.note(el, fmt.Sprintf("op %s dropped: the resource is not in a promotable clone, so it never runs", op.Name))
			continue
		case op.Role != "" && op.Name != "monitor":
			im.note(el, fmt.Sprintf("role on op %s dropped: ward allows roles on monitors only", op.Name))
			op.Role = ""
		case (op.Role == policy.RolePromoted || op.Role == policy.RoleUnpromoted) && !prom:
			im.lossy(el, fmt.Sprintf("monitor with role %s on a resource that is not in a promotable clone: it never runs; dropped", op.Role))
			continue
		}
		if op.Role == policy.RoleStarted {
			op.Role = ""
		}
		if op.Interval != 0 && op.Name != "monitor" {
			im.lossy(el, fmt.Sprintf("recurring %s (interval %s): ward recurs monitors only; dropped", op.Name, formatDuration(op.Interval)))
			continue
		}
		if op.Interval != 0 && op.Interval.D() < time.Second {
			im.lossy(el, fmt.Sprintf("monitor interval %s is below ward's 1s minimum: written as 1s", formatDuration(op.Interval)))
			op.Interval = policy.Duration(time.Second)
		}
		if op.OnFail == policy.OnFailDemote && op.Name != "promote" && !(op.Name == "monitor" && op.Role == policy.RolePromoted) {
			im.lossy(el, fmt.Sprintf("on-fail=demote on op %s: ward allows it on promote and promoted monitors only; default used", op.Name))
			op.OnFail = ""
		}
		key := op.Name + "/" + op.Interval.String()
		if seen[key] {
			im.lossy(el, fmt.Sprintf("op %s with interval %s defined twice; the second is dropped", op.Name, formatDuration(op.Interval)))
			continue
		}
		seen[key] = true
		if op.Name == "monitor" && op.Interval != 0 {
			if monitors[op.Interval] {
				im.lossy(el, fmt.Sprintf("two monitors with interval %s; ward needs distinct intervals: the second is dropped", formatDuration(op.Interval)))
				continue
			}
			monitors[op.Interval] = true
		}
		ops = append(ops, op)
	}
	p.Ops = ops
}

// constraintTarget maps a constraint's resource to what ward accepts: the
// clone instead of its child. ok is false when the role does not fit.
func (im *importer) constraintTarget(kind, cid, id string) string {
	if cl := im.cloneOf(id); cl != "" {
		im.note(im.elementFor(kind, cid), fmt.Sprintf("%q is inside clone %q; ward constraints name the clone, so %q is written", id, cl, cl))
		return cl
	}
	return id
}

func (im *importer) roleFits(kind, cid string, role policy.Role, id string) bool {
	if (role == policy.RolePromoted || role == policy.RoleUnpromoted) && !im.promotableID(id) {
		im.lossy(im.elementFor(kind, cid), fmt.Sprintf("role %s on %q, which is not a promotable clone; constraint dropped", role, id))
		return false
	}
	return true
}

func (im *importer) fixConstraints() {
	c := im.cfg
	var locs []policy.Location
	for _, l := range c.Locations {
		l.Resource = im.constraintTarget("rsc_location", l.ID, l.Resource)
		ok := im.roleFits("rsc_location", l.ID, l.Role, l.Resource)
		for _, r := range l.Rules {
			ok = ok && im.roleFits("rsc_location", l.ID, r.Role, l.Resource)
		}
		if ok {
			locs = append(locs, l)
		}
	}
	c.Locations = locs
	var cols []policy.Colocation
	for _, co := range c.Colocations {
		ok := true
		if len(co.Sets) == 0 {
			co.Resource = im.constraintTarget("rsc_colocation", co.ID, co.Resource)
			co.With = im.constraintTarget("rsc_colocation", co.ID, co.With)
			ok = im.roleFits("rsc_colocation", co.ID, co.ResourceRole, co.Resource) && im.roleFits("rsc_colocation", co.ID, co.WithRole, co.With)
			if ok && co.Resource == co.With {
				im.lossy(im.elementFor("rsc_colocation", co.ID), "colocation of a resource with itself (after naming clones); dropped")
				ok = false
			}
		}
		for i := range co.Sets {
			for j, r := range co.Sets[i].Resources {
				co.Sets[i].Resources[j] = im.constraintTarget("rsc_colocation", co.ID, r)
				ok = ok && im.roleFits("rsc_colocation", co.ID, co.Sets[i].Role, co.Sets[i].Resources[j])
			}
		}
		if ok && len(co.Sets) > 0 && setTotal(co.Sets) < 2 {
			im.lossy(im.elementFor("rsc_colocation", co.ID), "sets name fewer than two resources after import; dropped")
			ok = false
		}
		if ok {
			cols = append(cols, co)
		}
	}
	c.Colocations = cols
	var ords []policy.Order
	for _, o := range c.Orders {
		ok := true
		actionFits := func(a, id string) bool {
			if (a == "promote" || a == "demote") && !im.promotableID(id) {
				im.lossy(im.elementFor("rsc_order", o.ID), fmt.Sprintf("action %s on %q, which is not a promotable clone; constraint dropped", a, id))
				return false
			}
			return true
		}
		if len(o.Sets) == 0 {
			o.First = im.constraintTarget("rsc_order", o.ID, o.First)
			o.Then = im.constraintTarget("rsc_order", o.ID, o.Then)
			then := o.ThenAction
			if then == "" {
				then = o.FirstAction
			}
			ok = actionFits(o.FirstAction, o.First) && actionFits(then, o.Then)
			if ok && o.First == o.Then {
				im.lossy(im.elementFor("rsc_order", o.ID), "order of a resource with itself (after naming clones); dropped")
				ok = false
			}
		}
		for i := range o.Sets {
			for j, r := range o.Sets[i].Resources {
				o.Sets[i].Resources[j] = im.constraintTarget("rsc_order", o.ID, r)
				ok = ok && actionFits(o.Sets[i].Action, o.Sets[i].Resources[j])
			}
		}
		if ok && len(o.Sets) > 0 && setTotal(o.Sets) < 2 {
			im.lossy(im.elementFor("rsc_order", o.ID), "sets name fewer than two resources after import; dropped")
			ok = false
		}
		if ok && o.Kind == policy.OrderSerialize && o.Symmetric != nil && *o.Symmetric {
			o.Symmetric = nil
		}
		if ok {
			ords = append(ords, o)
		}
	}
	c.Orders = ords
}

func setTotal(sets []policy.ResourceSet) int {
	n := 0
	for _, s := range sets {
		n += len(s.Resources)
	}
	return n
}

// uniqueIDs drops every object whose id was already used by an earlier
// one: ward's ids are unique across resources, constraints, fencing
// devices and alerts (Pacemaker's across the whole CIB, so this only
// happens with a damaged CIB or an id the import derived).
func (im *importer) uniqueIDs() {
	c := im.cfg
	used := map[string]bool{}
	take := func(kind, id string) bool {
		if used[id] {
			im.lossy(im.elementFor(kind, id), fmt.Sprintf("id %q is used twice; the second %s is dropped", id, kind))
			return false
		}
		used[id] = true
		return true
	}
	for _, p := range c.Primitives {
		used[p.ID] = true
	}
	for _, g := range c.Groups {
		used[g.ID] = true
	}
	for _, x := range c.Clones {
		used[x.ID] = true
	}
	var locs []policy.Location
	for _, l := range c.Locations {
		if take("rsc_location", l.ID) {
			locs = append(locs, l)
		}
	}
	c.Locations = locs
	var cols []policy.Colocation
	for _, x := range c.Colocations {
		if take("rsc_colocation", x.ID) {
			cols = append(cols, x)
		}
	}
	c.Colocations = cols
	var ords []policy.Order
	for _, x := range c.Orders {
		if take("rsc_order", x.ID) {
			ords = append(ords, x)
		}
	}
	c.Orders = ords
	var devs []policy.FenceDevice
	for _, x := range c.Fencing.Devices {
		if take("primitive", x.ID) {
			devs = append(devs, x)
		}
	}
	c.Fencing.Devices = devs
	var als []policy.Alert
	for _, x := range c.Alerts {
		if take("alert", x.ID) {
			als = append(als, x)
		}
	}
	c.Alerts = als
}
