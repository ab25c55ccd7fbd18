package policy

import (
	"strconv"
	"strings"
	"time"
)

// This file parses the date terms of rule expressions: "date gt|lt DATE",
// "date in_range ... to ..." and "date-spec FIELD=RANGE ...".

// parseDateTerm parses what follows the keyword "date".
func (p *parser) parseDateTerm() (*node, error) {
	opTok := p.next()
	var n *node
	switch {
	case opTok.isWord("gt") || opTok.isWord("lt"):
		d, err := p.dateOperand(opTok.text)
		if err != nil {
			return nil, err
		}
		if opTok.text == "gt" {
			n = &node{kind: kindDateGT, start: d}
		} else {
			n = &node{kind: kindDateLT, end: d}
		}
	case opTok.isWord("in_range"):
		var err error
		if n, err = p.parseInRange(); err != nil {
			return nil, err
		}
	default:
		msg := `expected "gt", "lt" or "in_range" after "date", found %s (quote "date" to use a node attribute of that name)`
		if opTok.isWord("eq") || opTok.isWord("ne") || opTok.isWord("lte") || opTok.isWord("gte") {
			msg = `date comparisons are "gt", "lt" and "in_range", found %s (quote "date" to use a node attribute of that name)`
		}
		return nil, p.errAt(opTok, msg, opTok.describe())
	}
	p.dates = append(p.dates, n)
	return n, nil
}

// dateOperand reads a DATE after the word what.
func (p *parser) dateOperand(what string) (*dateValue, error) {
	t := p.peek()
	if t.kind != tkWord && t.kind != tkString || (t.kind == tkWord && (t.text == "and" || t.text == "or")) {
		return nil, p.errAt(t, "expected a date after %q, found %s", what, t.describe())
	}
	p.next()
	d, msg := parseDate(t.text)
	if msg != "" {
		return nil, p.errAt(t, "%s", msg)
	}
	return &d, nil
}

func (p *parser) parseInRange() (*node, error) {
	n := &node{kind: kindInRange}
	if !p.peek().isWord("to") {
		d, err := p.dateOperand("in_range")
		if err != nil {
			return nil, err
		}
		n.start = d
		if t := p.peek(); !t.isWord("to") {
			return nil, p.errAt(t, `expected "to" after the start date, found %s`, t.describe())
		}
	}
	p.next() // "to"
	if t := p.peek(); t.isWord("duration") {
		if n.start == nil {
			return nil, p.errAt(t, `"to duration" needs a start date: write "date in_range 2026-01-01 to duration days=7"`)
		}
		p.next()
		dur, err := p.parseDuration(t)
		if err != nil {
			return nil, err
		}
		n.dur = dur
		return n, nil
	}
	endTok := p.peek()
	d, err := p.dateOperand("to")
	if err != nil {
		return nil, err
	}
	n.end = d
	if n.start != nil && rangeBackwards(*n.start, *n.end) {
		return nil, p.errAt(endTok, "range ends (%s) before it starts (%s)", n.end, n.start)
	}
	return n, nil
}

// rangeBackwards reports whether end is before start in every time zone
// (when only one has a UTC offset, allowing for the widest offsets).
func rangeBackwards(start, end dateValue) bool {
	s := start.instant(time.UTC)
	e := end.instant(time.UTC)
	if start.hasOffset != end.hasOffset {
		return e.Add(36 * time.Hour).Before(s)
	}
	return e.Before(s)
}

// fieldTok reads "NAME = VALUE" at the current position if NAME is one of
// names; it reports false (consuming nothing) when the next tokens are not
// of the form "word =".
func (p *parser) fieldTok() (name, value token, ok bool, err error) {
	name = p.peek()
	if name.kind != tkWord || p.peekAt(1).kind != tkOp || p.peekAt(1).text != "=" {
		return token{}, token{}, false, nil
	}
	p.next()
	p.next()
	value = p.peek()
	if value.kind != tkWord && value.kind != tkString {
		return token{}, token{}, false, p.errAt(value, "expected a value after %q, found %s", name.text+"=", value.describe())
	}
	p.next()
	return name, value, true, nil
}

func (p *parser) parseDuration(kw token) (*durationSpec, error) {
	d := &durationSpec{}
	count := 0
	for {
		name, val, ok, err := p.fieldTok()
		if err != nil {
			return nil, err
		}
		if !ok {
			break
		}
		f := -1
		for i, n := range durNames {
			if n == name.text {
				f = i
			}
		}
		if f < 0 {
			return nil, p.errAt(name, "unknown duration field %q; use %s", name.text, strings.Join(durNames[:], ", "))
		}
		if d.set[f] {
			return nil, p.errAt(name, "duration field %q is given twice", name.text)
		}
		v, err := strconv.ParseInt(val.text, 10, 64)
		if err != nil || v < 0 || strings.HasPrefix(val.text, "+") {
			return nil, p.errAt(val, "duration %s=%s must be a whole number >= 0", name.text, val.text)
		}
		if v > durMax[f] {
			return nil, p.errAt(val, "duration %s=%d is too long (at most %d, about 1000 years)", name.text, v, durMax[f])
		}
		d.v[f], d.set[f] = v, true
		count++
	}
	if count == 0 {
		return nil, p.errAt(p.peek(), "expected duration fields after %q, such as days=7 or hours=8", kw.text)
	}
	zero := true
	for _, v := range d.v {
		zero = zero && v == 0
	}
	if zero {
		return nil, p.errAt(kw, "duration is zero; give at least one field > 0")
	}
	return d, nil
}

func (p *parser) parseDateSpec(kw token) (*node, error) {
	s := &dateSpec{}
	count := 0
	for {
		name, val, ok, err := p.fieldTok()
		if err != nil {
			return nil, err
		}
		if !ok {
			break
		}
		f := -1
		for i, n := range specNames {
			if n == name.text {
				f = i
			}
		}
		if f < 0 {
			hint := ""
			if name.text == "moon" {
				hint = ` ("moon" is deprecated in Pacemaker and not supported)`
			}
			return nil, p.errAt(name, "unknown date-spec field %q%s; use %s", name.text, hint, strings.Join(specNames[:], ", "))
		}
		if s.r[f].set {
			return nil, p.errAt(name, "date-spec field %q is given twice; for several ranges write %q", name.text, "date-spec "+name.text+"=1-2 or date-spec "+name.text+"=5-6")
		}
		r, msg := parseSpecRange(f, val.text)
		if msg != "" {
			return nil, p.errAt(val, "%s", msg)
		}
		s.r[f] = r
		count++
	}
	if count == 0 {
		return nil, p.errAt(p.peek(), `expected date-spec fields after "date-spec", such as hours=9-16 weekdays=1-5`)
	}
	if !s.possible() {
		return nil, p.errAt(kw, "date-spec %q can never match: no date has all of these fields", s.String())
	}
	n := &node{kind: kindDateSpec, spec: s}
	p.dates = append(p.dates, n)
	return n, nil
}

// parseSpecRange parses "N" or "N-M" for field f.
func parseSpecRange(f int, v string) (specRange, string) {
	name := specNames[f]
	lo, hi := v, v
	if i := strings.IndexByte(v, '-'); i >= 0 {
		lo, hi = v[:i], v[i+1:]
	}
	num := func(s string) (int, bool) {
		if s == "" || len(s) > 5 {
			return 0, false
		}
		for i := 0; i < len(s); i++ {
			if s[i] < '0' || s[i] > '9' {
				return 0, false
			}
		}
		n, err := strconv.Atoi(s)
		return n, err == nil
	}
	a, ok1 := num(lo)
	b, ok2 := num(hi)
	if !ok1 || !ok2 {
		return specRange{}, "date-spec " + name + "=" + v + " is not a number or a range such as " + name + "=" + strconv.Itoa(specMin[f]) + "-" + strconv.Itoa(specMin[f]+1)
	}
	for _, x := range []int{a, b} {
		if x < specMin[f] || x > specMax[f] {
			return specRange{}, "date-spec " + name + "=" + v + " is out of range: " + name + " go from " + strconv.Itoa(specMin[f]) + " to " + strconv.Itoa(specMax[f]) + specHint(f)
		}
	}
	if a > b {
		return specRange{}, "date-spec " + name + "=" + v + " is backwards; ranges cannot wrap around, write two date-specs joined by \"or\" (" + name + "=" + strconv.Itoa(a) + "-" + strconv.Itoa(specMax[f]) + " or " + name + "=" + strconv.Itoa(specMin[f]) + "-" + strconv.Itoa(b) + ")"
	}
	return specRange{set: true, lo: a, hi: b}, ""
}

func specHint(f int) string {
	if f == fWeekdays {
		return " (1 is Monday, 7 is Sunday)"
	}
	return ""
}
