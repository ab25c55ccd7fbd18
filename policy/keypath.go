package policy

import (
	"strconv"
	"strings"
)

// keyPath is the path of a value in a policy file: keys and array
// indexes, as in primitive[2].op[0].interval.
type keyPath []pathSeg

// pathSeg is one key (idx < 0) or one array index (key empty).
type pathSeg struct {
	key string
	idx int
}

// kp builds a keyPath from strings (keys) and ints (indexes).
func kp(parts ...any) keyPath {
	p := make(keyPath, 0, len(parts))
	for _, x := range parts {
		switch v := x.(type) {
		case string:
			p = append(p, pathSeg{key: v, idx: -1})
		case int:
			p = append(p, pathSeg{idx: v})
		}
	}
	return p
}

// with returns a new path: p followed by parts.
func (p keyPath) with(parts ...any) keyPath {
	q := make(keyPath, len(p), len(p)+len(parts))
	copy(q, p)
	return append(q, kp(parts...)...)
}

// String is the index form: keys joined by dots, indexes in brackets, keys
// that are not bare TOML keys quoted.
func (p keyPath) String() string {
	var b strings.Builder
	for i, s := range p {
		if s.idx >= 0 {
			b.WriteByte('[')
			b.WriteString(strconv.Itoa(s.idx))
			b.WriteByte(']')
			continue
		}
		if i > 0 {
			b.WriteByte('.')
		}
		b.WriteString(keyPart(s.key))
	}
	return b.String()
}

// render is the human form: an array element with a label (its id) is
// written `key "label"` and ends a component, as in
// `primitive "pg": op "monitor": interval`.
func (p keyPath) render(labels map[string]string) string {
	var b strings.Builder
	labeled := false
	for i, s := range p {
		if s.idx >= 0 {
			if l, ok := labels[p[:i+1].String()]; ok {
				b.WriteString(" ")
				b.WriteString(strconv.Quote(l))
				labeled = true
				continue
			}
			b.WriteByte('[')
			b.WriteString(strconv.Itoa(s.idx))
			b.WriteByte(']')
			continue
		}
		if i > 0 {
			if labeled {
				b.WriteString(": ")
			} else {
				b.WriteByte('.')
			}
		}
		labeled = false
		b.WriteString(keyPart(s.key))
	}
	return b.String()
}

// keyPart quotes k unless it is a bare TOML key.
func keyPart(k string) string {
	if k == "" {
		return `""`
	}
	for i := 0; i < len(k); i++ {
		c := k[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-') {
			return strconv.Quote(k)
		}
	}
	return k
}

// pathLabels names array elements for error messages: resources,
// constraints, devices and alerts by id, nodes by name, ops by name.
func pathLabels(c *Config) map[string]string {
	m := map[string]string{}
	set := func(p keyPath, label string) {
		if label != "" {
			m[p.String()] = label
		}
	}
	for i, n := range c.Nodes {
		set(kp("node", i), n.Name)
	}
	for i, r := range c.Primitives {
		set(kp("primitive", i), r.ID)
		for j, op := range r.Ops {
			set(kp("primitive", i, "op", j), op.Name)
		}
	}
	for i, g := range c.Groups {
		set(kp("group", i), g.ID)
	}
	for i, cl := range c.Clones {
		set(kp("clone", i), cl.ID)
	}
	for i, l := range c.Locations {
		set(kp("location", i), l.ID)
	}
	for i, co := range c.Colocations {
		set(kp("colocation", i), co.ID)
		for j, s := range co.Sets {
			set(kp("colocation", i, "set", j), s.ID)
		}
	}
	for i, o := range c.Orders {
		set(kp("order", i), o.ID)
		for j, s := range o.Sets {
			set(kp("order", i, "set", j), s.ID)
		}
	}
	for i, d := range c.Fencing.Devices {
		set(kp("fencing", "device", i), d.ID)
	}
	for i, a := range c.Alerts {
		set(kp("alert", i), a.ID)
	}
	return m
}
