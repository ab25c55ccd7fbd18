package fencing

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
)

// maxMetadata bounds the metadata XML read from a fence agent.
const maxMetadata = 1 << 20

// maxParams and maxActions bound what a metadata document may list
// (real agents list about 60 parameters and 10 actions).
const (
	maxParams  = 1024
	maxActions = 64
)

// Metadata is what a fence agent of the ClusterLabs fence-agents standard
// says about itself (`fence_xxx -o metadata`): its parameters and the
// actions it supports.
type Metadata struct {
	// Name is the agent's name (resource-agent name="...").
	Name string
	// Params are the agent's parameters in document order.
	Params []MetaParam
	// Actions are the supported actions (on, off, reboot, status, ...).
	Actions []string
}

// MetaParam is one parameter of a fence agent.
type MetaParam struct {
	// Name is the key written on the agent's stdin.
	Name string
	// Required means the agent refuses to run without it.
	Required bool
	// Deprecated names an old spelling; Obsoletes names the parameter
	// this one replaces.
	Deprecated bool
	Obsoletes  string
	// Type is the content type (string, boolean, integer, select...).
	Type string
	// Default is the agent's default value, if any.
	Default string
}

// Param returns the parameter named name.
func (m *Metadata) Param(name string) (MetaParam, bool) {
	for _, p := range m.Params {
		if p.Name == name {
			return p, true
		}
	}
	return MetaParam{}, false
}

// Supports reports whether the agent lists action.
func (m *Metadata) Supports(action string) bool {
	for _, a := range m.Actions {
		if a == action {
			return true
		}
	}
	return false
}

// HostArgument returns the parameter that names the victim on a device
// that fences several hosts ("port", else "plug"), or "" for an agent
// that fences one host (fence_ipmilan, fence_dummy).
func (m *Metadata) HostArgument() string {
	for _, n := range []string{"port", "plug"} {
		if _, ok := m.Param(n); ok {
			return n
		}
	}
	return ""
}

// xmlMetadata is the XML form of Metadata.
type xmlMetadata struct {
	XMLName xml.Name `xml:"resource-agent"`
	Name    string   `xml:"name,attr"`
	Params  []struct {
		Name       string `xml:"name,attr"`
		Required   string `xml:"required,attr"`
		Deprecated string `xml:"deprecated,attr"`
		Obsoletes  string `xml:"obsoletes,attr"`
		Content    struct {
			Type    string `xml:"type,attr"`
			Default string `xml:"default,attr"`
		} `xml:"content"`
	} `xml:"parameters>parameter"`
	Actions []struct {
		Name string `xml:"name,attr"`
	} `xml:"actions>action"`
}

// ParseMetadata parses the metadata XML of a fence agent. It rejects
// documents over 1 MiB, documents that are not a resource-agent, and
// parameters without a name or with a name that cannot be written as a
// key on the agent's stdin.
func ParseMetadata(data []byte) (*Metadata, error) {
	if len(data) > maxMetadata {
		return nil, fmt.Errorf("fencing: metadata: %d bytes, more than the %d allowed", len(data), maxMetadata)
	}
	var x xmlMetadata
	dec := xml.NewDecoder(bytes.NewReader(data))
	dec.Strict = true
	if err := dec.Decode(&x); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, errors.New("fencing: metadata: empty document (the agent printed no XML for -o metadata)")
		}
		return nil, fmt.Errorf("fencing: metadata: not a resource-agent XML document: %w", err)
	}
	if len(x.Params) > maxParams || len(x.Actions) > maxActions {
		return nil, fmt.Errorf("fencing: metadata: %d parameters and %d actions, more than the %d and %d allowed", len(x.Params), len(x.Actions), maxParams, maxActions)
	}
	m := &Metadata{Name: x.Name}
	seen := map[string]bool{}
	for i, p := range x.Params {
		if err := checkKey(p.Name); err != nil {
			return nil, fmt.Errorf("fencing: metadata: parameter %d: %w", i+1, err)
		}
		if seen[p.Name] {
			continue // some agents list an alias twice; the first wins
		}
		seen[p.Name] = true
		m.Params = append(m.Params, MetaParam{Name: p.Name, Required: p.Required == "1",
			Deprecated: p.Deprecated == "1", Obsoletes: p.Obsoletes, Type: p.Content.Type, Default: p.Content.Default})
	}
	for _, a := range x.Actions {
		if a.Name != "" && !seen["action:"+a.Name] {
			seen["action:"+a.Name] = true
			m.Actions = append(m.Actions, a.Name)
		}
	}
	if len(m.Actions) == 0 {
		return nil, errors.New("fencing: metadata: the agent lists no actions")
	}
	return m, nil
}

// internalParams are set by the fencer itself, never from the policy.
var internalParams = map[string]bool{"action": true, "port": true, "plug": true, "nodename": true}

// CheckParams checks the params of a device against the agent's
// metadata: every key must be a parameter of the agent (not one the
// fencer sets itself: action, port, plug, nodename), and every required
// parameter except those must be given. It names every problem.
func (m *Metadata) CheckParams(params map[string]string) error {
	var errs []error
	keys := make([]string, 0, len(params))
	for k := range params {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if internalParams[k] {
			errs = append(errs, fmt.Errorf("param %q is set by ward itself (from the action and host_map); remove it", k))
			continue
		}
		if _, ok := m.Param(k); !ok {
			errs = append(errs, fmt.Errorf("param %q is not a parameter of %s%s", k, m.Name, suggest(k, m.Params)))
		}
	}
	for _, p := range m.Params {
		if p.Required && !internalParams[p.Name] {
			if _, ok := params[p.Name]; !ok {
				if p.Obsoletes != "" {
					if _, ok := params[p.Obsoletes]; ok {
						continue
					}
				}
				if alias := m.aliasOf(p.Name); alias != "" {
					if _, ok := params[alias]; ok {
						continue
					}
				}
				errs = append(errs, fmt.Errorf("param %q is required by %s", p.Name, m.Name))
			}
		}
	}
	return errors.Join(errs...)
}

// aliasOf returns the parameter that obsoletes name, if any.
func (m *Metadata) aliasOf(name string) string {
	for _, p := range m.Params {
		if p.Obsoletes == name {
			return p.Name
		}
	}
	return ""
}

// suggest returns " (did you mean x?)" for a close parameter name.
func suggest(k string, params []MetaParam) string {
	for _, p := range params {
		if strings.ReplaceAll(p.Name, "_", "") == strings.ReplaceAll(strings.ReplaceAll(k, "-", ""), "_", "") {
			return fmt.Sprintf(" (did you mean %q?)", p.Name)
		}
	}
	return ""
}

// checkKey checks that k can be written as a key on an agent's stdin.
func checkKey(k string) error {
	if k == "" {
		return errors.New("empty name")
	}
	if len(k) > 128 {
		return fmt.Errorf("name of %d bytes is too long", len(k))
	}
	for _, r := range k {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_' || r == '-') {
			return fmt.Errorf("name %q: only letters, digits, _ and - are allowed", k)
		}
	}
	return nil
}

// EncodeArgs writes the fence-agents stdin form of args: one key=value
// per line, keys sorted. It refuses keys that are not plain names and
// values with a newline or NUL (they would inject another argument).
func EncodeArgs(args map[string]string) ([]byte, error) {
	keys := make([]string, 0, len(args))
	for k := range args {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b bytes.Buffer
	for _, k := range keys {
		if err := checkKey(k); err != nil {
			return nil, fmt.Errorf("fencing: argument: %w", err)
		}
		v := args[k]
		if strings.ContainsAny(v, "\n\r\x00") {
			return nil, fmt.Errorf("fencing: argument %q: the value contains a newline or NUL, which the fence-agents protocol cannot carry", k)
		}
		b.WriteString(k)
		b.WriteByte('=')
		b.WriteString(v)
		b.WriteByte('\n')
	}
	return b.Bytes(), nil
}

// DecodeArgs parses the fence-agents stdin form, as an agent does: one
// key=value per line; blank lines and lines starting with # are skipped;
// the value runs to the end of the line. A line without = is an error
// naming the line.
func DecodeArgs(data []byte) (map[string]string, error) {
	out := map[string]string{}
	for i, line := range strings.Split(string(data), "\n") {
		line = strings.TrimSuffix(line, "\r")
		if strings.TrimSpace(line) == "" || strings.HasPrefix(strings.TrimSpace(line), "#") {
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		if !ok {
			return nil, fmt.Errorf("fencing: arguments line %d: %q has no =", i+1, line)
		}
		k = strings.TrimSpace(k)
		if err := checkKey(k); err != nil {
			return nil, fmt.Errorf("fencing: arguments line %d: %w", i+1, err)
		}
		out[k] = v
	}
	return out, nil
}
