package policy

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"math/rand/v2"

	"pgregory.net/rapid"
)

// Property tests of NextChange: an independent brute-force scan (every
// second, or every minute when no field or date needs seconds) finds the
// first instant at which Eval changes; NextChange must return exactly that
// instant, or something beyond the scanned horizon. Beyond the horizon,
// random samples check that Eval is constant up to the answer and differs
// at it. Answers NextChange marks as conservative (work budget exhausted)
// must be no later than the change and have Eval unchanged.

var propZones = []string{"UTC", "Europe/Berlin", "America/New_York", "Asia/Kolkata", "Australia/Lord_Howe", "America/Sao_Paulo"}

// The generators below draw their structure from a math/rand source seeded
// by rapid: rapid's own integer draws favour small values, which would
// make nearly every date-spec use every field and never match.

// genSpecField draws a range for date-spec field f, mostly narrow so that
// matches come and go within the scanned horizon.
func genSpecField(r *rand.Rand, f int) string {
	lo, hi := specMin[f], specMax[f]
	if f == fYears || f == fWeekyears {
		lo, hi = 2023, 2033
	}
	a := lo + r.IntN(hi-lo+1)
	b := min(a+r.IntN(max(1, (hi-lo)/2)), hi)
	if a == b {
		return fmt.Sprintf("%s=%d", specNames[f], a)
	}
	return fmt.Sprintf("%s=%d-%d", specNames[f], a, b)
}

// genSpec draws a date-spec term; fine reports whether it constrains
// seconds (so the brute force must scan every second). Half of the time
// the hours start at the local hour of near, so that the term changes
// close to that instant (a time-zone transition, say).
func genSpec(r *rand.Rand, near time.Time, loc *time.Location) (term string, fine bool) {
	var parts []string
	for f := range numSpecFields {
		// Time fields are common, calendar fields rarer.
		p := 0.4
		if f >= fWeekdays {
			p = 0.2
		}
		if f == fHours && r.IntN(2) == 0 {
			lo := near.In(loc).Hour()
			parts = append(parts, fmt.Sprintf("hours=%d-%d", lo, min(23, lo+r.IntN(3))))
			continue
		}
		if r.Float64() < p {
			parts = append(parts, genSpecField(r, f))
			fine = fine || f == fSeconds
		}
	}
	if len(parts) == 0 {
		parts = append(parts, genSpecField(r, fHours))
	}
	return "date-spec " + strings.Join(parts, " "), fine
}

// genNow draws an instant in 2024-2031, often right around a time-zone
// transition of loc, sometimes with a fraction of a second. near is the
// instant genSpec should aim its hours at: the last second before that
// transition, or now.
func genNow(r *rand.Rand, loc *time.Location) (now, near time.Time) {
	base := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC).Unix()
	now = time.Unix(base+r.Int64N(8*365*86400), 0).In(loc)
	near = now
	if r.IntN(3) != 0 {
		if _, end := now.ZoneBounds(); !end.IsZero() {
			now = end.Add(time.Duration(r.Int64N(4*3600)-2*3600) * time.Second)
			near = end.Add(-time.Second)
		}
	}
	if r.IntN(2) == 0 {
		now = now.Add(time.Duration(r.Int64N(1000)) * time.Millisecond)
	}
	return now, near
}

// nearChange moves now, half of the time, to shortly before or after the
// next change of e, so that the checks start inside matching windows and
// at their edges as often as outside them.
func nearChange(r *rand.Rand, e *Expr, env EvalEnv) EvalEnv {
	if r.IntN(2) == 0 {
		return env
	}
	if c, ok := e.NextChange(env); ok {
		env.Now = c.Add(time.Duration(r.Int64N(3600)-3) * time.Second)
	}
	return env
}

func checkNextChange(t *rapid.T, r *rand.Rand, e *Expr, env EvalEnv, fine bool) {
	start := e.Eval(env)
	next, ok, exact := e.nextChangeExact(env)
	if ok && !next.After(env.Now) {
		t.Fatalf("NextChange(%q) at %v = %v, want after now", e, env.Now, next)
	}
	// Brute force: changes can only happen on whole seconds, and on whole
	// minutes when nothing needs seconds (all zone offsets used here are
	// whole minutes).
	step, horizon := time.Minute, 9*24*time.Hour
	if fine {
		step, horizon = time.Second, 8*time.Hour
	}
	at := env
	first := env.Now.Truncate(step).Add(step)
	var want time.Time
	for x := first; !x.After(env.Now.Add(horizon)); x = x.Add(step) {
		at.Now = x
		if e.Eval(at) != start {
			want = x
			break
		}
	}
	if !want.IsZero() {
		if !exact && ok && !next.After(want) {
			return // conservative and not too late
		}
		if !ok || !next.Equal(want) {
			t.Fatalf("NextChange(%q) at %v in %v = %v (%v), want %v (brute force)", e, env.Now, env.Location, next, ok, want)
		}
		return
	}
	if !ok {
		return
	}
	if !next.After(env.Now.Add(horizon)) {
		t.Fatalf("NextChange(%q) at %v in %v = %v, but Eval does not change before %v", e, env.Now, env.Location, next, env.Now.Add(horizon))
	}
	// Beyond the horizon: sample.
	span := next.Unix() - env.Now.Unix()
	for range 20 {
		at.Now = env.Now.Add(time.Duration(r.Int64N(span)) * time.Second)
		if at.Now.Before(next) && e.Eval(at) != start {
			t.Fatalf("Eval(%q) at %v = %v, differs from now (%v) before NextChange %v", e, at.Now, !start, env.Now, next)
		}
	}
	at.Now = next.Add(-time.Second)
	if next.Add(-time.Second).After(env.Now) && e.Eval(at) != start {
		t.Fatalf("Eval(%q) one second before NextChange %v differs from now (%v)", e, next, env.Now)
	}
	at.Now = next
	if exact && e.Eval(at) == start {
		t.Fatalf("Eval(%q) at NextChange %v = %v, same as at %v: not exact", e, next, start, env.Now)
	}
}

// TestRuleNextChangeDateSpecProp checks NextChange of single random
// date-spec terms in several time zones.
func TestRuleNextChangeDateSpecProp(t *testing.T) {
	locs := map[string]*time.Location{}
	for _, z := range propZones {
		locs[z] = mustLoc(t, z)
	}
	rapid.Check(t, func(t *rapid.T) {
		r := rand.New(rand.NewPCG(rapid.Uint64().Draw(t, "seed"), 0))
		loc := locs[propZones[r.IntN(len(propZones))]]
		now, near := genNow(r, loc)
		term, fine := genSpec(r, near, loc)
		e, err := ParseExpr(term)
		if err != nil {
			if strings.Contains(err.Error(), "can never match") {
				return
			}
			t.Fatalf("ParseExpr(%q): %v", term, err)
		}
		checkNextChange(t, r, e, nearChange(r, e, EvalEnv{Now: now, Location: loc}), fine)
	})
}

// TestRuleNextChangeExprProp checks NextChange of random combinations of
// date terms (date-spec, gt, lt, in_range) with and, or and not.
func TestRuleNextChangeExprProp(t *testing.T) {
	locs := map[string]*time.Location{}
	for _, z := range propZones {
		locs[z] = mustLoc(t, z)
	}
	rapid.Check(t, func(t *rapid.T) {
		r := rand.New(rand.NewPCG(rapid.Uint64().Draw(t, "seed"), 0))
		loc := locs[propZones[r.IntN(len(propZones))]]
		now, near := genNow(r, loc)
		fine := false
		// date draws a DATE near now, written without offset (in loc),
		// as UTC or with a fixed offset.
		date := func() string {
			x := now.Add(time.Duration(r.Int64N(10*3600)-4*3600) * time.Second)
			switch r.IntN(3) {
			case 0:
				return x.In(loc).Format("2006-01-02T15:04:05")
			case 1:
				return x.UTC().Format("2006-01-02T15:04:05Z")
			}
			return x.In(time.FixedZone("", 5*3600+30*60)).Format("2006-01-02T15:04:05-07:00")
		}
		n := 1 + r.IntN(3)
		var terms []string
		for range n {
			var term string
			switch r.IntN(5) {
			case 0, 1:
				var f bool
				term, f = genSpec(r, near, loc)
				fine = fine || f
			case 2:
				term, fine = "date gt "+date(), true
			case 3:
				term, fine = "date lt "+date(), true
			default:
				a, b := date(), date()
				if a > b && a[len(a)-1] != 'Z' && b[len(b)-1] != 'Z' && len(a) == len(b) {
					a, b = b, a
				}
				term, fine = "date in_range "+a+" to "+b, true
			}
			if r.IntN(3) == 0 {
				term = "not " + term
			}
			terms = append(terms, term)
		}
		conn := [2]string{" and ", " or "}[r.IntN(2)]
		src := strings.Join(terms, conn)
		e, err := ParseExpr(src)
		if err != nil {
			if strings.Contains(err.Error(), "can never match") || strings.Contains(err.Error(), "before it starts") {
				return
			}
			t.Fatalf("ParseExpr(%q): %v", src, err)
		}
		checkNextChange(t, r, e, nearChange(r, e, EvalEnv{Now: now, Location: loc}), fine)
	})
}
