package cib

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/ward-ha/ward/policy"
)

// importResources maps <resources>.
func (im *importer) importResources(rs *element) {
	for _, r := range rs.children {
		switch r.name {
		case "primitive":
			if p := im.importPrimitive(r, "", nil); p != nil {
				im.cfg.Primitives = append(im.cfg.Primitives, *p)
			}
		case "group":
			im.importGroup(r, "", nil)
		case "clone", "master":
			im.importClone(r)
		case "bundle":
			im.lossy(r, "bundles (containers) are not supported by ward; not imported")
		case "template":
			im.lossy(r, "resource templates are not supported; primitives using it are imported without its settings")
		default:
			im.lossy(r, "resource kind not known to the importer; ignored")
		}
	}
}

// parentMeta carries the meta values a primitive inherits from its group
// or clone, as far as status derivation needs them.
type parentMeta struct {
	clone      string
	unique     bool
	promotable bool
	managed    *bool
	ftimeout   *policy.Duration
}

// importPrimitive maps one <primitive>; group names the enclosing group.
// Stonith primitives become fencing devices and return nil.
func (im *importer) importPrimitive(r *element, group string, pm *parentMeta) *policy.Primitive {
	id := r.attr("id")
	if !im.checkID(r, id) {
		return nil
	}
	if r.attr("template") != "" {
		im.lossy(r, fmt.Sprintf("uses template %q: its settings are not imported", r.attr("template")))
	}
	class := r.attr("class")
	if class == "stonith" {
		if group != "" || pm != nil {
			im.lossy(r, "fencing device inside a group or clone: imported as a [[fencing.device]]; the grouping or cloning is dropped")
		}
		im.importDevice(r)
		return nil
	}
	if _, dup := im.kinds[id]; dup {
		im.lossy(r, fmt.Sprintf("resource id %q is used twice; the second is ignored", id))
		return nil
	}
	im.kinds[id] = "primitive"
	p := &policy.Primitive{ID: id}
	typ := r.attr("type")
	switch {
	case typ == "" || class == "" || strings.ContainsAny(class+typ, ": \t\n"):
		im.lossy(r, fmt.Sprintf("primitive without a usable class and type (class %q, type %q); not imported", class, typ))
		delete(im.kinds, id)
		return nil
	case class == "ocf":
		prov := r.attr("provider")
		if prov == "" || strings.ContainsAny(prov, ": \t\n") {
			im.lossy(r, fmt.Sprintf("OCF primitive without a usable provider (%q); not imported", prov))
			delete(im.kinds, id)
			return nil
		}
		p.Agent = "ocf:" + prov + ":" + typ
	default:
		p.Agent = class + ":" + typ
	}
	info := &primInfo{id: id, managed: im.defaultManaged, ops: map[string]string{}}
	if pm != nil {
		info.clone, info.unique, info.promotable = pm.clone, pm.unique, pm.promotable
		if pm.managed != nil {
			info.managed = *pm.managed
		}
		if pm.ftimeout != nil {
			info.failureTimeout = *pm.ftimeout
		}
	}
	if im.cfg.Cluster.Maintenance {
		info.managed = false
	}
	if info.failureTimeout == 0 && im.cfg.Cluster.ResourceDefaults.FailureTimeout != nil {
		info.failureTimeout = *im.cfg.Cluster.ResourceDefaults.FailureTimeout
	}
	for _, a := range im.readSets(r, "instance_attributes") {
		if secretName(a.name) {
			if p.SecretParams == nil {
				p.SecretParams = map[string]string{}
			}
			p.SecretParams[a.name] = a.value
			continue
		}
		if p.Params == nil {
			p.Params = map[string]string{}
		}
		p.Params[a.name] = a.value
	}
	for _, a := range im.readSets(r, "meta_attributes") {
		im.applyMeta(a.el, &p.Meta, a.name, a.value)
	}
	if p.IsManaged != nil {
		info.managed = *p.IsManaged
	}
	if p.FailureTimeout != nil {
		info.failureTimeout = *p.FailureTimeout
	}
	im.readUtilization(r, &p.Meta)
	for _, ops := range r.all("operations") {
		ops = im.deref(ops)
		if ops == nil {
			continue
		}
		for _, o := range ops.all("op") {
			if op, ok := im.importOp(o, info); ok {
				p.Ops = append(p.Ops, op)
			}
		}
	}
	for _, c := range r.children {
		switch c.name {
		case "instance_attributes", "meta_attributes", "utilization", "operations":
		default:
			im.lossy(c, "not imported")
		}
	}
	im.prims[id] = info
	return p
}

// importOp maps one <op>. Probe settings (monitor with interval 0) are not
// ward ops, but their on-fail still counts for the status.
func (im *importer) importOp(o *element, info *primInfo) (policy.Op, bool) {
	o = im.deref(o)
	if o == nil {
		return policy.Op{}, false
	}
	op := policy.Op{Name: o.attr("name")}
	switch op.Name {
	case "":
		im.lossy(o, "op without a name; ignored")
		return op, false
	case "start", "stop", "monitor", "promote", "demote", "notify", "reload", "migrate_to", "migrate_from", "meta-data", "validate-all":
	default:
		im.lossy(o, fmt.Sprintf("op %q is not an operation ward runs; ignored", op.Name))
		return op, false
	}
	if v := o.attr("interval"); v != "" {
		d, err := parsePcmkDuration(v)
		if err != nil {
			im.lossy(o, err.Error()+"; op ignored")
			return op, false
		}
		op.Interval = d
	}
	if v := o.attr("timeout"); v != "" {
		d, err := parsePcmkDuration(v)
		if err != nil {
			im.lossy(o, err.Error()+"; timeout left to the default")
		} else {
			op.Timeout = d
		}
	}
	onFail := strings.ToLower(o.attr("on-fail"))
	if onFail == "" && im.opDefaultOnFail != "" {
		onFail = im.opDefaultOnFail
	}
	switch onFail {
	case "":
	case "ignore", "nothing":
		op.OnFail = policy.OnFailIgnore
	case "block":
		op.OnFail = policy.OnFailBlock
	case "stop":
		op.OnFail = policy.OnFailStop
	case "restart":
		op.OnFail = policy.OnFailRestart
	case "fence":
		op.OnFail = policy.OnFailFence
		if !im.fenced {
			op.OnFail = policy.OnFailStop
			im.note(o, "on-fail=fence with fencing disabled: Pacemaker uses stop, so does the import")
		}
	case "standby":
		op.OnFail = policy.OnFailStandby
	case "ban", "migrate":
		op.OnFail = policy.OnFailBan
	case "demote":
		op.OnFail = policy.OnFailDemote
	default:
		im.lossy(o, fmt.Sprintf("on-fail %q is not supported; ward's default applies", onFail))
	}
	info.ops[op.Name+"/"+strconv.FormatInt(int64(op.Interval.D().Milliseconds()), 10)] = string(op.OnFail)
	if op.OnFail == policy.OnFailBlock {
		info.blockOnFail = true
	}
	if v := o.attr("role"); v != "" {
		r, ok := mapRole(v)
		if !ok {
			im.lossy(o, fmt.Sprintf("op role %q is not known; ignored", v))
		}
		op.Role = r
	}
	if v, ok := o.lookup("enabled"); ok && !isTrue(v) {
		im.lossy(o, "disabled operation: ward has no disabled ops; not imported")
		return op, false
	}
	for _, a := range []string{"start-delay", "interval-origin", "record-pending", "requires", "description"} {
		if _, ok := o.lookup(a); ok {
			im.note(o, fmt.Sprintf("op attribute %s is not used by ward", a))
		}
	}
	for _, c := range o.children {
		im.lossy(c, "attributes of an operation (such as OCF_CHECK_LEVEL) are not supported by ward; ignored")
	}
	if op.Name == "monitor" && op.Interval == 0 {
		if op.OnFail != "" || op.Timeout != 0 {
			im.note(o, "probe settings (monitor with interval 0) are not a ward op; its timeout and on-fail are not written")
		}
		return op, false
	}
	return op, true
}

// readUtilization reads <utilization> into m.
func (im *importer) readUtilization(r *element, m *policy.Meta) {
	for _, a := range im.readSets(r, "utilization") {
		v, err := strconv.ParseInt(strings.TrimSpace(a.value), 10, 64)
		if err != nil {
			im.lossy(a.el, fmt.Sprintf("utilization %s=%q is not an integer; ignored", a.name, a.value))
			continue
		}
		if m.Utilization == nil {
			m.Utilization = map[string]int64{}
		}
		m.Utilization[a.name] = v
	}
}

// applyMeta maps one resource meta attribute onto m.
func (im *importer) applyMeta(el *element, m *policy.Meta, name, value string) {
	v := strings.TrimSpace(value)
	switch name {
	case "priority":
		n, ok := atoi(v)
		if !ok {
			im.lossy(el, fmt.Sprintf("priority %q is not an integer; ignored", v))
			return
		}
		m.Priority = &n
	case "target-role":
		if strings.EqualFold(v, "default") || v == "" {
			return
		}
		r, ok := mapRole(v)
		if !ok {
			im.lossy(el, fmt.Sprintf("target-role %q is not known; ignored", v))
			return
		}
		m.TargetRole = r
	case "is-managed":
		b := isTrue(v)
		m.IsManaged = &b
	case "maintenance":
		if isTrue(v) {
			b := false
			m.IsManaged = &b
			im.note(el, "resource maintenance=true mapped to is_managed = false (ward observes the resource and acts on nothing; monitors keep running)")
		}
	case "resource-stickiness", "stickiness":
		s, err := policy.ParseScore(v)
		if err != nil {
			im.lossy(el, fmt.Sprintf("resource-stickiness %q is not a score; ignored", v))
			return
		}
		m.Stickiness = &s
	case "migration-threshold":
		s, err := policy.ParseScore(v)
		if err != nil {
			im.lossy(el, fmt.Sprintf("migration-threshold %q is not a number; ignored", v))
			return
		}
		n := int(s)
		if s >= policy.Infinity {
			n = 0 // INFINITY: never ban
		}
		if s < 0 {
			n = 0
		}
		m.MigrationThreshold = &n
	case "failure-timeout":
		d, err := parsePcmkDuration(v)
		if err != nil {
			im.lossy(el, err.Error()+"; failure-timeout ignored")
			return
		}
		m.FailureTimeout = &d
	case "requires":
		if v != "fencing" && v != "quorum" && v != "unfencing" {
			im.lossy(el, "requires="+v+": ward requires quorum and fencing for every start; ignored")
		}
	case "description":
	case "multiple-active":
		if v != "stop_start" {
			im.lossy(el, fmt.Sprintf("multiple-active=%s is not supported: ward stops every instance and starts one (stop_start)", v))
		}
	case "allow-migrate":
		if isTrue(v) {
			im.lossy(el, "allow-migrate=true: ward does not live-migrate; it stops then starts")
		}
	case "critical":
		if !isTrue(v) {
			im.lossy(el, "critical=false is not supported; ignored")
		}
	default:
		im.lossy(el, fmt.Sprintf("meta attribute %s has no ward equivalent; ignored", name))
	}
}

// importGroup maps one <group>, possibly inside a clone.
func (im *importer) importGroup(g *element, clone string, pm *parentMeta) string {
	id := g.attr("id")
	if !im.checkID(g, id) {
		return ""
	}
	if _, dup := im.kinds[id]; dup {
		im.lossy(g, fmt.Sprintf("resource id %q is used twice; the second is ignored", id))
		return ""
	}
	grp := policy.Group{ID: id}
	metas := im.readSets(g, "meta_attributes")
	for _, a := range metas {
		switch a.name {
		case "ordered", "collocated":
			b := isTrue(a.value)
			if a.name == "ordered" {
				grp.Ordered = &b
			} else {
				grp.Collocated = &b
			}
		default:
			im.applyMeta(a.el, &grp.Meta, a.name, a.value)
		}
	}
	child := parentMeta{}
	if pm != nil {
		child = *pm
	}
	if grp.IsManaged != nil {
		child.managed = grp.IsManaged
	}
	if grp.FailureTimeout != nil {
		child.ftimeout = grp.FailureTimeout
	}
	_ = clone
	for _, c := range g.children {
		switch c.name {
		case "primitive":
			if p := im.importPrimitive(c, id, &child); p != nil {
				im.cfg.Primitives = append(im.cfg.Primitives, *p)
				grp.Members = append(grp.Members, p.ID)
			}
		case "meta_attributes":
		case "instance_attributes":
			im.lossy(c, "group instance attributes are not inherited by members in ward; copy them into each member's params")
		default:
			im.lossy(c, "not imported")
		}
	}
	if len(grp.Members) == 0 {
		im.lossy(g, "group has no importable members; not imported")
		return ""
	}
	im.kinds[id] = "group"
	im.cfg.Groups = append(im.cfg.Groups, grp)
	return id
}

// importClone maps <clone> and the legacy <master>.
func (im *importer) importClone(c *element) {
	id := c.attr("id")
	if !im.checkID(c, id) {
		return
	}
	if _, dup := im.kinds[id]; dup {
		im.lossy(c, fmt.Sprintf("resource id %q is used twice; the second is ignored", id))
		return
	}
	cl := policy.Clone{ID: id}
	if c.name == "master" {
		cl.Promotable = true
		im.note(c, "legacy <master> imported as a promotable clone")
	}
	uniqueSet := false
	for _, a := range im.readSets(c, "meta_attributes") {
		v := strings.TrimSpace(a.value)
		intv := func() *int {
			n, ok := atoi(v)
			if !ok || n < 0 {
				im.lossy(a.el, fmt.Sprintf("%s %q is not a non-negative integer; ignored", a.name, v))
				return nil
			}
			return &n
		}
		switch a.name {
		case "clone-max":
			cl.CloneMax = intv()
		case "clone-node-max":
			cl.CloneNodeMax = intv()
		case "globally-unique":
			cl.GloballyUnique = isTrue(v)
			uniqueSet = true
		case "interleave":
			cl.Interleave = isTrue(v)
		case "ordered":
			cl.Ordered = isTrue(v)
		case "notify":
			cl.Notify = isTrue(v)
			if cl.Notify {
				im.lossy(a.el, "notify=true is kept, but ward does not send clone notifications yet: an agent that relies on them (ocf:heartbeat:pgsql in replication mode, ocf:linbit:drbd) will not work as it does under Pacemaker; ward's own postgres agent does not need them")
			}
		case "promotable":
			cl.Promotable = cl.Promotable || isTrue(v)
		case "promoted-max", "master-max":
			cl.PromotedMax = intv()
		case "promoted-node-max", "master-node-max":
			cl.PromotedNodeMax = intv()
		case "clone-min", "promoted-min":
			im.lossy(a.el, a.name+" is not supported by ward; ignored")
		default:
			im.applyMeta(a.el, &cl.Meta, a.name, v)
		}
	}
	if !cl.Promotable && (cl.PromotedMax != nil || cl.PromotedNodeMax != nil) {
		im.note(c, "promoted-max/promoted-node-max on a clone that is not promotable have no effect; not written")
		cl.PromotedMax, cl.PromotedNodeMax = nil, nil
	}
	if !uniqueSet && cl.CloneNodeMax != nil && *cl.CloneNodeMax > 1 {
		cl.GloballyUnique = true
		im.comment("clone/"+id, "globally_unique: Pacemaker 3.x makes a clone unique when clone-node-max > 1 and globally-unique is not set")
	}
	pm := &parentMeta{clone: id, unique: cl.GloballyUnique, promotable: cl.Promotable, managed: cl.IsManaged, ftimeout: cl.FailureTimeout}
	for _, ch := range c.children {
		switch ch.name {
		case "primitive":
			if cl.Resource != "" {
				im.lossy(ch, "a clone has one child; extra child ignored")
				continue
			}
			if ch.attr("class") == "stonith" {
				im.importPrimitive(ch, "", pm)
				continue
			}
			if p := im.importPrimitive(ch, "", pm); p != nil {
				im.cfg.Primitives = append(im.cfg.Primitives, *p)
				cl.Resource = p.ID
			}
		case "group":
			if cl.Resource != "" {
				im.lossy(ch, "a clone has one child; extra child ignored")
				continue
			}
			cl.Resource = im.importGroup(ch, id, pm)
		case "meta_attributes":
		case "instance_attributes":
			im.lossy(ch, "clone instance attributes are not inherited by the child in ward; copy them into the child's params")
		default:
			im.lossy(ch, "not imported")
		}
	}
	if cl.Resource == "" {
		im.lossy(c, "clone has no importable child; not imported")
		return
	}
	im.kinds[id] = "clone"
	im.cfg.Clones = append(im.cfg.Clones, cl)
}
