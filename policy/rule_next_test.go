package policy

import (
	"strings"
	"testing"
	"time"
)

// TestRuleNextChange checks NextChange against hand-computed instants.
func TestRuleNextChange(t *testing.T) {
	berlin, ny := mustLoc(t, "Europe/Berlin"), mustLoc(t, "America/New_York")
	tests := []struct {
		expr  string
		loc   *time.Location
		attrs map[string]string
		now   string
		want  string // "" means no change
	}{
		// Office hours: Friday 17:00 -> Monday 09:00 local.
		{"date-spec hours=9-16 weekdays=1-5", berlin, nil, "2026-11-27T16:00:00Z", "2026-11-30T08:00:00Z"},
		{"date-spec hours=9-16 weekdays=1-5", berlin, nil, "2026-11-27T15:59:59.5Z", "2026-11-27T16:00:00Z"},
		{"date-spec hours=9-16 weekdays=1-5", berlin, nil, "2026-11-27T15:00:00Z", "2026-11-27T16:00:00Z"},
		{"not date-spec hours=9-16 weekdays=1-5", berlin, nil, "2026-11-27T16:00:00Z", "2026-11-30T08:00:00Z"},
		// Across the spring change in Berlin: 09:00 CEST is 07:00Z.
		{"date-spec hours=9-16", berlin, nil, "2026-03-28T16:00:00Z", "2026-03-29T07:00:00Z"},
		// Across the autumn change in New York: 09:00 EST is 14:00Z.
		{"date-spec hours=9-16", ny, nil, "2026-10-31T21:00:00Z", "2026-11-01T14:00:00Z"},
		// 02:xx does not exist on 2026-03-29 in Berlin: next is 03-30 02:00 CEST.
		{"date-spec hours=2", berlin, nil, "2026-03-28T11:00:00Z", "2026-03-30T00:00:00Z"},
		// 01:00-02:59 on the spring day ends at the jump to 03:00 CEST.
		{"date-spec hours=1-2", berlin, nil, "2026-03-29T00:30:00Z", "2026-03-29T01:00:00Z"},
		// Fall back: 02:xx twice; the match lasts until 03:00 CET.
		{"date-spec hours=2", berlin, nil, "2026-10-25T00:30:00Z", "2026-10-25T02:00:00Z"},
		// At 02:30 CEST the clock will show 02:00 again an hour later.
		{"date-spec hours=2 minutes=0-10", berlin, nil, "2026-10-25T00:30:00Z", "2026-10-25T01:00:00Z"},
		{"date-spec hours=2 minutes=0-10", berlin, nil, "2026-10-25T01:05:00Z", "2026-10-25T01:11:00Z"},
		// Calendar fields.
		{"date-spec monthdays=29 months=2", nil, nil, "2026-03-01T00:00:00Z", "2028-02-29T00:00:00Z"},
		{"date-spec monthdays=29 months=2", nil, nil, "2028-02-29T10:00:00Z", "2028-03-01T00:00:00Z"},
		{"date-spec weekdays=1 monthdays=13", nil, nil, "2026-01-01T00:00:00Z", "2026-04-13T00:00:00Z"},
		{"date-spec weeks=53", nil, nil, "2026-06-01T00:00:00Z", "2026-12-28T00:00:00Z"},
		{"date-spec weeks=53", nil, nil, "2026-12-30T00:00:00Z", "2027-01-04T00:00:00Z"},
		{"date-spec yeardays=366", nil, nil, "2026-01-01T00:00:00Z", "2028-12-31T00:00:00Z"},
		{"date-spec years=2030", berlin, nil, "2026-06-01T00:00:00Z", "2029-12-31T23:00:00Z"},
		{"date-spec years=2020", berlin, nil, "2026-06-01T00:00:00Z", ""},
		{"date-spec years=2026", berlin, nil, "2026-06-01T00:00:00Z", "2026-12-31T23:00:00Z"},
		{"date-spec seconds=30-59", nil, nil, "2026-06-01T00:00:10Z", "2026-06-01T00:00:30Z"},
		{"date-spec seconds=30-59", nil, nil, "2026-06-01T00:00:40Z", "2026-06-01T00:01:00Z"},
		{"date-spec hours=0-23", nil, nil, "2026-06-01T00:00:40Z", ""},
		// gt, lt, in_range.
		{"date gt 2026-01-01T00:00:00Z", nil, nil, "2025-12-31T12:00:00Z", "2026-01-01T00:00:01Z"},
		{"date gt 2026-01-01T00:00:00Z", nil, nil, "2026-01-01T00:00:01Z", ""},
		{"date lt 2026-01-01T00:00:00Z", nil, nil, "2025-12-31T12:00:00Z", "2026-01-01T00:00:00Z"},
		{"date lt 2026-01-01T00:00:00Z", nil, nil, "2026-01-01T00:00:00Z", ""},
		{"date in_range 2026-01-01T00:00Z to 2026-01-02T00:00Z", nil, nil, "2025-12-01T00:00:00Z", "2026-01-01T00:00:00Z"},
		{"date in_range 2026-01-01T00:00Z to 2026-01-02T00:00Z", nil, nil, "2026-01-01T12:00:00Z", "2026-01-02T00:00:01Z"},
		{"date in_range 2026-01-01T00:00Z to 2026-01-02T00:00Z", nil, nil, "2026-01-02T00:00:01Z", ""},
		{"date in_range 2026-01-01 to 2026-01-02", berlin, nil, "2026-01-01T12:00:00Z", "2026-01-01T23:00:01Z"},
		{"date in_range 2026-03-28T12:00 to duration days=1", berlin, nil, "2026-03-28T12:00:00Z", "2026-03-29T10:00:01Z"},
		// Attribute terms are constant; the rule never changes when they
		// decide it.
		{"a eq 1", nil, nil, "2026-01-01T00:00:00Z", ""},
		{"a eq 1 and date-spec hours=9", nil, nil, "2026-01-01T00:00:00Z", ""},
		{"a eq 1 and date-spec hours=9", nil, map[string]string{"a": "1"}, "2026-01-01T00:00:00Z", "2026-01-01T09:00:00Z"},
		{"a eq 1 or date-spec hours=9", nil, map[string]string{"a": "1"}, "2026-01-01T00:00:00Z", ""},
		{"date lt 2020-01-01 and date-spec hours=9", nil, nil, "2026-01-01T00:00:00Z", ""},
		// Changes of one term that do not change the whole are skipped.
		{"date-spec hours=9-16 and date in_range 2026-12-24 to 2026-12-26", berlin, nil, "2026-12-01T12:00:00Z", "2026-12-24T08:00:00Z"},
		{"date-spec hours=9-16 or date-spec hours=12-20", nil, nil, "2026-12-01T10:00:00Z", "2026-12-01T21:00:00Z"},
		// Date-specs under one "and" are intersected: never true together.
		{"date-spec hours=9-16 and date-spec hours=17-20", nil, nil, "2026-12-01T10:00:00Z", ""},
		{"date-spec hours=9-16 and a eq 1 and date-spec weekdays=6", nil, map[string]string{"a": "1"}, "2026-12-01T10:00:00Z", "2026-12-05T09:00:00Z"},
		{"date-spec monthdays=31 and date-spec months=2", nil, nil, "2026-12-01T10:00:00Z", ""},
	}
	for _, tc := range tests {
		e := mustExpr(t, tc.expr)
		now, err := time.Parse(time.RFC3339Nano, tc.now)
		if err != nil {
			t.Fatal(err)
		}
		env := EvalEnv{Now: now, Location: tc.loc, Attrs: tc.attrs}
		got, ok := e.NextChange(env)
		gotS := ""
		if ok {
			gotS = got.UTC().Format(time.RFC3339)
		}
		if gotS != tc.want {
			t.Errorf("NextChange(%q) at %s in %v = %q, want %q", tc.expr, tc.now, tc.loc, gotS, tc.want)
			continue
		}
		if ok {
			before := e.Eval(env)
			env.Now = got
			if e.Eval(env) == before {
				t.Errorf("Eval(%q) at NextChange %s = %v, same as at %s", tc.expr, gotS, before, tc.now)
			}
		}
	}
}

// TestRuleNextChangeConservative checks rules that are never true but
// which only a search of all time would prove: NextChange gives up after
// its work budget with an early answer, which is allowed, but one at least
// an hour away (no busy polling), at which the rule has not changed.
func TestRuleNextChangeConservative(t *testing.T) {
	patho := "(date-spec hours=9-16 and not date-spec hours=8-17)"
	for _, s := range []string{
		"date-spec hours=9-16 and not date-spec hours=8-17",
		patho + " or (date-spec minutes=1 and not date-spec minutes=0-30)",
		strings.Repeat(patho+" or ", 60) + patho,
		"date-spec seconds=0-29 and not date-spec seconds=0-30",
		strings.Repeat("not date-spec seconds=0-29 and ", 100) + "date-spec seconds=0-29",
	} {
		e := mustExpr(t, s)
		now := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
		got, ok, exact := e.nextChangeExact(EvalEnv{Now: now})
		if !ok || exact || got.Before(now.Add(time.Hour)) {
			t.Errorf("nextChangeExact(%.60q) at %v = %v, %v, exact %v; want a conservative instant at least an hour later", s, now, got, ok, exact)
		}
		if e.Eval(EvalEnv{Now: got}) {
			t.Errorf("Eval(%.60q) at %v = true, want false", s, got)
		}
	}
}

// BenchmarkRuleNextChange measures NextChange of office hours at a random
// instant of the week.
func BenchmarkRuleNextChange(b *testing.B) {
	berlin := mustLoc(b, "Europe/Berlin")
	e := mustExpr(b, "date-spec hours=9-16 weekdays=1-5 and not date in_range 2026-12-24 to 2026-12-26")
	start := time.Date(2026, 11, 1, 0, 0, 0, 0, berlin)
	b.ResetTimer()
	for i := range b.N {
		now := start.Add(time.Duration(i%10000) * 37 * time.Minute)
		if _, ok := e.NextChange(EvalEnv{Now: now, Location: berlin}); !ok {
			b.Fatal("no change")
		}
	}
}

// BenchmarkRuleNextChangeRare measures a date-spec that matches once
// every several years (Monday February 29th).
func BenchmarkRuleNextChangeRare(b *testing.B) {
	ny := mustLoc(b, "America/New_York")
	e := mustExpr(b, "date-spec monthdays=29 months=2 weekdays=1")
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, ny)
	for range b.N {
		if _, ok := e.NextChange(EvalEnv{Now: now, Location: ny}); !ok {
			b.Fatal("no change")
		}
	}
}

// BenchmarkRuleParse measures parsing a typical rule.
func BenchmarkRuleParse(b *testing.B) {
	const s = "site eq east and #uname ne node3 and (date-spec hours=9-16 weekdays=1-5 or date in_range 2026-12-24 to duration days=3)"
	for range b.N {
		if _, err := ParseExpr(s); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkRuleEval measures evaluating a typical rule.
func BenchmarkRuleEval(b *testing.B) {
	e := mustExpr(b, "site eq east and #uname ne node3 and (date-spec hours=9-16 weekdays=1-5 or date in_range 2026-12-24 to duration days=3)")
	env := EvalEnv{Node: "node1", Attrs: map[string]string{"site": "east"}, Now: time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)}
	for range b.N {
		e.Eval(env)
	}
}
