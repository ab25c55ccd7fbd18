package cib

import (
	"fmt"
	"regexp"
	"strings"
	"time"
)

// ruleError is why a rule cannot be written in ward's rule language; the
// element named is the offending part.
type ruleError struct {
	el  *element
	why string
}

func (e *ruleError) Error() string { return e.why }

// ruleText converts a Pacemaker <rule> to ward's rule language (see
// docs/rules.md): "attr op [type] value", "defined attr", "date gt ...",
// "date in_range A to B", "date-spec k=v ...", joined with and/or and
// parentheses. Scores, score-attribute and role of the rule are the
// caller's business.
func (im *importer) ruleText(r *element) (string, error) {
	return im.ruleTextDepth(r, 0)
}

// maxRuleDepth bounds nested rules (and id-ref cycles among them).
const maxRuleDepth = 16

func (im *importer) ruleTextDepth(r *element, depth int) (string, error) {
	if depth > maxRuleDepth {
		return "", &ruleError{r, fmt.Sprintf("rules nested more than %d deep (or a rule that refers to itself)", maxRuleDepth)}
	}
	r = im.deref(r)
	if r == nil {
		return "", &ruleError{r, "dangling rule reference"}
	}
	op := strings.ToLower(r.attr("boolean-op"))
	if op == "" {
		op = "and"
	}
	if op != "and" && op != "or" {
		return "", &ruleError{r, fmt.Sprintf("boolean-op %q is not and/or", op)}
	}
	var parts []string
	for _, c := range r.children {
		var s string
		var err error
		switch c.name {
		case "expression":
			s, err = im.exprText(c)
		case "date_expression":
			s, err = im.dateExprText(c)
		case "rule":
			s, err = im.ruleTextDepth(c, depth+1)
			if err == nil && strings.Contains(s, " ") {
				s = "(" + s + ")"
			}
		case "rsc_expression", "op_expression":
			err = &ruleError{c, c.name + " has no meaning in a location rule"}
		default:
			err = &ruleError{c, "rule element <" + c.name + "> is not known"}
		}
		if err != nil {
			return "", err
		}
		parts = append(parts, s)
	}
	if len(parts) == 0 {
		return "", &ruleError{r, "empty rule (no expressions)"}
	}
	return strings.Join(parts, " "+op+" "), nil
}

var (
	rangeRe   = regexp.MustCompile(`^-?[0-9]+(-[0-9]+)?$`)
	ordinalRe = regexp.MustCompile(`^([0-9]{4})-?([0-9]{3})$`)
	weekRe    = regexp.MustCompile(`^([0-9]{4})-?W([0-9]{2})-?([1-7])$`)
)

// bareRe matches values written without quotes.
var bareRe = regexp.MustCompile(`^[A-Za-z0-9_.:/@#+-]+$`)

var ruleWords = map[string]bool{"and": true, "or": true, "not": true, "defined": true, "not_defined": true, "date": true, "date-spec": true, "to": true, "duration": true, "in_range": true,
	"eq": true, "ne": true, "lt": true, "gt": true, "lte": true, "gte": true, "string": true, "integer": true, "number": true, "version": true}

// quoteValue writes v bare when it is a plain word, else double-quoted.
func quoteValue(v string) string {
	if bareRe.MatchString(v) && !ruleWords[strings.ToLower(v)] {
		return v
	}
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range v {
		switch r {
		case '"', '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		case '\n':
			b.WriteString(`\n`)
		case '\t':
			b.WriteString(`\t`)
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
	return b.String()
}

// exprText converts an <expression>.
func (im *importer) exprText(e *element) (string, error) {
	e = im.deref(e)
	if e == nil {
		return "", &ruleError{e, "dangling expression reference"}
	}
	attr := e.attr("attribute")
	if attr == "" {
		return "", &ruleError{e, "expression without attribute"}
	}
	if vs := e.attr("value-source"); vs != "" && vs != "literal" {
		return "", &ruleError{e, fmt.Sprintf("value-source=%s (compare with a resource parameter or meta attribute) has no ward equivalent", vs)}
	}
	if attr == "#id" {
		attr = nodeIDAttr
		im.usesNodeID = true
		im.note(e, "#id (Pacemaker's node id) is written as the node attribute "+nodeIDAttr)
	}
	if !bareRe.MatchString(attr) {
		return "", &ruleError{e, fmt.Sprintf("attribute name %q has characters ward's rules do not accept", attr)}
	}
	op := strings.ToLower(e.attr("operation"))
	switch op {
	case "defined", "not_defined":
		return im.condOrErr(e, attr, op+" "+attr)
	case "eq", "ne", "lt", "gt", "lte", "gte":
	default:
		return "", &ruleError{e, fmt.Sprintf("operation %q is not known", op)}
	}
	val, ok := e.lookup("value")
	if !ok {
		return "", &ruleError{e, "expression without value"}
	}
	if val == "" {
		switch op {
		case "eq":
			im.lossy(e, "comparison with the empty string written as not_defined (an attribute set to \"\" no longer matches)")
			return "not_defined " + attr, nil
		case "ne":
			im.lossy(e, "comparison with the empty string written as defined (an attribute set to \"\" now matches)")
			return "defined " + attr, nil
		}
		return "", &ruleError{e, "ordering comparison with an empty value"}
	}
	typ := strings.ToLower(e.attr("type"))
	switch typ {
	case "", "string", "integer", "number", "version":
	default:
		return "", &ruleError{e, fmt.Sprintf("expression type %q is not known", typ)}
	}
	s := attr + " " + op + " "
	if typ != "" {
		s += typ + " "
	}
	return im.condOrErr(e, attr, s+quoteValue(val))
}

// condOrErr applies condExpr, turning its error into a ruleError.
func (im *importer) condOrErr(e *element, attr, base string) (string, error) {
	out, err := im.condExpr(attr, base)
	if err != nil {
		return "", &ruleError{e, err.Error()}
	}
	if out != base {
		out = "(" + out + ")"
	}
	return out, nil
}

// dateExprText converts a <date_expression>.
func (im *importer) dateExprText(e *element) (string, error) {
	e = im.deref(e)
	if e == nil {
		return "", &ruleError{e, "dangling date expression reference"}
	}
	op := strings.ToLower(e.attr("operation"))
	if op == "" {
		op = "in_range"
	}
	date := func(a string) (string, error) {
		v := e.attr(a)
		t, err := pcmkDate(v)
		if err != nil {
			return "", &ruleError{e, fmt.Sprintf("%s %q: %v", a, v, err)}
		}
		return t, nil
	}
	switch op {
	case "gt":
		s, err := date("start")
		if err != nil {
			return "", err
		}
		return "date gt " + s, nil
	case "lt":
		s, err := date("end")
		if err != nil {
			return "", err
		}
		return "date lt " + s, nil
	case "in_range":
		var start, end string
		var err error
		if e.attr("start") != "" {
			if start, err = date("start"); err != nil {
				return "", err
			}
		}
		if e.attr("end") != "" {
			if end, err = date("end"); err != nil {
				return "", err
			}
		}
		dur := e.child("duration")
		switch {
		case start != "" && end != "":
			return "date in_range " + start + " to " + end, nil
		case start != "" && dur != nil:
			d, err := specText(dur, "duration")
			if err != nil {
				return "", err
			}
			return "date in_range " + start + " to duration " + d, nil
		case start != "":
			// in_range includes its start; "date gt" would not.
			return "not (date lt " + start + ")", nil
		case end != "":
			return "date in_range to " + end, nil
		}
		return "", &ruleError{e, "in_range without start or end"}
	case "date_spec":
		spec := e.child("date_spec")
		if spec == nil {
			return "", &ruleError{e, "date_spec operation without <date_spec>"}
		}
		s, err := specText(spec, "date_spec")
		if err != nil {
			return "", err
		}
		return "date-spec " + s, nil
	}
	return "", &ruleError{e, fmt.Sprintf("date operation %q is not known", op)}
}

// specText writes the fields of a <date_spec> or <duration> as k=v pairs.
func specText(e *element, kind string) (string, error) {
	fields := []string{"years", "months", "weeks", "days", "hours", "minutes", "seconds"}
	if kind == "date_spec" {
		fields = []string{"years", "weekyears", "months", "weeks", "yeardays", "monthdays", "weekdays", "hours", "minutes", "seconds"}
	}
	known := map[string]bool{"id": true}
	var parts []string
	for _, f := range fields {
		known[f] = true
		if v := strings.TrimSpace(e.attr(f)); v != "" {
			if !rangeRe.MatchString(v) {
				return "", &ruleError{e, fmt.Sprintf("%s %s=%q is not a number or range", kind, f, v)}
			}
			parts = append(parts, f+"="+v)
		}
	}
	for _, a := range e.attrs {
		if !known[a.Name.Local] {
			return "", &ruleError{e, fmt.Sprintf("%s field %s is not supported", kind, a.Name.Local)}
		}
	}
	if len(parts) == 0 {
		return "", &ruleError{e, "empty " + kind}
	}
	return strings.Join(parts, " "), nil
}

// pcmkDate converts a Pacemaker ISO 8601 date ("2019-09-20 15:10:52
// +00:00", "2005-020", "2005-W03-4", "2019-09-20T15:10:52Z") to the form
// ward's rules read: RFC 3339 when a zone is given, else local date and
// time without a zone (the location's timezone applies, UTC by default,
// as in the test cases).
func pcmkDate(s string) (string, error) {
	t := strings.TrimSpace(s)
	if t == "" {
		return "", fmt.Errorf("empty date")
	}
	withZone := []string{"2006-01-02 15:04:05 -07:00", "2006-01-02 15:04:05 -0700", "2006-01-02T15:04:05-07:00", "2006-01-02T15:04:05Z07:00", "2006-01-02 15:04:05Z", "2006-01-02T15:04:05Z", "2006-01-02 15:04:05 Z"}
	for _, l := range withZone {
		if v, err := time.Parse(l, t); err == nil {
			return v.UTC().Format(time.RFC3339), nil
		}
	}
	noZone := []string{"2006-01-02 15:04:05", "2006-01-02T15:04:05", "2006-01-02 15:04", "2006-01-02T15:04", "2006-01-02"}
	for _, l := range noZone {
		if v, err := time.Parse(l, t); err == nil {
			return localForm(v), nil
		}
	}
	// Ordinal (2005-020) and week (2005-W03-4) dates, optionally with a
	// time after T or a space.
	datePart, timePart, _ := strings.Cut(strings.Replace(t, " ", "T", 1), "T")
	var day time.Time
	if m := ordinalRe.FindStringSubmatch(datePart); m != nil {
		y, _ := atoi(m[1])
		d, _ := atoi(m[2])
		if d < 1 || d > 366 {
			return "", fmt.Errorf("day of year %d is out of range", d)
		}
		day = time.Date(y, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, d-1)
	} else if m := weekRe.FindStringSubmatch(datePart); m != nil {
		y, _ := atoi(m[1])
		w, _ := atoi(m[2])
		wd, _ := atoi(m[3])
		jan4 := time.Date(y, 1, 4, 0, 0, 0, 0, time.UTC)
		iso := int(jan4.Weekday())
		if iso == 0 {
			iso = 7
		}
		day = jan4.AddDate(0, 0, (w-1)*7+(wd-iso))
	} else {
		return "", fmt.Errorf("not a date Pacemaker or ward understands")
	}
	if timePart != "" {
		tm, err := time.Parse("15:04:05", timePart)
		if err != nil {
			if tm, err = time.Parse("15:04", timePart); err != nil {
				return "", fmt.Errorf("time %q is not hh:mm[:ss]", timePart)
			}
		}
		day = day.Add(time.Duration(tm.Hour())*time.Hour + time.Duration(tm.Minute())*time.Minute + time.Duration(tm.Second())*time.Second)
	}
	return localForm(day), nil
}

func localForm(v time.Time) string {
	if v.Hour() == 0 && v.Minute() == 0 && v.Second() == 0 {
		return v.Format("2006-01-02")
	}
	return v.Format("2006-01-02T15:04:05")
}
