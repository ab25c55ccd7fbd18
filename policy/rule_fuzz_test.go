package policy

import (
	"testing"
	"time"
)

// FuzzParseExpr checks that ParseExpr never panics, that whatever it
// accepts prints to a canonical form that parses back to the same form,
// and that evaluating it and computing its next change do not panic and
// keep their promises.
func FuzzParseExpr(f *testing.F) {
	for _, s := range []string{
		"site eq east",
		"#uname eq node1 and (weight gt 5 or not defined ssd)",
		"x eq string \"and\" or x == 'my dc'",
		"kernel gte version 6.1.0 and ratio lt number 1.5 and n gt integer -3",
		"date-spec hours=9-16 weekdays=1-5",
		"date-spec weeks=53 weekyears=2026 yeardays=1-366 monthdays=1-31 months=1-12 seconds=0-59 minutes=0-59",
		"date in_range 2026-01-01 to duration years=1 months=2 weeks=3 days=4 hours=5 minutes=6 seconds=7",
		"date in_range to 2026-01-31T09:00:00+01:00 or date gt 2026-01-01T00:00:00Z or date lt '2026-01-01 09:00'",
		"not (date-spec hours=9-16 and date-spec hours=12-20) and not not a ne 1",
		"date-spec monthdays=29 months=2 weekdays=1",
		"((((a eq 1))))",
		"a eq 1 and b eq 2 or c eq 3",
		"date-spec monthdays=31 months=2",
		"x eq \"\\\"\\\\\"",
	} {
		f.Add(s)
	}
	start := time.Date(2026, 11, 26, 12, 34, 56, 0, time.UTC)
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, s string) {
		e, err := ParseExpr(s)
		if err != nil {
			if _, ok := err.(*ParseError); !ok {
				t.Fatalf("ParseExpr(%q) error %T, want *ParseError", s, err)
			}
			return
		}
		c := e.String()
		e2, err := ParseExpr(c)
		if err != nil {
			t.Fatalf("ParseExpr(%q) (canonical form of %q) error %v", c, s, err)
		}
		if c2 := e2.String(); c2 != c {
			t.Fatalf("canonical form of %q is %q, which prints as %q", s, c, c2)
		}
		for _, loc := range []*time.Location{time.UTC, berlin} {
			env := EvalEnv{Node: "n1", Attrs: map[string]string{"a": "1", "x": "y"}, Now: start, Location: loc}
			before := e.Eval(env)
			next, ok := e.NextChange(env)
			if !ok {
				continue
			}
			if !next.After(start) {
				t.Fatalf("NextChange(%q) in %v = %v, want after %v", c, loc, next, start)
			}
			env.Now = next.Add(-time.Second)
			if next.Add(-time.Second).After(start) && e.Eval(env) != before {
				t.Fatalf("Eval(%q) in %v changes before NextChange %v", c, loc, next)
			}
		}
	})
}
