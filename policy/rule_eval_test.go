package policy

import (
	"testing"
	"time"
	// Embedded zone data keeps these tests independent of the machine's
	// /usr/share/zoneinfo (it only grows the test binary).
	_ "time/tzdata"
)

func mustLoc(t testing.TB, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatalf("time.LoadLocation(%q): %v", name, err)
	}
	return loc
}

func mustExpr(t testing.TB, s string) *Expr {
	t.Helper()
	e, err := ParseExpr(s)
	if err != nil {
		t.Fatalf("ParseExpr(%q): %v", s, err)
	}
	return e
}

// TestRuleEvalAttributes covers attribute terms, comparison types and
// undefined attributes (Pacemaker semantics, see docs/rules.md).
func TestRuleEvalAttributes(t *testing.T) {
	env := EvalEnv{
		Node: "node1",
		Attrs: map[string]string{
			"site": "East", "weight": "10", "ratio": "1.5", "kernel": "6.1.0", "empty": "",
			"name": "abc", "neg": "-3", "#site-name": "dc1", "#uname": "impostor", "big": "1e3",
			"spaced": "my dc",
		},
	}
	tests := []struct {
		expr string
		want bool
	}{
		{"site eq east", true}, // strings compare case-insensitively
		{"site eq East", true},
		{"site ne east", false},
		{"site eq west", false},
		{"site == East", true},
		{"site != west", true},
		{`spaced eq "my dc"`, true},
		{"spaced eq 'MY DC'", true},
		// Undefined attributes: unequal to everything, never ordered.
		{"missing eq x", false},
		{"missing ne x", true},
		{"missing lt 5", false},
		{"missing lte 5", false},
		{"missing gt 5", false},
		{"missing gte 5", false},
		{"defined missing", false},
		{"not_defined missing", true},
		{"not defined missing", true},
		{"defined empty", true},
		{"not_defined empty", false},
		// Default type: ordering compares integers when neither value has
		// a dot, numbers when one has; eq and ne compare strings.
		{"weight gt 9", true},
		{"weight lt 9", false},
		{"weight gte 10", true},
		{"weight lte 10", true},
		{"weight gt 9.5", true},
		{"weight eq 010", false},
		{"weight eq 10", true},
		{"neg lt -2", true},
		{"ratio gt 1.25", true},
		{"ratio lt 2", true},
		{"ratio gte 1.50", true},
		// Explicit types.
		{"weight gt string 9", false}, // "10" < "9" as strings
		{"weight eq integer 010", true},
		{"weight eq integer +10", true},
		{"ratio eq number 1.50", true},
		{"big eq number 1000", true},
		{"big gt integer 999", false}, // "1e3" is no integer: compared as strings, "1e3" < "999"
		{"kernel gte version 6.1", true},
		{"kernel eq version 6.1.0.0", true},
		{"kernel lt version 6.10", true},
		{"kernel gt version 6.0.99", true},
		{"kernel lt version 6.1.1", true},
		// Values that do not parse as the type compare as strings.
		{"name gt 5", true},
		{"name lt integer 5", false},
		{"kernel gt 6.1", true}, // "6.1.0" is no number: string compare, "6.1.0" > "6.1"
		// Built-in attributes.
		{"#uname eq node1", true}, // built-ins win over Attrs
		{"#uname eq NODE1", true},
		{"#uname eq impostor", false},
		{"#id eq node1", true},
		{"#kind eq cluster", true},
		{"#site-name eq dc1", true},
		{"defined #uname", true},
		// Boolean structure.
		{"site eq east and weight gt 5", true},
		{"site eq east and weight gt 50", false},
		{"site eq west or weight gt 5", true},
		{"site eq west or weight gt 50", false},
		{"not site eq west", true},
		{"not (site eq west or weight gt 50)", true},
		{"not not site eq east", true},
		{"(site eq west or weight gt 5) and not defined missing", true},
	}
	for _, tc := range tests {
		e := mustExpr(t, tc.expr)
		if got := e.Eval(env); got != tc.want {
			t.Errorf("Eval(%q) = %v, want %v", tc.expr, got, tc.want)
		}
	}
	anon := EvalEnv{}
	for _, tc := range []struct {
		expr string
		want bool
	}{
		{"defined #uname", false},
		{"#uname eq node1", false},
		{"#uname ne node1", true},
		{"#kind eq cluster", true},
		{"x ne 1", true},
	} {
		if got := mustExpr(t, tc.expr).Eval(anon); got != tc.want {
			t.Errorf("Eval(%q) without node and attributes = %v, want %v", tc.expr, got, tc.want)
		}
	}
}

// TestRuleCompareVersions checks the version ordering helper directly.
func TestRuleCompareVersions(t *testing.T) {
	tests := []struct {
		a, b string
		want int
	}{
		{"1.2", "1.2.0", 0},
		{"1.2", "1.10", -1},
		{"2", "1.99.99", 1},
		{"15.4-1", "15.4", 0},
		{"007", "7", 0},
		{"1.2.3", "1.2.3", 0},
		{"99999999999999999999999", "1", 1},
	}
	for _, tc := range tests {
		if got := compareVersions(tc.a, tc.b); got != tc.want {
			t.Errorf("compareVersions(%q, %q) = %d, want %d", tc.a, tc.b, got, tc.want)
		}
	}
}

type evalAt struct {
	at   string // RFC 3339
	want bool
}

func checkEvalAt(t *testing.T, expr string, loc *time.Location, cases []evalAt) {
	t.Helper()
	e := mustExpr(t, expr)
	for _, c := range cases {
		at, err := time.Parse(time.RFC3339Nano, c.at)
		if err != nil {
			t.Fatalf("bad test time %q: %v", c.at, err)
		}
		if got := e.Eval(EvalEnv{Now: at, Location: loc}); got != c.want {
			t.Errorf("Eval(%q) at %s in %v = %v, want %v", expr, c.at, loc, got, c.want)
		}
	}
}

// TestRuleEvalDates covers gt, lt and in_range with time zones, DST and
// the one-second resolution.
func TestRuleEvalDates(t *testing.T) {
	berlin, ny := mustLoc(t, "Europe/Berlin"), mustLoc(t, "America/New_York")
	checkEvalAt(t, "date gt 2026-01-01", nil, []evalAt{
		{"2025-12-31T23:59:59Z", false},
		{"2026-01-01T00:00:00Z", false},
		{"2026-01-01T00:00:00.9Z", false}, // rules see whole seconds
		{"2026-01-01T00:00:01Z", true},
	})
	checkEvalAt(t, "date lt 2026-01-01T09:00", berlin, []evalAt{
		{"2026-01-01T07:59:59Z", true}, // 08:59:59 CET
		{"2026-01-01T08:00:00Z", false},
	})
	// An explicit offset ignores the location.
	checkEvalAt(t, "date lt 2026-01-01T09:00:00+01:00", ny, []evalAt{
		{"2026-01-01T07:59:59Z", true},
		{"2026-01-01T08:00:00Z", false},
	})
	checkEvalAt(t, "date lt 2026-07-01T12:00:00Z", berlin, []evalAt{
		{"2026-07-01T11:59:59Z", true},
		{"2026-07-01T12:00:00Z", false},
	})
	// in_range includes both ends.
	checkEvalAt(t, "date in_range 2026-03-01T10:00 to 2026-03-01T12:00", nil, []evalAt{
		{"2026-03-01T09:59:59Z", false},
		{"2026-03-01T10:00:00Z", true},
		{"2026-03-01T12:00:00Z", true},
		{"2026-03-01T12:00:00.999Z", true},
		{"2026-03-01T12:00:01Z", false},
	})
	// A date without a time is midnight, also as the end of a range (as
	// in Pacemaker): the range ends as January 31 begins.
	checkEvalAt(t, "date in_range 2026-01-01 to 2026-01-31", berlin, []evalAt{
		{"2025-12-31T22:59:59Z", false},
		{"2025-12-31T23:00:00Z", true},
		{"2026-01-30T23:00:00Z", true}, // 2026-01-31 00:00:00 CET
		{"2026-01-30T23:00:01Z", false},
	})
	checkEvalAt(t, "date in_range to 2026-01-31T00:00", nil, []evalAt{
		{"1999-01-01T00:00:00Z", true},
		{"2026-01-31T00:00:00Z", true},
		{"2026-01-31T00:00:01Z", false},
	})
	// Calendar days follow the wall clock: the day before the spring
	// change lasts 23 hours.
	checkEvalAt(t, "date in_range 2026-03-28T12:00 to duration days=1", berlin, []evalAt{
		{"2026-03-28T10:59:59Z", false},
		{"2026-03-28T11:00:00Z", true},
		{"2026-03-29T10:00:00Z", true}, // 12:00 CEST
		{"2026-03-29T10:00:01Z", false},
	})
	checkEvalAt(t, "date in_range 2026-03-28T12:00 to duration hours=24", berlin, []evalAt{
		{"2026-03-29T11:00:00Z", true}, // 13:00 CEST
		{"2026-03-29T11:00:01Z", false},
	})
	checkEvalAt(t, "date in_range 2026-01-31 to duration months=1", nil, []evalAt{
		{"2026-02-28T00:00:00Z", true}, // January 31 plus a month is February 28
		{"2026-02-28T00:00:01Z", false},
	})
	checkEvalAt(t, "date in_range 2028-02-29T06:00Z to duration years=1 minutes=30 seconds=5", berlin, []evalAt{
		{"2029-02-28T06:30:05Z", true},
		{"2029-02-28T06:30:06Z", false},
	})
	checkEvalAt(t, "date in_range 2026-01-01 to duration weeks=2 days=1", nil, []evalAt{
		{"2026-01-16T00:00:00Z", true},
		{"2026-01-16T00:00:01Z", false},
	})
	// 02:30 does not exist on 2026-03-29 in Berlin: it means 03:30 CEST.
	checkEvalAt(t, "date gt 2026-03-29T02:30", berlin, []evalAt{
		{"2026-03-29T01:30:00Z", false},
		{"2026-03-29T01:30:01Z", true},
	})
	// 02:30 happens twice on 2026-10-25 in Berlin: the first one counts.
	checkEvalAt(t, "date gt 2026-10-25T02:30", berlin, []evalAt{
		{"2026-10-25T00:30:00Z", false},
		{"2026-10-25T00:30:01Z", true},
	})
	// 01:30 happens twice on 2026-11-01 in New York: the first one (EDT).
	checkEvalAt(t, "date lt 2026-11-01T01:30", ny, []evalAt{
		{"2026-11-01T05:29:59Z", true},
		{"2026-11-01T05:30:00Z", false},
	})
	// 02:30 does not exist on 2026-03-08 in New York: 03:30 EDT.
	checkEvalAt(t, "date lt 2026-03-08T02:30", ny, []evalAt{
		{"2026-03-08T07:29:59Z", true},
		{"2026-03-08T07:30:00Z", false},
	})
}

// TestRuleEvalDateSpec covers date-spec fields, ISO weeks, yeardays and
// time zones.
func TestRuleEvalDateSpec(t *testing.T) {
	berlin, ny := mustLoc(t, "Europe/Berlin"), mustLoc(t, "America/New_York")
	kolkata := mustLoc(t, "Asia/Kolkata")
	checkEvalAt(t, "date-spec hours=9-16 weekdays=1-5", berlin, []evalAt{
		{"2026-11-27T07:59:59Z", false}, // Friday 08:59:59 CET
		{"2026-11-27T08:00:00Z", true},
		{"2026-11-27T15:59:59Z", true}, // 16:59:59
		{"2026-11-27T16:00:00Z", false},
		{"2026-11-28T10:00:00Z", false}, // Saturday
		{"2026-11-29T10:00:00Z", false}, // Sunday
		{"2026-11-30T08:00:00Z", true},  // Monday 09:00
	})
	checkEvalAt(t, "date-spec weekdays=7", nil, []evalAt{
		{"2026-11-29T12:00:00Z", true}, // Sunday is 7
		{"2026-11-30T12:00:00Z", false},
	})
	checkEvalAt(t, "date-spec hours=0", berlin, []evalAt{
		{"2026-06-01T22:30:00Z", true}, // 00:30 CEST
		{"2026-06-01T21:30:00Z", false},
	})
	checkEvalAt(t, "date-spec hours=0", kolkata, []evalAt{
		{"2026-01-01T18:30:00Z", true}, // 00:00 IST (+05:30)
		{"2026-01-01T18:29:59Z", false},
	})
	checkEvalAt(t, "date-spec minutes=0-4 seconds=30-59", nil, []evalAt{
		{"2026-01-01T10:03:45Z", true},
		{"2026-01-01T10:03:15Z", false},
		{"2026-01-01T10:05:45Z", false},
	})
	// ISO weeks: 2026 has 53 weeks; 2027-01-01 (a Friday) is in 2026-W53.
	checkEvalAt(t, "date-spec weeks=53 weekyears=2026", nil, []evalAt{
		{"2027-01-01T12:00:00Z", true},
		{"2026-12-27T12:00:00Z", false}, // Sunday of W52
		{"2026-12-28T00:00:00Z", true},  // Monday of W53
		{"2027-01-03T23:59:59Z", true},
		{"2027-01-04T00:00:00Z", false},
	})
	checkEvalAt(t, "date-spec years=2027 weeks=53", nil, []evalAt{
		{"2027-01-01T12:00:00Z", true},
		{"2026-12-31T12:00:00Z", false},
	})
	checkEvalAt(t, "date-spec weeks=1 weekyears=2027", nil, []evalAt{
		{"2027-01-03T12:00:00Z", false},
		{"2027-01-04T12:00:00Z", true},
	})
	checkEvalAt(t, "date-spec weeks=1", nil, []evalAt{
		{"2025-12-29T12:00:00Z", true}, // 2026-W01 starts in December 2025
		{"2025-12-28T12:00:00Z", false},
	})
	checkEvalAt(t, "date-spec yeardays=60", nil, []evalAt{
		{"2028-02-29T12:00:00Z", true}, // leap year
		{"2027-03-01T12:00:00Z", true},
		{"2028-03-01T12:00:00Z", false},
	})
	checkEvalAt(t, "date-spec yeardays=366", nil, []evalAt{
		{"2028-12-31T12:00:00Z", true},
		{"2026-12-31T12:00:00Z", false},
	})
	checkEvalAt(t, "date-spec monthdays=31 months=12 years=2026", berlin, []evalAt{
		{"2026-12-30T23:00:00Z", true}, // 00:00 CET on the 31st
		{"2026-12-31T22:59:59Z", true},
		{"2026-12-31T23:00:00Z", false},
	})
	// Spring forward in Berlin: 02:xx does not exist on 2026-03-29.
	checkEvalAt(t, "date-spec hours=2", berlin, []evalAt{
		{"2026-03-29T00:59:59Z", false}, // 01:59:59 CET
		{"2026-03-29T01:00:00Z", false}, // 03:00 CEST
		{"2026-03-30T00:00:00Z", true},  // 02:00 CEST next day
	})
	// Fall back in Berlin: 02:xx happens twice on 2026-10-25.
	checkEvalAt(t, "date-spec hours=2", berlin, []evalAt{
		{"2026-10-25T00:30:00Z", true}, // 02:30 CEST
		{"2026-10-25T01:30:00Z", true}, // 02:30 CET
		{"2026-10-25T02:00:00Z", false},
	})
	checkEvalAt(t, "date-spec hours=1", ny, []evalAt{
		{"2026-11-01T05:30:00Z", true}, // 01:30 EDT
		{"2026-11-01T06:30:00Z", true}, // 01:30 EST
		{"2026-11-01T07:00:00Z", false},
	})
}
