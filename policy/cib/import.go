package cib

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/ward-ha/ward/policy"
)

// Issue is one element of the CIB that the import could not carry over
// exactly: dropped, approximated, or replaced by something else.
type Issue struct {
	// Path names the element, for example
	// /cib/configuration/constraints/rsc_ticket[@id='t1'].
	Path string
	// Line is the element's line in the input (0 when unknown).
	Line int
	// Why says what happened to the element and why.
	Why string
	// Lossy is true when the element's meaning is lost or changed;
	// `ward import cib --strict` fails on these. False marks a note: the
	// meaning is kept, in a form worth a look.
	Lossy bool
}

// String formats the issue as "path (line N): why".
func (i Issue) String() string {
	if i.Line > 0 {
		return fmt.Sprintf("%s (line %d): %s", i.Path, i.Line, i.Why)
	}
	return fmt.Sprintf("%s: %s", i.Path, i.Why)
}

// Result is what Import produces.
type Result struct {
	// Config is the policy mapped from the configuration section. It has
	// not been through policy.Load's defaults and validation.
	Config *policy.Config
	// Status is the state derived from the status section.
	Status *policy.Status
	// Issues lists what could not be carried over exactly, in document
	// order.
	Issues []Issue
	// Source is the name the input was read from.
	Source string

	// comments holds explanatory comments for the policy writer, keyed
	// by section and id ("primitive/db", "cluster", "fencing.device/f1").
	comments map[string][]string
	// pacemaker holds what Pacemaker derives about nodes while it reads
	// the history (the scheduler derives the same from the status); the
	// corpus tests compare it with Pacemaker's initial state.
	pacemaker map[string]pcmkNode
}

// pcmkNode is Pacemaker's view of a node beyond its observed state.
type pcmkNode struct {
	unclean bool // fenced because of the history
	standby bool // on-fail=standby
}

// Lossy reports whether any issue changed or dropped meaning.
func (r *Result) Lossy() bool {
	for _, i := range r.Issues {
		if i.Lossy {
			return true
		}
	}
	return false
}

// importer holds the state of one import.
type importer struct {
	name   string
	root   *element
	ids    map[string]*element
	res    *Result
	cfg    *policy.Config
	fenced bool // fencing (stonith) enabled

	startupFencing bool
	// nodeByID maps a Pacemaker node id to its name (uname).
	nodeByID map[string]string
	// kinds maps every resource id to primitive, group, clone or device.
	kinds map[string]string
	// prims holds what status derivation needs about each primitive.
	prims map[string]*primInfo
	// opDefaultOnFail is on-fail from op_defaults, if any.
	opDefaultOnFail string
	// defaultManaged is is-managed from rsc_defaults (default true).
	defaultManaged bool
	// promotable and cloneOfID index the clones (see indexClones).
	promotable map[string]bool
	cloneOfID  map[string]string
	// nodeSet holds the configured node names.
	nodeSet map[string]bool
	// condNodes and condAttrs hold node attributes whose value depends
	// on a rule (see nodeattrs.go); inNodeRule is set while such a rule
	// is converted.
	condNodes  []condNode
	condAttrs  map[string]bool
	inNodeRule bool
	// usesNodeID is set when a rule refers to #id.
	usesNodeID bool
	// fenceAction and fenceTimeout are the cluster-wide fencing action
	// and timeout, applied to every device.
	fenceAction  string
	fenceTimeout policy.Duration
	// now evaluates failure timeouts (zero: never expired).
	now time.Time
}

// primInfo is what status derivation needs about a primitive.
type primInfo struct {
	id         string
	clone      string // enclosing clone, if any
	unique     bool   // instances of a globally unique clone keep ":N"
	promotable bool
	managed    bool
	// ops maps "name/interval_ms" to the op's configured on-fail.
	ops map[string]string
	// failureTimeout is the effective failure-timeout (own, group, clone
	// or rsc_defaults; 0: none).
	failureTimeout policy.Duration
	// blockOnFail reports an op configured with on-fail=block, which makes
	// Pacemaker ignore failure-timeout.
	blockOnFail bool
}

// Options tune an import.
type Options struct {
	// Now is the instant at which failure timeouts are evaluated while
	// the status is derived. Zero means the CIB's execution-date when it
	// has one; without either, no failure is treated as expired (the
	// scheduler evaluates failure_timeout against its own now).
	Now time.Time
}

// Import reads a CIB from data (name is used in messages) and maps it to
// ward's policy and status. It fails only when the input is not a usable
// CIB (malformed or hostile XML, no <cib> root); every element it cannot
// represent becomes an Issue instead.
func Import(name string, data []byte, opts Options) (*Result, error) {
	root, err := parseXML(name, data)
	if err != nil {
		return nil, err
	}
	if root.name != "cib" {
		return nil, fmt.Errorf("%s:%d: root element is <%s>, want <cib>; give the output of `cibadmin -Q`", name, root.line, root.name)
	}
	im := &importer{
		name:           name,
		root:           root,
		ids:            map[string]*element{},
		res:            &Result{Source: name, comments: map[string][]string{}, pacemaker: map[string]pcmkNode{}},
		cfg:            &policy.Config{},
		fenced:         true,
		startupFencing: true,
		nodeByID:       map[string]string{},
		kinds:          map[string]string{},
		prims:          map[string]*primInfo{},
		defaultManaged: true,
		now:            opts.Now,
		condAttrs:      map[string]bool{},
	}
	im.indexIDs(root)
	conf := root.child("configuration")
	if conf == nil {
		return nil, fmt.Errorf("%s:%d: <cib> has no <configuration> section", name, root.line)
	}
	im.importConfiguration(conf)
	im.res.Config = im.cfg
	im.res.Status = im.deriveStatus(root.child("status"))
	return im.res, nil
}

// indexIDs records every element with an id, for id-ref resolution. The
// status section is left out: its ids repeat node ids.
func (im *importer) indexIDs(e *element) {
	if e.name == "status" {
		return
	}
	if id := e.attr("id"); id != "" {
		if _, dup := im.ids[id]; !dup {
			im.ids[id] = e
		}
	}
	for _, c := range e.children {
		im.indexIDs(c)
	}
}

// deref follows an id-ref attribute to the element it names. It returns e
// itself when e has no id-ref, and nil (with an issue) when the reference
// is dangling.
func (im *importer) deref(e *element) *element {
	ref := e.attr("id-ref")
	if ref == "" {
		return e
	}
	t, ok := im.ids[ref]
	if !ok || t.name != e.name {
		im.lossy(e, fmt.Sprintf("id-ref %q names no <%s>; ignored", ref, e.name))
		return nil
	}
	return t
}

// lossy records an issue that loses or changes meaning.
func (im *importer) lossy(e *element, why string) {
	im.res.Issues = append(im.res.Issues, Issue{Path: e.path(), Line: e.line, Why: why, Lossy: true})
}

// note records an issue that keeps the meaning.
func (im *importer) note(e *element, why string) {
	im.res.Issues = append(im.res.Issues, Issue{Path: e.path(), Line: e.line, Why: why})
}

// comment attaches a comment line to a section of the written policy.
func (im *importer) comment(key, text string) {
	im.res.comments[key] = append(im.res.comments[key], text)
}

// isTrue is Pacemaker's crm_is_true.
func isTrue(s string) bool {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "true", "on", "yes", "y", "1":
		return true
	}
	return false
}

// parseBool is Pacemaker's crm_str_to_boolean: ok is false for values
// that are neither true nor false.
func parseBool(s string) (v, ok bool) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "true", "on", "yes", "y", "1":
		return true, true
	case "false", "off", "no", "n", "0":
		return false, true
	}
	return false, false
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
