package policy

// Managed reports whether ward acts on resource id (a primitive, group
// or clone; a clone instance "id:N" counts as its primitive): not when
// the cluster is in maintenance, nor when is_managed = false on the
// resource, a group or clone that holds it, or resource_defaults. The
// scheduler resolves the same chain. Node maintenance is not looked at.
func (c *Config) Managed(id string) bool {
	if c.Cluster.Maintenance {
		return false
	}
	for i := 0; i < len(id); i++ {
		if id[i] == ':' {
			id = id[:i]
			break
		}
	}
	off := func(m *Meta) bool { return m.IsManaged != nil && !*m.IsManaged }
	if off(&c.Cluster.ResourceDefaults) {
		return false
	}
	chain := []string{id}
	for _, g := range c.Groups {
		for _, m := range g.Members {
			if m == id {
				chain = append(chain, g.ID)
			}
		}
	}
	for _, x := range chain {
		for i := range c.Primitives {
			if c.Primitives[i].ID == x && off(&c.Primitives[i].Meta) {
				return false
			}
		}
		for i := range c.Groups {
			if c.Groups[i].ID == x && off(&c.Groups[i].Meta) {
				return false
			}
		}
		for i := range c.Clones {
			if (c.Clones[i].ID == x || c.Clones[i].Resource == x) && off(&c.Clones[i].Meta) {
				return false
			}
		}
	}
	return true
}
