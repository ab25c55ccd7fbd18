package cib

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"regexp"
	"strings"
	"time"

	"github.com/ward-ha/ward/policy"
)

// WritePolicy writes the imported policy as TOML, one section at a time,
// with comments where the mapping is not one-to-one.
func (r *Result) WritePolicy(w io.Writer) error {
	var b bytes.Buffer
	fmt.Fprintf(&b, "# ward policy imported from %s by `ward import cib`.\n", oneLine(r.Source))
	b.WriteString("# Comments mark where the mapping from Pacemaker is not one-to-one;\n")
	b.WriteString("# see docs/migrating-from-pacemaker.md.\n")
	b.WriteString("# Node addresses: a CIB has none (corosync.conf holds them), so each node's name\n")
	b.WriteString("# is written as its address: check that it resolves to the node's gossip address.\n")
	if n := len(r.Issues); n > 0 {
		lossy := 0
		for _, i := range r.Issues {
			if i.Lossy {
				lossy++
			}
		}
		fmt.Fprintf(&b, "# The import reported %d issue(s), %d of them changing meaning (printed on stderr).\n", n, lossy)
	}
	b.WriteString("\n")
	c := r.Config
	cl := &policy.Config{Cluster: c.Cluster}
	if err := r.chunk(&b, "cluster", cl, false); err != nil {
		return err
	}
	for _, n := range c.Nodes {
		if err := r.chunk(&b, "node/"+n.Name, &policy.Config{Nodes: []policy.Node{n}}, true); err != nil {
			return err
		}
	}
	for _, p := range c.Primitives {
		if err := r.chunk(&b, "primitive/"+p.ID, &policy.Config{Primitives: []policy.Primitive{p}}, true); err != nil {
			return err
		}
	}
	for _, g := range c.Groups {
		if err := r.chunk(&b, "group/"+g.ID, &policy.Config{Groups: []policy.Group{g}}, true); err != nil {
			return err
		}
	}
	for _, x := range c.Clones {
		if err := r.chunk(&b, "clone/"+x.ID, &policy.Config{Clones: []policy.Clone{x}}, true); err != nil {
			return err
		}
	}
	for _, x := range c.Locations {
		if err := r.chunk(&b, "location/"+x.ID, &policy.Config{Locations: []policy.Location{x}}, true); err != nil {
			return err
		}
	}
	for _, x := range c.Colocations {
		if err := r.chunk(&b, "colocation/"+x.ID, &policy.Config{Colocations: []policy.Colocation{x}}, true); err != nil {
			return err
		}
	}
	for _, x := range c.Orders {
		if err := r.chunk(&b, "order/"+x.ID, &policy.Config{Orders: []policy.Order{x}}, true); err != nil {
			return err
		}
	}
	for _, d := range c.Fencing.Devices {
		if err := r.chunk(&b, "fencing.device/"+d.ID, &policy.Config{Fencing: policy.Fencing{Devices: []policy.FenceDevice{d}}}, true); err != nil {
			return err
		}
	}
	if len(c.Fencing.Levels) > 0 {
		if err := r.chunk(&b, "fencing.level", &policy.Config{Fencing: policy.Fencing{Levels: c.Fencing.Levels}}, true); err != nil {
			return err
		}
	}
	for _, a := range c.Alerts {
		if err := r.chunk(&b, "alert/"+a.ID, &policy.Config{Alerts: []policy.Alert{a}}, true); err != nil {
			return err
		}
	}
	_, err := w.Write(b.Bytes())
	return err
}

// emptyCluster are the lines WriteTOML prints for an empty cluster table.
var emptyCluster = map[string]bool{"[cluster]": true, "[cluster.resource_defaults]": true, "[cluster.op_defaults]": true, "[fencing]": true}

// chunk encodes one section with its comments.
func (r *Result) chunk(b *bytes.Buffer, key string, c *policy.Config, dropCluster bool) error {
	var out bytes.Buffer
	if err := c.WriteTOML(&out); err != nil {
		return err
	}
	for _, text := range r.comments[key] {
		for _, l := range strings.Split(text, "\n") {
			b.WriteString("# " + l + "\n")
		}
	}
	lines := strings.Split(strings.Trim(out.String(), "\n"), "\n")
	for i, l := range lines {
		t := strings.TrimSpace(l)
		if dropCluster && emptyCluster[t] {
			continue
		}
		// An empty sub-table header (next line is another header).
		if strings.HasPrefix(t, "[cluster.") && (i+1 == len(lines) || strings.HasPrefix(strings.TrimSpace(lines[i+1]), "[")) {
			continue
		}
		if t == "" && bytes.HasSuffix(b.Bytes(), []byte("\n\n")) {
			continue
		}
		b.WriteString(durationLine(l) + "\n")
	}
	b.WriteString("\n")
	return nil
}

// durLineRe matches a duration key written by WriteTOML.
var durLineRe = regexp.MustCompile(`^(\s*[a-z_]*(?:interval|timeout|delay|delay_max)\s*=\s*)"([0-9hms.]+)"$`)

// durationLine rewrites Go's "1m0s" as "1m" and "1h30m0s" as "90m".
func durationLine(l string) string {
	m := durLineRe.FindStringSubmatch(l)
	if m == nil {
		return l
	}
	d, err := time.ParseDuration(m[2])
	if err != nil {
		return l
	}
	return m[1] + `"` + formatDuration(policy.Duration(d)) + `"`
}

// WriteStatus writes the derived status as indented JSON (status.json).
func (r *Result) WriteStatus(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r.Status)
}

func oneLine(s string) string {
	return strings.NewReplacer("\n", " ", "\r", " ").Replace(s)
}
