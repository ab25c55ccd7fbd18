package resources

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Limits on agent meta-data. Meta-data comes from agent scripts on disk;
// these bound what a broken or hostile one can make ward hold.
const (
	// MaxMetadataSize is the largest meta-data document accepted.
	MaxMetadataSize = 1 << 20
	maxMetaParams   = 1024
	maxMetaActions  = 128
)

// Metadata describes an agent in the terms of OCF meta-data.
type Metadata struct {
	// Name is the agent's name as it declares it.
	Name string `json:"name"`
	// Version is the agent's own version.
	Version   string `json:"version,omitempty"`
	ShortDesc string `json:"shortdesc,omitempty"`
	LongDesc  string `json:"longdesc,omitempty"`
	// Params are the parameters, in the agent's order.
	Params []ParamSpec `json:"parameters"`
	// Actions are the supported actions with their default timeouts.
	// A monitor may appear several times (per role or depth).
	Actions []ActionSpec `json:"actions"`
}

// ParamSpec describes one agent parameter.
type ParamSpec struct {
	Name      string `json:"name"`
	ShortDesc string `json:"shortdesc,omitempty"`
	LongDesc  string `json:"longdesc,omitempty"`
	// Type is string, integer, boolean, ... (informational).
	Type string `json:"type,omitempty"`
	// Default is the value the agent uses when the parameter is unset.
	Default  string `json:"default,omitempty"`
	Required bool   `json:"required,omitempty"`
	Unique   bool   `json:"unique,omitempty"`
}

// ActionSpec describes one supported action.
type ActionSpec struct {
	Name string `json:"name"`
	// Timeout is the agent's advised timeout; zero when not given.
	Timeout time.Duration `json:"timeout,omitempty"`
	// Interval is the advised interval of a recurring monitor.
	Interval time.Duration `json:"interval,omitempty"`
	// Role restricts a monitor to a role (Promoted, Unpromoted).
	Role  string `json:"role,omitempty"`
	Depth string `json:"depth,omitempty"`
}

type xmlAgent struct {
	XMLName   xml.Name `xml:"resource-agent"`
	Name      string   `xml:"name,attr"`
	VersionA  string   `xml:"version,attr"`
	Version   string   `xml:"version"`
	LongDesc  string   `xml:"longdesc"`
	ShortDesc string   `xml:"shortdesc"`
	Params    []struct {
		Name      string `xml:"name,attr"`
		Required  string `xml:"required,attr"`
		Unique    string `xml:"unique,attr"`
		LongDesc  string `xml:"longdesc"`
		ShortDesc string `xml:"shortdesc"`
		Content   struct {
			Type    string `xml:"type,attr"`
			Default string `xml:"default,attr"`
		} `xml:"content"`
	} `xml:"parameters>parameter"`
	Actions []struct {
		Name     string `xml:"name,attr"`
		Timeout  string `xml:"timeout,attr"`
		Interval string `xml:"interval,attr"`
		Role     string `xml:"role,attr"`
		Depth    string `xml:"depth,attr"`
	} `xml:"actions>action"`
}

// ParseMetadata parses an OCF meta-data document (a <resource-agent>
// element). It never panics: oversized input, malformed XML, too many
// parameters or actions, and unreadable timeouts are errors naming the
// element at fault.
func ParseMetadata(data []byte) (*Metadata, error) {
	if len(data) > MaxMetadataSize {
		return nil, fmt.Errorf("meta-data: %d bytes is over the %d byte limit", len(data), MaxMetadataSize)
	}
	var x xmlAgent
	d := xml.NewDecoder(bytes.NewReader(data))
	d.Strict = true
	if err := d.Decode(&x); err != nil {
		return nil, fmt.Errorf("meta-data: not a valid <resource-agent> document: %w", err)
	}
	if strings.TrimSpace(x.Name) == "" {
		return nil, errors.New("meta-data: <resource-agent> has no name attribute")
	}
	if len(x.Params) > maxMetaParams {
		return nil, fmt.Errorf("meta-data: %d parameters, over the limit of %d", len(x.Params), maxMetaParams)
	}
	if len(x.Actions) > maxMetaActions {
		return nil, fmt.Errorf("meta-data: %d actions, over the limit of %d", len(x.Actions), maxMetaActions)
	}
	m := &Metadata{
		Name:      x.Name,
		Version:   strings.TrimSpace(x.Version),
		ShortDesc: strings.TrimSpace(x.ShortDesc),
		LongDesc:  strings.TrimSpace(x.LongDesc),
	}
	if m.Version == "" {
		m.Version = x.VersionA
	}
	seen := map[string]bool{}
	for i, p := range x.Params {
		if p.Name == "" {
			return nil, fmt.Errorf("meta-data: parameter %d has no name", i+1)
		}
		if seen[p.Name] {
			return nil, fmt.Errorf("meta-data: parameter %q is declared twice", p.Name)
		}
		seen[p.Name] = true
		m.Params = append(m.Params, ParamSpec{
			Name:      p.Name,
			ShortDesc: strings.TrimSpace(p.ShortDesc),
			LongDesc:  strings.TrimSpace(p.LongDesc),
			Type:      p.Content.Type,
			Default:   p.Content.Default,
			Required:  isTrue(p.Required),
			Unique:    isTrue(p.Unique),
		})
	}
	for i, a := range x.Actions {
		if a.Name == "" {
			return nil, fmt.Errorf("meta-data: action %d has no name", i+1)
		}
		as := ActionSpec{Name: a.Name, Role: a.Role, Depth: a.Depth}
		var err error
		if as.Timeout, err = ParseOCFDuration(a.Timeout); err != nil {
			return nil, fmt.Errorf("meta-data: action %q: timeout: %w", a.Name, err)
		}
		if as.Interval, err = ParseOCFDuration(a.Interval); err != nil {
			return nil, fmt.Errorf("meta-data: action %q: interval: %w", a.Name, err)
		}
		m.Actions = append(m.Actions, as)
	}
	return m, nil
}

func isTrue(s string) bool {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "1", "true", "yes", "on", "y":
		return true
	}
	return false
}

// ParseOCFDuration reads a duration as OCF meta-data writes them: a
// number with an optional unit (ms, msec, s, sec, m, min, h, hr); a bare
// number is seconds. The empty string is zero.
func ParseOCFDuration(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, nil
	}
	i := 0
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	if i == 0 || i > 9 {
		return 0, fmt.Errorf("%q is not a duration (want a number of at most 9 digits and a unit, like 20s)", s)
	}
	n, _ := strconv.ParseInt(s[:i], 10, 64)
	var unit time.Duration
	switch strings.ToLower(strings.TrimSpace(s[i:])) {
	case "", "s", "sec", "secs":
		unit = time.Second
	case "ms", "msec", "msecs":
		unit = time.Millisecond
	case "us", "usec", "usecs":
		unit = time.Microsecond
	case "m", "min", "mins":
		unit = time.Minute
	case "h", "hr", "hrs":
		unit = time.Hour
	default:
		return 0, fmt.Errorf("%q has an unknown unit (use ms, s, m or h)", s)
	}
	if n > int64(maxOCFDuration/unit) {
		return 0, fmt.Errorf("%q is too long (at most %v)", s, maxOCFDuration)
	}
	return time.Duration(n) * unit, nil
}

// maxOCFDuration bounds durations read from meta-data: a year is far
// beyond any sane timeout or interval and far from overflowing.
const maxOCFDuration = 365 * 24 * time.Hour

// Param returns the parameter named name.
func (m *Metadata) Param(name string) (ParamSpec, bool) {
	for _, p := range m.Params {
		if p.Name == name {
			return p, true
		}
	}
	return ParamSpec{}, false
}

// HasAction reports whether the agent declares action name.
func (m *Metadata) HasAction(name string) bool {
	for _, a := range m.Actions {
		if a.Name == name {
			return true
		}
	}
	return false
}

// ActionTimeout returns the advised timeout of action (the first one
// declared with that name), or zero.
func (m *Metadata) ActionTimeout(action string) time.Duration {
	for _, a := range m.Actions {
		if a.Name == action {
			return a.Timeout
		}
	}
	return 0
}

// CheckParams checks a resource's parameters against the meta-data: every
// parameter must be declared, and every required one must be set. It
// returns every violation joined, each naming the parameter; resource
// names the resource in the messages.
func (m *Metadata) CheckParams(resource string, params map[string]string) error {
	var errs []error
	names := make([]string, 0, len(params))
	for k := range params {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		if _, ok := m.Param(k); !ok {
			errs = append(errs, fmt.Errorf("resource %q: param %q: agent %s has no such parameter (see ward agent describe)", resource, k, m.Name))
		}
	}
	for _, p := range m.Params {
		if _, ok := params[p.Name]; p.Required && !ok {
			errs = append(errs, fmt.Errorf("resource %q: param %q: required by agent %s but not set", resource, p.Name, m.Name))
		}
	}
	return errors.Join(errs...)
}

// XML renders m as an OCF meta-data document, the form built-in agents
// print for the meta-data action. ParseMetadata reads it back.
func (m *Metadata) XML() []byte {
	var b bytes.Buffer
	esc := func(s string) string {
		var e bytes.Buffer
		_ = xml.EscapeText(&e, []byte(s))
		return e.String()
	}
	fmt.Fprintf(&b, "<?xml version=\"1.0\"?>\n<!DOCTYPE resource-agent SYSTEM \"ra-api-1.dtd\">\n")
	fmt.Fprintf(&b, "<resource-agent name=\"%s\" version=\"%s\">\n<version>1.1</version>\n", esc(m.Name), esc(m.Version))
	fmt.Fprintf(&b, "<longdesc lang=\"en\">%s</longdesc>\n<shortdesc lang=\"en\">%s</shortdesc>\n<parameters>\n", esc(m.LongDesc), esc(m.ShortDesc))
	for _, p := range m.Params {
		fmt.Fprintf(&b, "<parameter name=\"%s\" required=\"%d\" unique=\"%d\">\n", esc(p.Name), b2i(p.Required), b2i(p.Unique))
		fmt.Fprintf(&b, "<longdesc lang=\"en\">%s</longdesc>\n<shortdesc lang=\"en\">%s</shortdesc>\n", esc(p.LongDesc), esc(p.ShortDesc))
		typ := p.Type
		if typ == "" {
			typ = "string"
		}
		fmt.Fprintf(&b, "<content type=\"%s\" default=\"%s\"/>\n</parameter>\n", esc(typ), esc(p.Default))
	}
	b.WriteString("</parameters>\n<actions>\n")
	for _, a := range m.Actions {
		fmt.Fprintf(&b, "<action name=\"%s\"", esc(a.Name))
		if a.Timeout > 0 {
			fmt.Fprintf(&b, " timeout=\"%s\"", ocfDuration(a.Timeout))
		}
		if a.Interval > 0 {
			fmt.Fprintf(&b, " interval=\"%s\"", ocfDuration(a.Interval))
		}
		if a.Role != "" {
			fmt.Fprintf(&b, " role=\"%s\"", esc(a.Role))
		}
		if a.Depth != "" {
			fmt.Fprintf(&b, " depth=\"%s\"", esc(a.Depth))
		}
		b.WriteString("/>\n")
	}
	b.WriteString("</actions>\n</resource-agent>\n")
	return b.Bytes()
}

func b2i(v bool) int {
	if v {
		return 1
	}
	return 0
}

func ocfDuration(d time.Duration) string {
	if d%time.Second == 0 {
		return strconv.FormatInt(int64(d/time.Second), 10) + "s"
	}
	return strconv.FormatInt(int64(d/time.Millisecond), 10) + "ms"
}
