package policy

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	"pgregory.net/rapid"
)

// TestRuleParseCanonical parses valid rules and checks their canonical
// form, then that the canonical form parses to an equal tree.
func TestRuleParseCanonical(t *testing.T) {
	tests := []struct{ in, want string }{
		{"site eq east", "site eq east"},
		{"  site   eq\teast\n", "site eq east"},
		{"site == east", "site eq east"},
		{"x != 1", "x ne 1"},
		{"x<1", "x lt 1"},
		{"x<=1", "x lte 1"},
		{"x>1", "x gt 1"},
		{"x>=1", "x gte 1"},
		{"x gte integer 10", "x gte integer 10"},
		{"x lt number 1.5", "x lt number 1.5"},
		{"kernel gte version 6.1.0", "kernel gte version 6.1.0"},
		{"x eq string 01", "x eq string 01"},
		{"x eq string", "x eq \"string\""},             // "string" is the value here
		{"x eq string \"and\"", "x eq string \"and\""}, // type, then a quoted keyword
		{"dc eq 'my dc'", "dc eq \"my dc\""},
		{`dc eq "a\"b\\c"`, `dc eq "a\"b\\c"`},
		{`"my attr" eq 1`, `"my attr" eq 1`},
		{`"date" eq 1`, `"date" eq 1`},
		{"#uname eq node1", "#uname eq node1"},
		{"defined ssd", "defined ssd"},
		{"not_defined ssd", "not_defined ssd"},
		{"not defined ssd", "not defined ssd"},
		{"not not a eq 1", "not not a eq 1"},
		{"not (a eq 1 or b eq 2)", "not (a eq 1 or b eq 2)"},
		{"a eq 1 and b eq 2 and c eq 3", "a eq 1 and b eq 2 and c eq 3"},
		{"(a eq 1 and b eq 2) and c eq 3", "a eq 1 and b eq 2 and c eq 3"},
		{"(a eq 1 and b eq 2) or c eq 3", "(a eq 1 and b eq 2) or c eq 3"},
		{"a eq 1 or (b eq 2 and (c eq 3))", "a eq 1 or (b eq 2 and c eq 3)"},
		{"((a eq 1))", "a eq 1"},
		{"date gt 2026-01-01", "date gt 2026-01-01"},
		{"date lt 2026-01-01T09:00", "date lt 2026-01-01T09:00:00"},
		{"date lt 2026-01-01t09:00:30z", "date lt 2026-01-01T09:00:30Z"},
		{"date lt 2026-01-01T09:00:00+00:00", "date lt 2026-01-01T09:00:00Z"},
		{"date lt 2026-01-01T09:00:00-0530", "date lt 2026-01-01T09:00:00-05:30"},
		{"date lt 2026-01-01T09:00:00+02", "date lt 2026-01-01T09:00:00+02:00"},
		{"date lt '2026-01-01 09:00'", "date lt 2026-01-01T09:00:00"},
		{"date in_range 2026-01-01 to 2026-01-31", "date in_range 2026-01-01 to 2026-01-31"},
		{"date in_range to 2026-01-31", "date in_range to 2026-01-31"},
		{"date in_range 2026-01-01 to duration seconds=5 days=2 years=1", "date in_range 2026-01-01 to duration years=1 days=2 seconds=5"},
		{"date in_range 2026-01-01 to duration days = 0 hours = 1", "date in_range 2026-01-01 to duration days=0 hours=1"},
		{"date-spec weekdays=1-5 hours=9-16", "date-spec hours=9-16 weekdays=1-5"},
		{"date-spec hours=9-9", "date-spec hours=9"},
		{"date-spec years=2026 weekyears=2026 weeks=53 yeardays=1-366 monthdays=1-31 months=1-12 seconds=0-59 minutes=0-59",
			"date-spec minutes=0-59 seconds=0-59 monthdays=1-31 yeardays=1-366 weeks=53 months=1-12 years=2026 weekyears=2026"},
		{"date-spec monthdays=29 months=2", "date-spec monthdays=29 months=2"},
		{"date-spec monthdays=29 months=2 years=2028", "date-spec monthdays=29 months=2 years=2028"},
		{"date-spec monthdays=13 weekdays=5", "date-spec weekdays=5 monthdays=13"},
		{"site eq east and date-spec hours=9-16 and not date in_range 2026-12-24 to 2026-12-26",
			"site eq east and date-spec hours=9-16 and not date in_range 2026-12-24 to 2026-12-26"},
		{"x eq and-more", "x eq and-more"},
		{"x eq -5", "x eq -5"},
		{"x eq ünïcödé", "x eq ünïcödé"},
	}
	for _, tc := range tests {
		e, err := ParseExpr(tc.in)
		if err != nil {
			t.Errorf("ParseExpr(%q) error %v, want %q", tc.in, err, tc.want)
			continue
		}
		if got := e.String(); got != tc.want {
			t.Errorf("ParseExpr(%q).String() = %q, want %q", tc.in, got, tc.want)
		}
		e2, err := ParseExpr(e.String())
		if err != nil {
			t.Errorf("ParseExpr(%q) (canonical form of %q) error %v", e.String(), tc.in, err)
			continue
		}
		if !reflect.DeepEqual(e, e2) {
			t.Errorf("ParseExpr(%q) differs from ParseExpr(%q)", e.String(), tc.in)
		}
	}
}

// TestRuleParseErrors checks the full error text of invalid rules: the
// column must point at the problem.
func TestRuleParseErrors(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", `rule "": column 1: rule is empty; write a condition such as "site eq east"`},
		{"site eq", `rule "site eq": column 8: expected a value after "eq"`},
		{"site eq )", `rule "site eq )": column 9: expected a value after "eq", found ")" (quote values that contain spaces or keywords)`},
		{"site", `rule "site": column 5: expected a comparison (eq, ne, lt, gt, lte, gte) after attribute "site"`},
		{"site is east", `rule "site is east": column 6: expected a comparison (eq, ne, lt, gt, lte, gte) after attribute "site", found "is"`},
		{"site = east", `rule "site = east": column 6: "=" is not a comparison; write "eq" or "=="`},
		{"site ! east", `rule "site ! east": column 6: unexpected "!"; write "ne" or "!=" to compare, "not" to negate`},
		{"site eq east west", `rule "site eq east west": column 14: unexpected "west" after a complete condition; expected "and", "or" or the end of the rule`},
		{"site eq east AND x eq 1", `rule "site eq east AND x eq 1": column 14: keywords are lower case: write "and", not "AND"`},
		{"Date gt 2026-01-01", `rule "Date gt 2026-01-01": column 1: keywords are lower case: write "date", not "Date" (quote it if it is an attribute name)`},
		{"a eq 1 and b eq 2 or c eq 3", `rule "a eq 1 and b eq 2 or c eq 3": column 19: "and" and "or" cannot be mixed without parentheses; write "(a and b) or c" or "a and (b or c)"`},
		{"(a eq 1", `rule "(a eq 1": column 8: expected ")" to close the "(" at column 1, found the end of the rule`},
		{"a eq 1)", `rule "a eq 1)": column 7: unexpected ")" without a matching "("`},
		{"()", `rule "()": column 2: expected a condition before ")"`},
		{"a eq 1 and", `rule "a eq 1 and": column 11: rule ends where a condition was expected`},
		{"or a eq 1", `rule "or a eq 1": column 1: expected a condition before "or"`},
		{"not", `rule "not": column 4: rule ends where a condition was expected`},
		{"== 1", `rule "== 1": column 1: expected a condition (an attribute name, "defined", "date" or "date-spec"), found "=="`},
		{"a eq 'open", `rule "a eq 'open": column 6: quoted string is not closed; add a '`},
		{`a eq ""`, `rule "a eq \"\"": column 6: value is empty; to test for a missing attribute write "not_defined a"`},
		{`"" eq 1`, `rule "\"\" eq 1": column 1: attribute name is empty`},
		{"a eq \x01", `rule "a eq \x01": column 6: unexpected control character 0x01`},
		{"a eq 'x\ty'", `rule "a eq 'x\ty'": column 8: control character 0x09 inside a quoted string`},
		{"a eq \xff", "rule \"a eq \uFFFD\": column 6: invalid UTF-8 byte 0xff"},
		{"défini eq x y", `rule "défini eq x y": column 13: unexpected "y" after a complete condition; expected "and", "or" or the end of the rule`},
		{"a eq 1 and\nb eq", "rule \"a eq 1 and\\nb eq\": line 2, column 5: expected a value after \"eq\""},
		{"defined", `rule "defined": column 8: expected an attribute name after "defined", found the end of the rule`},
		{"not_defined or", `rule "not_defined or": column 13: expected an attribute name after "not_defined", found "or"`},
		{"x eq integer abc", `rule "x eq integer abc": column 14: value "abc" is not an integer`},
		{"x lt integer 1.5", `rule "x lt integer 1.5": column 14: value "1.5" is not an integer`},
		{"x lt number 1e400", `rule "x lt number 1e400": column 13: value "1e400" is not a number`},
		{"x lt number inf", `rule "x lt number inf": column 13: value "inf" is not a number`},
		{"x lt version 1.x", `rule "x lt version 1.x": column 14: value "1.x" is not a version; write numbers separated by dots, such as 2.1.5`},
		{"date", `rule "date": column 5: expected "gt", "lt" or "in_range" after "date", found the end of the rule (quote "date" to use a node attribute of that name)`},
		{"date eq 2026-01-01", `rule "date eq 2026-01-01": column 6: date comparisons are "gt", "lt" and "in_range", found "eq" (quote "date" to use a node attribute of that name)`},
		{"date gt", `rule "date gt": column 8: expected a date after "gt", found the end of the rule`},
		{"date gt tomorrow", `rule "date gt tomorrow": column 9: "tomorrow" is not a date; write for example 2026-01-31, 2026-01-31T09:00 or 2026-01-31T09:00:00+01:00`},
		{"date gt 2026-1-1", `rule "date gt 2026-1-1": column 9: "2026-1-1" is not a date; write for example 2026-01-31, 2026-01-31T09:00 or 2026-01-31T09:00:00+01:00`},
		{"date gt 2026-13-01", `rule "date gt 2026-13-01": column 9: month 13 in "2026-13-01" must be between 01 and 12`},
		{"date gt 2026-02-29", `rule "date gt 2026-02-29": column 9: day 29 in "2026-02-29" does not exist (2026-02 has 28 days)`},
		{"date gt 0000-01-01", `rule "date gt 0000-01-01": column 9: year in "0000-01-01" must be between 0001 and 9999`},
		{"date gt 2026-01-01T24:00", `rule "date gt 2026-01-01T24:00": column 9: time of day in "2026-01-01T24:00" is out of range (hours 00-23, minutes and seconds 00-59)`},
		{"date gt 2026-01-01T10:00:00.5Z", `rule "date gt 2026-01-01T10:00:00.5Z": column 9: fractional seconds in "2026-01-01T10:00:00.5Z" are not supported; rules work in whole seconds`},
		{"date gt 2026-01-01T10:00+19:00", `rule "date gt 2026-01-01T10:00+19:00": column 9: utc offset in "2026-01-01T10:00+19:00" is out of range`},
		{"date in_range 2026-02-01 to 2026-01-31", `rule "date in_range 2026-02-01 to 2026-01-31": column 29: range ends (2026-01-31) before it starts (2026-02-01)`},
		{"date in_range 2026-01-01T10:00Z to 2026-01-01T09:00Z", `rule "date in_range 2026-01-01T10:00Z to 2026-01-01T09:00Z": column 36: range ends (2026-01-01T09:00:00Z) before it starts (2026-01-01T10:00:00Z)`},
		{"date in_range 2026-01-01", `rule "date in_range 2026-01-01": column 25: expected "to" after the start date, found the end of the rule`},
		{"date in_range to duration days=1", `rule "date in_range to duration days=1": column 18: "to duration" needs a start date: write "date in_range 2026-01-01 to duration days=7"`},
		{"date in_range 2026-01-01 to duration", `rule "date in_range 2026-01-01 to duration": column 37: expected duration fields after "duration", such as days=7 or hours=8`},
		{"date in_range 2026-01-01 to duration day=1", `rule "date in_range 2026-01-01 to duration day=1": column 38: unknown duration field "day"; use years, months, weeks, days, hours, minutes, seconds`},
		{"date in_range 2026-01-01 to duration days=1 days=2", `rule "date in_range 2026-01-01 to duration days=1 days=2": column 45: duration field "days" is given twice`},
		{"date in_range 2026-01-01 to duration days=-1", `rule "date in_range 2026-01-01 to duration days=-1": column 43: duration days=-1 must be a whole number >= 0`},
		{"date in_range 2026-01-01 to duration days=0", `rule "date in_range 2026-01-01 to duration days=0": column 29: duration is zero; give at least one field > 0`},
		{"date in_range 2026-01-01 to duration years=1001", `rule "date in_range 2026-01-01 to duration years=1001": column 44: duration years=1001 is too long (at most 1000, about 1000 years)`},
		{"date_spec hours=9", `rule "date_spec hours=9": column 1: write "date-spec" (with a hyphen), as in "date-spec hours=9-16"`},
		{"date-spec", `rule "date-spec": column 10: expected date-spec fields after "date-spec", such as hours=9-16 weekdays=1-5`},
		{"date-spec hours=", `rule "date-spec hours=": column 17: expected a value after "hours=", found the end of the rule`},
		{"date-spec hour=9", `rule "date-spec hour=9": column 11: unknown date-spec field "hour"; use hours, minutes, seconds, weekdays, monthdays, yeardays, weeks, months, years, weekyears`},
		{"date-spec moon=1", `rule "date-spec moon=1": column 11: unknown date-spec field "moon" ("moon" is deprecated in Pacemaker and not supported); use hours, minutes, seconds, weekdays, monthdays, yeardays, weeks, months, years, weekyears`},
		{"date-spec hours=24", `rule "date-spec hours=24": column 17: date-spec hours=24 is out of range: hours go from 0 to 23`},
		{"date-spec minutes=60", `rule "date-spec minutes=60": column 19: date-spec minutes=60 is out of range: minutes go from 0 to 59`},
		{"date-spec seconds=60", `rule "date-spec seconds=60": column 19: date-spec seconds=60 is out of range: seconds go from 0 to 59`},
		{"date-spec weekdays=0-5", `rule "date-spec weekdays=0-5": column 20: date-spec weekdays=0-5 is out of range: weekdays go from 1 to 7 (1 is Monday, 7 is Sunday)`},
		{"date-spec monthdays=32", `rule "date-spec monthdays=32": column 21: date-spec monthdays=32 is out of range: monthdays go from 1 to 31`},
		{"date-spec yeardays=367", `rule "date-spec yeardays=367": column 20: date-spec yeardays=367 is out of range: yeardays go from 1 to 366`},
		{"date-spec weeks=54", `rule "date-spec weeks=54": column 17: date-spec weeks=54 is out of range: weeks go from 1 to 53`},
		{"date-spec months=0", `rule "date-spec months=0": column 18: date-spec months=0 is out of range: months go from 1 to 12`},
		{"date-spec hours=17-9", `rule "date-spec hours=17-9": column 17: date-spec hours=17-9 is backwards; ranges cannot wrap around, write two date-specs joined by "or" (hours=17-23 or hours=0-9)`},
		{"date-spec hours=9-", `rule "date-spec hours=9-": column 17: date-spec hours=9- is not a number or a range such as hours=0-1`},
		{"date-spec hours=9 hours=10", `rule "date-spec hours=9 hours=10": column 19: date-spec field "hours" is given twice; for several ranges write "date-spec hours=1-2 or date-spec hours=5-6"`},
		{"date-spec monthdays=31 months=2", `rule "date-spec monthdays=31 months=2": column 1: date-spec "monthdays=31 months=2" can never match: no date has all of these fields`},
		{"date-spec monthdays=31 months=4", `rule "date-spec monthdays=31 months=4": column 1: date-spec "monthdays=31 months=4" can never match: no date has all of these fields`},
		{"date-spec monthdays=29 months=2 years=2027", `rule "date-spec monthdays=29 months=2 years=2027": column 1: date-spec "monthdays=29 months=2 years=2027" can never match: no date has all of these fields`},
		{"date-spec monthdays=29 months=2 years=2100", `rule "date-spec monthdays=29 months=2 years=2100": column 1: date-spec "monthdays=29 months=2 years=2100" can never match: no date has all of these fields`},
		{"date-spec yeardays=366 years=2026", `rule "date-spec yeardays=366 years=2026": column 1: date-spec "yeardays=366 years=2026" can never match: no date has all of these fields`},
		{"date-spec weeks=53 weekyears=2025", `rule "date-spec weeks=53 weekyears=2025": column 1: date-spec "weeks=53 weekyears=2025" can never match: no date has all of these fields`},
		{"date-spec months=1 yeardays=40", `rule "date-spec months=1 yeardays=40": column 1: date-spec "yeardays=40 months=1" can never match: no date has all of these fields`},
		{"x eq 1 and date-spec weekdays=6 monthdays=1-5 months=2 weeks=10", `rule "x eq 1 and date-spec weekdays=6 monthdays=1-5 months=2 weeks=10": column 12: date-spec "weekdays=6 monthdays=1-5 weeks=10 months=2" can never match: no date has all of these fields`},
	}
	for _, tc := range tests {
		e, err := ParseExpr(tc.in)
		if err == nil {
			t.Errorf("ParseExpr(%q) = %q, want error %q", tc.in, e, tc.want)
			continue
		}
		if got := err.Error(); got != tc.want {
			t.Errorf("ParseExpr(%q) error = %q, want %q", tc.in, got, tc.want)
		}
		var pe *ParseError
		if !errors.As(err, &pe) {
			t.Errorf("ParseExpr(%q) error is %T, want *ParseError", tc.in, err)
		}
	}
}

// TestRuleParseLimits checks the length and nesting limits.
func TestRuleParseLimits(t *testing.T) {
	long := "x eq " + strings.Repeat("a", MaxExprLen)
	if _, err := ParseExpr(long); err == nil || !strings.Contains(err.Error(), "rule is 4101 bytes long; the limit is 4096") {
		t.Errorf("ParseExpr(4101 bytes) error = %v, want the length limit", err)
	}
	var pe *ParseError
	if _, err := ParseExpr(long); !errors.As(err, &pe) || pe.Offset != MaxExprLen || len(pe.Error()) > 200 {
		t.Errorf("ParseExpr(4101 bytes) error = %v, want a *ParseError at offset %d with a short excerpt", err, MaxExprLen)
	}
	ok := strings.Repeat("(", MaxExprDepth) + "x eq 1" + strings.Repeat(")", MaxExprDepth)
	if _, err := ParseExpr(ok); err != nil {
		t.Errorf("ParseExpr(%d parentheses) error %v, want ok", MaxExprDepth, err)
	}
	deep := strings.Repeat("(", MaxExprDepth+1) + "x eq 1" + strings.Repeat(")", MaxExprDepth+1)
	want := `rule "` + deep + `": column 33: rule nests parentheses and "not" deeper than 32 levels`
	if _, err := ParseExpr(deep); err == nil || err.Error() != want {
		t.Errorf("ParseExpr(%d parentheses) error = %v, want %q", MaxExprDepth+1, err, want)
	}
	nots := strings.Repeat("not ", MaxExprDepth+1) + "x eq 1"
	if _, err := ParseExpr(nots); err == nil || !strings.Contains(err.Error(), "deeper than 32 levels") {
		t.Errorf("ParseExpr(%d nots) error = %v, want the depth limit", MaxExprDepth+1, err)
	}
	// Very many terms at one level are fine (no recursion per term).
	many := strings.Repeat("x eq 1 or ", 400) + "x eq 2"
	if e, err := ParseExpr(many); err != nil || len(e.root.kids) != 401 {
		t.Errorf("ParseExpr(401 terms) error %v, want one or with 401 operands", err)
	}
}

// TestRuleAttributes checks Attributes and HasDateTerms.
func TestRuleAttributes(t *testing.T) {
	e, err := ParseExpr(`b eq 1 and (defined a or not_defined "c d") and #uname ne x and b gt 2 and date-spec hours=1`)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"#uname", "b", "a", "c d"}
	got := e.Attributes()
	if !reflect.DeepEqual(got, []string{"#uname", "a", "b", "c d"}) {
		t.Errorf("Attributes() = %q, want %q sorted", got, want)
	}
	if !e.HasDateTerms() {
		t.Errorf("HasDateTerms() = false, want true")
	}
	e2, _ := ParseExpr("a eq 1")
	if e2.HasDateTerms() {
		t.Errorf("HasDateTerms(a eq 1) = true, want false")
	}
	var nilExpr *Expr
	if nilExpr.Eval(EvalEnv{}) || nilExpr.String() != "" || nilExpr.Attributes() != nil || nilExpr.HasDateTerms() {
		t.Errorf("nil *Expr: want Eval false, empty String, no attributes")
	}
	if _, ok := nilExpr.NextChange(EvalEnv{}); ok {
		t.Errorf("nil *Expr NextChange ok = true, want false")
	}
}

// TestRuleStringRoundTripProp builds random rules with awkward attribute
// names and values (quotes, backslashes, spaces, keywords, symbols) and
// checks that printing and parsing gives the same tree.
func TestRuleStringRoundTripProp(t *testing.T) {
	pieces := []string{"a", "Z", "#uname", "1", "-", ".", " ", "\"", "'", "\\", "(", ")", "<", "=", "!", "and", "or", "not", "date", "date-spec", "string", "to", "é", "\u00a0", "ü"}
	text := rapid.Custom(func(t *rapid.T) string {
		var b strings.Builder
		for _, i := range rapid.SliceOfN(rapid.IntRange(0, len(pieces)-1), 1, 4).Draw(t, "pieces") {
			b.WriteString(pieces[i])
		}
		return b.String()
	})
	var gen func(t *rapid.T, depth int, parent nodeKind) *node
	gen = func(t *rapid.T, depth int, parent nodeKind) *node {
		kind := rapid.IntRange(0, 4).Draw(t, "kind")
		if depth >= 4 {
			kind = rapid.IntRange(0, 1).Draw(t, "leaf")
		}
		switch kind {
		case 0:
			return &node{kind: kindCmp, attr: text.Draw(t, "attr"), op: cmpOp(rapid.IntRange(1, 6).Draw(t, "op")),
				typ: valueType(rapid.IntRange(0, 1).Draw(t, "typ")), value: text.Draw(t, "value")}
		case 1:
			return &node{kind: rapid.SampledFrom([]nodeKind{kindDefined, kindNotDefined}).Draw(t, "def"), attr: text.Draw(t, "attr")}
		case 2:
			return &node{kind: kindNot, kids: []*node{gen(t, depth+1, kindNot)}}
		}
		k := kindAnd
		if kind == 4 {
			k = kindOr
		}
		if k == parent {
			k = kindAnd + kindOr - k // parse flattens "a and (b and c)"
		}
		n := &node{kind: k}
		for range rapid.IntRange(2, 3).Draw(t, "kids") {
			n.kids = append(n.kids, gen(t, depth+1, k))
		}
		return n
	}
	rapid.Check(t, func(t *rapid.T) {
		want := &Expr{root: gen(t, 0, 0)}
		s := want.String()
		got, err := ParseExpr(s)
		if err != nil {
			t.Fatalf("ParseExpr(%q): %v", s, err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("ParseExpr(%q).String() = %q, want the same tree", s, got.String())
		}
	})
}
