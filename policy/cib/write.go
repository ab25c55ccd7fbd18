package cib

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"regexp"
	"strconv"
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
	var out bytes.Buffer
	if err := r.Config.WriteTOML(&out); err != nil {
		return err
	}
	lines := strings.Split(strings.Trim(out.String(), "\n"), "\n")
	levelsSeen := false
	for i, l := range lines {
		t := strings.TrimSpace(l)
		// An empty table header ([cluster.op_defaults], [fencing]):
		// the next non-blank line is another header.
		if strings.HasPrefix(t, "[") && !strings.HasPrefix(t, "[[") && emptyTable(lines, i) {
			continue
		}
		if key := sectionKey(t, lines, i); key != "" {
			if key == "fencing.level" {
				if levelsSeen {
					key = ""
				}
				levelsSeen = true
			}
			if cs := r.comments[key]; len(cs) > 0 {
				if !bytes.HasSuffix(b.Bytes(), []byte("\n\n")) {
					b.WriteString("\n")
				}
				for _, text := range cs {
					for _, cl := range strings.Split(text, "\n") {
						b.WriteString("# " + cl + "\n")
					}
				}
			}
		}
		if t == "" && bytes.HasSuffix(b.Bytes(), []byte("\n\n")) {
			continue
		}
		b.WriteString(durationLine(l) + "\n")
	}
	_, err := w.Write(b.Bytes())
	return err
}

func emptyTable(lines []string, i int) bool {
	for _, l := range lines[i+1:] {
		t := strings.TrimSpace(l)
		if t == "" {
			continue
		}
		return strings.HasPrefix(t, "[")
	}
	return true
}

// sectionKey returns the comment key of a top-level table header at
// lines[i] ("primitive/db" for [[primitive]] followed by id = "db").
func sectionKey(t string, lines []string, i int) string {
	switch t {
	case "[cluster]":
		return "cluster"
	case "[[fencing.level]]":
		return "fencing.level"
	case "[[node]]", "[[primitive]]", "[[group]]", "[[clone]]", "[[location]]", "[[colocation]]", "[[order]]", "[[fencing.device]]", "[[alert]]":
	default:
		return ""
	}
	kind := strings.Trim(t, "[]")
	if i+1 >= len(lines) {
		return ""
	}
	k, v, ok := strings.Cut(lines[i+1], "=")
	if !ok {
		return ""
	}
	if k = strings.TrimSpace(k); k != "id" && k != "name" {
		return ""
	}
	id, err := strconv.Unquote(strings.TrimSpace(v))
	if err != nil {
		return ""
	}
	return kind + "/" + id
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
