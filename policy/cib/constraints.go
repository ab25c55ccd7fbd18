package cib

import (
	"fmt"
	"regexp"
	"sort"
	"strings"

	"github.com/ward-ha/ward/policy"
)

// importConstraints maps <constraints>.
func (im *importer) importConstraints(cs *element) {
	for _, c := range cs.children {
		switch c.name {
		case "rsc_location":
			im.importLocation(c)
		case "rsc_colocation":
			im.importColocation(c)
		case "rsc_order":
			im.importOrder(c)
		case "rsc_ticket":
			im.lossy(c, "tickets (multi-site) are not supported by ward; constraint dropped")
		default:
			im.lossy(c, "constraint kind not known to the importer; dropped")
		}
	}
}

// resourceRef checks that id names an imported resource usable in a
// constraint; it reports the constraint element otherwise.
func (im *importer) resourceRef(c *element, id string) bool {
	switch im.kinds[id] {
	case "primitive", "group", "clone":
		return true
	case "device":
		im.lossy(c, fmt.Sprintf("constraint on fencing device %q: ward does not place fencing devices as resources; dropped", id))
		return false
	}
	im.lossy(c, fmt.Sprintf("constraint names %q, which is not an imported resource; dropped", id))
	return false
}

// constraintRole maps a role attribute of a constraint.
func (im *importer) constraintRole(c *element, attrs ...string) (policy.Role, bool) {
	for _, a := range attrs {
		v := c.attr(a)
		if v == "" {
			continue
		}
		r, ok := mapRole(v)
		if !ok {
			im.lossy(c, fmt.Sprintf("%s %q is not a role; constraint dropped", a, v))
			return "", false
		}
		if r == policy.RoleStarted {
			// "Started" in a constraint means any active role.
			return "", true
		}
		return r, true
	}
	return "", true
}

func (im *importer) score(c *element, attr string) (*policy.Score, bool) {
	v, ok := c.lookup(attr)
	if !ok {
		return nil, true
	}
	s, err := policy.ParseScore(v)
	if err != nil {
		im.lossy(c, fmt.Sprintf("%s %q is not a score; constraint dropped", attr, v))
		return nil, false
	}
	return &s, true
}

// importLocation maps one <rsc_location>.
func (im *importer) importLocation(c *element) {
	id := c.attr("id")
	if !im.checkID(c, id) {
		return
	}
	var rscs []string
	switch {
	case c.attr("rsc") != "":
		rscs = []string{c.attr("rsc")}
	case c.attr("rsc-pattern") != "":
		re, err := regexp.Compile(c.attr("rsc-pattern"))
		if err != nil {
			im.lossy(c, fmt.Sprintf("rsc-pattern %q is not a regular expression; dropped", c.attr("rsc-pattern")))
			return
		}
		for _, k := range sortedKeys(im.kinds) {
			if im.kinds[k] != "device" && re.MatchString(k) {
				rscs = append(rscs, k)
			}
		}
		im.note(c, fmt.Sprintf("rsc-pattern expanded to one constraint per matching resource (%s); resources added later are not covered", strings.Join(rscs, ", ")))
		if len(rscs) == 0 {
			return
		}
	default:
		for _, s := range c.all("resource_set") {
			for _, r := range s.all("resource_ref") {
				rscs = append(rscs, r.attr("id"))
			}
			if s.attr("role") != "" {
				im.lossy(s, "role on a location resource set is not supported; ignored")
			}
		}
		if len(rscs) == 0 {
			im.lossy(c, "location without rsc, rsc-pattern or resource set; dropped")
			return
		}
	}
	if d := c.attr("resource-discovery"); d != "" && d != "always" {
		im.lossy(c, fmt.Sprintf("resource-discovery=%s is not supported: ward probes every node", d))
	}
	if c.child("lifetime") != nil {
		im.lossy(c.child("lifetime"), "lifetime is not supported (use expires); ignored")
	}
	role, ok := im.constraintRole(c, "role", "rsc-role")
	if !ok {
		return
	}
	base := policy.Location{Role: role}
	if n := c.attr("node"); n != "" {
		if !im.knownNode(n) {
			im.lossy(c, fmt.Sprintf("node %q is not a configured node; constraint dropped", n))
			return
		}
		base.Node = n
		s, ok := im.score(c, "score")
		if !ok {
			return
		}
		if s == nil {
			if c.attr("score-attribute") != "" {
				im.lossy(c, "score-attribute on a node location is not supported; dropped")
				return
			}
			zero := policy.Score(0)
			s = &zero
		}
		base.Score = s
	} else {
		rules := c.all("rule")
		if len(rules) == 0 {
			im.lossy(c, "location with neither node nor rule; dropped")
			return
		}
		for _, r := range rules {
			rr := im.deref(r)
			if rr == nil {
				return
			}
			text, err := im.ruleText(rr)
			if err != nil {
				el := rr
				if re, ok := err.(*ruleError); ok && re.el != nil {
					el = re.el
				}
				im.lossy(el, "rule cannot be written in ward's rule language: "+err.Error()+"; constraint dropped")
				return
			}
			lr := policy.LocationRule{Expr: text, ScoreAttribute: rr.attr("score-attribute")}
			if lr.ScoreAttribute == "" {
				s, ok := im.score(rr, "score")
				if !ok {
					return
				}
				if s == nil {
					zero := policy.Score(0)
					s = &zero
				}
				lr.Score = s
			}
			rrole, ok := im.constraintRole(rr, "role")
			if !ok {
				return
			}
			lr.Role = rrole
			base.Rules = append(base.Rules, lr)
		}
		if len(base.Rules) == 1 && (base.Rules[0].Role == "" || base.Role == "" || base.Rules[0].Role == base.Role) {
			r := base.Rules[0]
			base.Rule, base.Score, base.ScoreAttribute = r.Expr, r.Score, r.ScoreAttribute
			if r.Role != "" {
				base.Role = r.Role
			}
			base.Rules = nil
		} else if base.Role != "" {
			for i := range base.Rules {
				if base.Rules[i].Role == "" {
					base.Rules[i].Role = base.Role
				}
			}
			base.Role = ""
		}
	}
	sort.Strings(rscs)
	for _, r := range rscs {
		if !im.resourceRef(c, r) {
			continue
		}
		l := base
		l.ID = id
		if len(rscs) > 1 {
			l.ID = id + "-" + r
		}
		l.Resource = r
		im.cfg.Locations = append(im.cfg.Locations, l)
	}
}

func (im *importer) knownNode(n string) bool {
	if im.nodeSet == nil {
		im.nodeSet = map[string]bool{}
		for _, x := range im.cfg.Nodes {
			im.nodeSet[x.Name] = true
		}
	}
	return im.nodeSet[n]
}

// readSet maps a <resource_set>; ok is false when the set must be dropped
// (reported). Fencing devices are removed from sets (Pacemaker ignores
// ordering with them as well).
func (im *importer) readSet(s *element, colocation bool) (policy.ResourceSet, bool) {
	s = im.deref(s)
	if s == nil {
		return policy.ResourceSet{}, false
	}
	rs := policy.ResourceSet{ID: s.attr("id")}
	for _, r := range s.all("resource_ref") {
		id := r.attr("id")
		if im.kinds[id] == "device" {
			im.lossy(r, fmt.Sprintf("fencing device %q removed from the set: ward does not place fencing devices as resources", id))
			continue
		}
		if !im.resourceRef(s, id) {
			return rs, false
		}
		rs.Resources = append(rs.Resources, id)
	}
	if v, ok := s.lookup("sequential"); ok {
		b := isTrue(v)
		rs.Sequential = &b
	}
	if v, ok := s.lookup("require-all"); ok {
		b := isTrue(v)
		rs.RequireAll = &b
	}
	if colocation {
		role, ok := im.constraintRole(s, "role")
		if !ok {
			return rs, false
		}
		rs.Role = role
		sc, ok := im.score(s, "score")
		if !ok {
			return rs, false
		}
		rs.Score = sc
	} else {
		if a := s.attr("action"); a != "" {
			act, ok := im.orderAction(s, a)
			if !ok {
				return rs, false
			}
			rs.Action = act
		}
		if s.attr("role") != "" {
			im.lossy(s, "role on an order set is not supported (use action); ignored")
		}
	}
	if v := s.attr("ordering"); v != "" && v != "group" {
		im.lossy(s, "set ordering="+v+" is not supported; ignored")
	}
	return rs, true
}

// importColocation maps one <rsc_colocation>.
func (im *importer) importColocation(c *element) {
	id := c.attr("id")
	if !im.checkID(c, id) {
		return
	}
	col := policy.Colocation{ID: id}
	s, ok := im.score(c, "score")
	if !ok {
		return
	}
	if s != nil {
		col.Score = *s
	} else if c.child("resource_set") == nil {
		im.lossy(c, "colocation without score; dropped")
		return
	}
	if a := c.attr("node-attribute"); a != "" && a != "#uname" {
		col.NodeAttribute = a
	}
	if v, ok := c.lookup("influence"); ok {
		b := isTrue(v)
		col.Influence = &b
	}
	for _, a := range []string{"rsc-instance", "with-rsc-instance"} {
		if c.attr(a) != "" {
			im.lossy(c, a+" is not supported; constraint dropped")
			return
		}
	}
	if sets := c.all("resource_set"); len(sets) > 0 {
		for _, se := range sets {
			rs, ok := im.readSet(se, true)
			if !ok {
				return
			}
			if len(rs.Resources) > 0 {
				col.Sets = append(col.Sets, rs)
			}
		}
		if len(col.Sets) == 0 {
			return
		}
		im.cfg.Colocations = append(im.cfg.Colocations, col)
		return
	}
	col.Resource, col.With = c.attr("rsc"), c.attr("with-rsc")
	if !im.resourceRef(c, col.Resource) || !im.resourceRef(c, col.With) {
		return
	}
	var ok1, ok2 bool
	col.ResourceRole, ok1 = im.constraintRole(c, "rsc-role")
	col.WithRole, ok2 = im.constraintRole(c, "with-rsc-role")
	if !ok1 || !ok2 {
		return
	}
	im.cfg.Colocations = append(im.cfg.Colocations, col)
}

// orderAction maps an order action.
func (im *importer) orderAction(c *element, a string) (string, bool) {
	switch strings.ToLower(a) {
	case "start", "stop", "promote", "demote":
		return strings.ToLower(a), true
	}
	im.lossy(c, fmt.Sprintf("order action %q is not supported (start, stop, promote, demote); constraint dropped", a))
	return "", false
}

// importOrder maps one <rsc_order>.
func (im *importer) importOrder(c *element) {
	id := c.attr("id")
	if !im.checkID(c, id) {
		return
	}
	o := policy.Order{ID: id}
	switch k := strings.ToLower(c.attr("kind")); k {
	case "":
		if v := c.attr("score"); v != "" {
			s, err := policy.ParseScore(v)
			if err == nil && s == 0 {
				o.Kind = policy.OrderOptional
				im.note(c, "deprecated score=0 on an order means kind Optional")
			}
		}
	case "mandatory":
		o.Kind = policy.OrderMandatory
	case "optional":
		o.Kind = policy.OrderOptional
	case "serialize":
		o.Kind = policy.OrderSerialize
	default:
		im.lossy(c, fmt.Sprintf("order kind %q is not known; constraint dropped", k))
		return
	}
	if v, ok := c.lookup("symmetrical"); ok {
		b := isTrue(v)
		o.Symmetric = &b
	}
	if sets := c.all("resource_set"); len(sets) > 0 {
		for _, se := range sets {
			rs, ok := im.readSet(se, false)
			if !ok {
				return
			}
			if len(rs.Resources) > 0 {
				o.Sets = append(o.Sets, rs)
			}
		}
		if len(o.Sets) < 1 {
			return
		}
		im.cfg.Orders = append(im.cfg.Orders, o)
		return
	}
	o.First, o.Then = c.attr("first"), c.attr("then")
	if im.kinds[o.First] == "device" || im.kinds[o.Then] == "device" {
		im.lossy(c, "order with a fencing device: ward does not place fencing devices as resources (Pacemaker ignores such orders too); dropped")
		return
	}
	if !im.resourceRef(c, o.First) || !im.resourceRef(c, o.Then) {
		return
	}
	if a := c.attr("first-action"); a != "" {
		act, ok := im.orderAction(c, a)
		if !ok {
			return
		}
		o.FirstAction = act
	}
	if a := c.attr("then-action"); a != "" {
		act, ok := im.orderAction(c, a)
		if !ok {
			return
		}
		o.ThenAction = act
	}
	for _, a := range []string{"first-instance", "then-instance"} {
		if c.attr(a) != "" {
			im.lossy(c, a+" is not supported; constraint dropped")
			return
		}
	}
	im.cfg.Orders = append(im.cfg.Orders, o)
}
