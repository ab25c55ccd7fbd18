package policy

import (
	"math/rand/v2"
	"testing"
	"time"

	"pgregory.net/rapid"
)

// randomDateSpec draws a date-spec with only calendar fields, from r.
func randomDateSpec(r *rand.Rand) *dateSpec {
	s := &dateSpec{}
	for _, f := range dateFields {
		if r.IntN(3) != 0 {
			continue
		}
		lo, hi := specMin[f], specMax[f]
		if f == fYears || f == fWeekyears {
			lo, hi = 2020, 2035
		}
		a := lo + r.IntN(hi-lo+1)
		b := min(hi, a+r.IntN(max(1, (hi-lo)/2)))
		s.r[f] = specRange{set: true, lo: a, hi: b}
	}
	return s
}

// TestRuleSpecEventProp checks that event never overshoots: no field
// changes truth strictly between a day and the day event points to.
func TestRuleSpecEventProp(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		r := rand.New(rand.NewPCG(rapid.Uint64().Draw(t, "seed"), 0))
		s := randomDateSpec(r)
		d := dayNum(time.Date(2019, 1, 1, 0, 0, 0, 0, time.UTC)) + r.Int64N(20*366)
		for _, f := range dateFields {
			if !s.r[f].set {
				continue
			}
			ev := s.event(f, d)
			if ev < 1 {
				t.Fatalf("event(%s=%d-%d, %v) = %d, want >= 1", specNames[f], s.r[f].lo, s.r[f].hi, fromDay(d), ev)
			}
			here := s.fieldHas(f, d)
			for x := d + 1; x < d+min(ev, 800); x++ {
				if s.fieldHas(f, x) != here {
					t.Fatalf("event(%s=%d-%d, %v) = %d days, but the field changes on %v", specNames[f], s.r[f].lo, s.r[f].hi, fromDay(d), ev, fromDay(x))
				}
			}
		}
	})
}

// TestRuleSpecNextDateProp checks nextDate against a day-by-day scan.
func TestRuleSpecNextDateProp(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		r := rand.New(rand.NewPCG(rapid.Uint64().Draw(t, "seed"), 0))
		s := randomDateSpec(r)
		d := dayNum(time.Date(2019, 1, 1, 0, 0, 0, 0, time.UTC)) + r.Int64N(20*366)
		for _, want := range []bool{true, false} {
			got, ok := s.nextDate(d, want)
			const horizon = 4 * 366
			for x := d + 1; x <= d+horizon; x++ {
				if s.dateMatch(x) == want {
					if !ok || got != x {
						t.Fatalf("nextDate(%q, %v, %v) = %v, %v; want %v", s, fromDay(d), want, fromDay(got), ok, fromDay(x))
					}
					return
				}
			}
			if ok && got <= d+horizon {
				t.Fatalf("nextDate(%q, %v, %v) = %v, but no day until %v is", s, fromDay(d), want, fromDay(got), fromDay(d+horizon))
			}
		}
	})
}

// TestRuleSpecPossible checks possible against a scan of 400 years.
func TestRuleSpecPossible(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		r := rand.New(rand.NewPCG(rapid.Uint64().Draw(t, "seed"), 0))
		s := randomDateSpec(r)
		// Narrow ranges make impossible combinations likely.
		for _, f := range dateFields {
			if s.r[f].set && r.IntN(2) == 0 {
				s.r[f].hi = s.r[f].lo
			}
		}
		want := false
		start := dayNum(time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC))
		for x := start; x < start+146097 && !want; x++ {
			want = s.dateMatch(x)
		}
		if got := s.possible(); got != want {
			t.Fatalf("possible(%q) = %v, want %v", s, got, want)
		}
	})
}
