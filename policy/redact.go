package policy

import (
	"maps"
	"net/url"
	"slices"
)

// RedactedValue replaces every secret value in a Redacted Config.
const RedactedValue = "<redacted>"

// Redacted returns a deep copy of c in which every secret_params value (of
// primitives, fence devices and alerts) is RedactedValue and passwords in
// alert URLs are masked. `ward policy show` prints it; c is not changed.
// The copy still loads: redacted values are ordinary strings.
func (c *Config) Redacted() *Config {
	out := c.clone()
	for i := range out.Primitives {
		redactMap(out.Primitives[i].SecretParams)
	}
	for i := range out.Fencing.Devices {
		redactMap(out.Fencing.Devices[i].SecretParams)
	}
	for i := range out.Alerts {
		redactMap(out.Alerts[i].SecretParams)
		out.Alerts[i].URL = redactURL(out.Alerts[i].URL)
	}
	return out
}

func redactMap(m map[string]string) {
	for k := range m {
		m[k] = RedactedValue
	}
}

// redactURL masks the password of a URL with user info.
func redactURL(s string) string {
	u, err := url.Parse(s)
	if err != nil || u.User == nil {
		return s
	}
	if _, has := u.User.Password(); !has {
		return s
	}
	u.User = url.UserPassword(u.User.Username(), RedactedValue)
	return u.String()
}

// clone returns a deep copy of c: no slice, map or pointer is shared.
// Parsed rule expressions are shared; they are immutable.
func (c *Config) clone() *Config {
	out := *c
	cl := &out.Cluster
	cl.StonithEnabled = clonePtr(cl.StonithEnabled)
	cl.Symmetric = clonePtr(cl.Symmetric)
	cl.WaitForAll = clonePtr(cl.WaitForAll)
	cl.StartFailureIsFatal = clonePtr(cl.StartFailureIsFatal)
	cl.StartupFencing = clonePtr(cl.StartupFencing)
	cl.ResourceDefaults = cloneMeta(cl.ResourceDefaults)
	cl.OpDefaults.Timeouts = maps.Clone(cl.OpDefaults.Timeouts)

	out.Nodes = slices.Clone(c.Nodes)
	for i := range out.Nodes {
		n := &out.Nodes[i]
		n.Addresses = slices.Clone(n.Addresses)
		n.Votes = clonePtr(n.Votes)
		n.Attributes = maps.Clone(n.Attributes)
		n.Utilization = maps.Clone(n.Utilization)
	}
	out.Primitives = slices.Clone(c.Primitives)
	for i := range out.Primitives {
		p := &out.Primitives[i]
		p.Params = maps.Clone(p.Params)
		p.SecretParams = maps.Clone(p.SecretParams)
		p.Meta = cloneMeta(p.Meta)
		p.Ops = slices.Clone(p.Ops)
	}
	out.Groups = slices.Clone(c.Groups)
	for i := range out.Groups {
		g := &out.Groups[i]
		g.Members = slices.Clone(g.Members)
		g.Ordered = clonePtr(g.Ordered)
		g.Collocated = clonePtr(g.Collocated)
		g.Meta = cloneMeta(g.Meta)
	}
	out.Clones = slices.Clone(c.Clones)
	for i := range out.Clones {
		k := &out.Clones[i]
		k.CloneMax = clonePtr(k.CloneMax)
		k.CloneNodeMax = clonePtr(k.CloneNodeMax)
		k.PromotedMax = clonePtr(k.PromotedMax)
		k.PromotedNodeMax = clonePtr(k.PromotedNodeMax)
		k.Meta = cloneMeta(k.Meta)
	}
	out.Locations = slices.Clone(c.Locations)
	for i := range out.Locations {
		l := &out.Locations[i]
		l.Score = clonePtr(l.Score)
		l.Rules = slices.Clone(l.Rules)
		for j := range l.Rules {
			l.Rules[j].Score = clonePtr(l.Rules[j].Score)
		}
		l.ParsedRules = slices.Clone(l.ParsedRules)
	}
	out.Colocations = slices.Clone(c.Colocations)
	for i := range out.Colocations {
		co := &out.Colocations[i]
		co.Influence = clonePtr(co.Influence)
		co.Sets = cloneSets(co.Sets)
	}
	out.Orders = slices.Clone(c.Orders)
	for i := range out.Orders {
		o := &out.Orders[i]
		o.Symmetric = clonePtr(o.Symmetric)
		o.Sets = cloneSets(o.Sets)
	}
	out.Fencing.Devices = slices.Clone(c.Fencing.Devices)
	for i := range out.Fencing.Devices {
		d := &out.Fencing.Devices[i]
		d.Command = slices.Clone(d.Command)
		d.Params = maps.Clone(d.Params)
		d.SecretParams = maps.Clone(d.SecretParams)
		d.Nodes = slices.Clone(d.Nodes)
		d.HostMap = maps.Clone(d.HostMap)
		d.Retries = clonePtr(d.Retries)
	}
	out.Fencing.Levels = slices.Clone(c.Fencing.Levels)
	for i := range out.Fencing.Levels {
		out.Fencing.Levels[i].Devices = slices.Clone(out.Fencing.Levels[i].Devices)
	}
	out.Alerts = slices.Clone(c.Alerts)
	for i := range out.Alerts {
		a := &out.Alerts[i]
		a.Events = slices.Clone(a.Events)
		a.Params = maps.Clone(a.Params)
		a.SecretParams = maps.Clone(a.SecretParams)
	}
	return &out
}

func clonePtr[T any](p *T) *T {
	if p == nil {
		return nil
	}
	v := *p
	return &v
}

func cloneMeta(m Meta) Meta {
	m.Priority = clonePtr(m.Priority)
	m.IsManaged = clonePtr(m.IsManaged)
	m.Stickiness = clonePtr(m.Stickiness)
	m.MigrationThreshold = clonePtr(m.MigrationThreshold)
	m.FailureTimeout = clonePtr(m.FailureTimeout)
	m.Utilization = maps.Clone(m.Utilization)
	return m
}

func cloneSets(sets []ResourceSet) []ResourceSet {
	out := slices.Clone(sets)
	for i := range out {
		s := &out[i]
		s.Resources = slices.Clone(s.Resources)
		s.Sequential = clonePtr(s.Sequential)
		s.RequireAll = clonePtr(s.RequireAll)
		s.Score = clonePtr(s.Score)
	}
	return out
}
