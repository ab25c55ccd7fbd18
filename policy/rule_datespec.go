package policy

import (
	"fmt"
	"strings"
	"time"
)

// This file holds date-spec terms ("date-spec hours=9-16 weekdays=1-5"):
// matching a wall-clock time and finding the next wall-clock time at which
// the match starts or ends. rule_next.go maps wall-clock times to instants
// across time-zone transitions.

// Date-spec fields, in canonical (printing) order.
const (
	fHours = iota
	fMinutes
	fSeconds
	fWeekdays
	fMonthdays
	fYeardays
	fWeeks
	fMonths
	fYears
	fWeekyears
	numSpecFields
)

var specNames = [numSpecFields]string{"hours", "minutes", "seconds", "weekdays", "monthdays", "yeardays", "weeks", "months", "years", "weekyears"}

// specMin and specMax are the values each field can take.
var (
	specMin = [numSpecFields]int{0, 0, 0, 1, 1, 1, 1, 1, 1, 1}
	specMax = [numSpecFields]int{23, 59, 59, 7, 31, 366, 53, 12, 9999, 9999}
)

// specRange is an inclusive range of one date-spec field.
type specRange struct {
	set    bool
	lo, hi int
}

func (r specRange) has(v int) bool { return !r.set || (v >= r.lo && v <= r.hi) }

// active reports whether field f's range excludes some value (a range
// such as monthdays=1-31 is written but constrains nothing).
func (s *dateSpec) active(f int) bool {
	r := s.r[f]
	return r.set && (r.lo > specMin[f] || r.hi < specMax[f])
}

// dateSpec is a date-spec term: every given field must be inside its range.
type dateSpec struct {
	r [numSpecFields]specRange
}

// String prints the fields in canonical order: "hours=9-16 weekdays=1-5".
func (s *dateSpec) String() string {
	var parts []string
	for f := range numSpecFields {
		r := s.r[f]
		if !r.set {
			continue
		}
		if r.lo == r.hi {
			parts = append(parts, fmt.Sprintf("%s=%d", specNames[f], r.lo))
		} else {
			parts = append(parts, fmt.Sprintf("%s=%d-%d", specNames[f], r.lo, r.hi))
		}
	}
	return strings.Join(parts, " ")
}

// noDay stands for "no such day" in day-distance computations.
const noDay = int64(1) << 40

// dayNum returns the day number (days since 1970-01-01) of the naive
// time t; fromDay is its inverse (midnight).
func dayNum(t time.Time) int64 {
	u := t.Unix()
	if u < 0 {
		return (u - 86399) / 86400
	}
	return u / 86400
}

// floorMod returns a mod m in [0, m).
func floorMod(a, m int64) int64 { return ((a % m) + m) % m }

func fromDay(n int64) time.Time { return time.Unix(n*86400, 0).UTC() }

// isoWeekday returns 1 for Monday through 7 for Sunday.
func isoWeekday(t time.Time) int {
	wd := int(t.Weekday())
	if wd == 0 {
		return 7
	}
	return wd
}

// isoYearStart returns the day number of the Monday of ISO week 1 of y.
func isoYearStart(y int) int64 {
	jan4 := time.Date(y, 1, 4, 0, 0, 0, 0, time.UTC)
	return dayNum(jan4) - int64(isoWeekday(jan4)-1)
}

// isoWeeksIn returns the number of ISO weeks (52 or 53) of ISO year y.
func isoWeeksIn(y int) int {
	_, w := time.Date(y, 12, 28, 0, 0, 0, 0, time.UTC).ISOWeek()
	return w
}

// dateMatch reports whether the date fields of s match day d.
func (s *dateSpec) dateMatch(d int64) bool {
	t := fromDay(d)
	r := &s.r
	if !r[fYears].has(t.Year()) || !r[fMonths].has(int(t.Month())) || !r[fMonthdays].has(t.Day()) ||
		!r[fYeardays].has(t.YearDay()) || !r[fWeekdays].has(isoWeekday(t)) {
		return false
	}
	if r[fWeeks].set || r[fWeekyears].set {
		wy, w := t.ISOWeek()
		return r[fWeeks].has(w) && r[fWeekyears].has(wy)
	}
	return true
}

// timeMatch reports whether the time fields of s match a time of day.
func (s *dateSpec) timeMatch(sec int) bool {
	return s.r[fHours].has(sec/3600) && s.r[fMinutes].has(sec/60%60) && s.r[fSeconds].has(sec%60)
}

// match reports whether s matches the naive wall-clock time w.
func (s *dateSpec) match(w time.Time) bool {
	return s.timeMatch(w.Hour()*3600+w.Minute()*60+w.Second()) && s.dateMatch(dayNum(w))
}

// event returns how many days (at least 1) after day d field f's value
// may next enter or leave its range, or noDay if it never does. Values
// only change truth when they reach lo, hi+1 or wrap to the cycle start.
func (s *dateSpec) event(f int, d int64) int64 {
	r := s.r[f]
	t := fromDay(d)
	// within returns the distance to the first target value after v
	// within a cycle of n values, else the distance to the next cycle.
	within := func(v, n int, step int64, toNext int64) int64 {
		best := toNext
		for _, x := range [2]int{r.lo, r.hi + 1} {
			if x > v && x <= n {
				best = min(best, int64(x-v)*step)
			}
		}
		return best
	}
	switch f {
	case fWeekdays:
		v := isoWeekday(t)
		best := int64(8 - v) // next Monday
		return within(v, 7, 1, best)
	case fMonthdays:
		n := daysIn(t.Year(), int(t.Month()))
		return within(t.Day(), n, 1, int64(n-t.Day()+1))
	case fYeardays:
		n := 365
		if daysIn(t.Year(), 2) == 29 {
			n = 366
		}
		return within(t.YearDay(), n, 1, int64(n-t.YearDay()+1))
	case fMonths:
		v := int(t.Month())
		best := dayNum(time.Date(t.Year()+1, 1, 1, 0, 0, 0, 0, time.UTC)) - d
		for _, x := range [2]int{r.lo, r.hi + 1} {
			if x > v && x <= 12 {
				best = min(best, dayNum(time.Date(t.Year(), time.Month(x), 1, 0, 0, 0, 0, time.UTC))-d)
			}
		}
		return best
	case fWeeks:
		wy, v := t.ISOWeek()
		n := isoWeeksIn(wy)
		toMonday := int64(8 - isoWeekday(t))
		best := int64(n-v)*7 + toMonday
		for _, x := range [2]int{r.lo, r.hi + 1} {
			if x > v && x <= n {
				best = min(best, int64(x-v-1)*7+toMonday)
			}
		}
		return best
	case fYears:
		y := t.Year()
		switch {
		case y < r.lo:
			return dayNum(time.Date(r.lo, 1, 1, 0, 0, 0, 0, time.UTC)) - d
		case y <= r.hi:
			return dayNum(time.Date(r.hi+1, 1, 1, 0, 0, 0, 0, time.UTC)) - d
		}
		return noDay
	case fWeekyears:
		wy, _ := t.ISOWeek()
		switch {
		case wy < r.lo:
			return isoYearStart(r.lo) - d
		case wy <= r.hi:
			return isoYearStart(r.hi+1) - d
		}
		return noDay
	}
	return noDay
}

// dateFields are the fields dateMatch looks at.
var dateFields = [...]int{fYears, fMonths, fMonthdays, fYeardays, fWeekdays, fWeeks, fWeekyears}

// searchLimit returns the last day worth searching from day d: the date
// fields repeat every 400 years (146097 days, a whole number of weeks), so
// nothing new can happen later than 400 years after the point where the
// years and weekyears ranges start to allow matches.
func (s *dateSpec) searchLimit(d int64) int64 {
	from := d
	if r := s.r[fYears]; r.set {
		from = max(from, dayNum(time.Date(r.lo, 1, 1, 0, 0, 0, 0, time.UTC)))
	}
	if r := s.r[fWeekyears]; r.set {
		from = max(from, isoYearStart(r.lo))
	}
	return from + 146097 + 7
}

// nextDate returns the first day after d on which dateMatch is want, and
// false if there is none.
func (s *dateSpec) nextDate(d int64, want bool) (int64, bool) {
	limit := s.searchLimit(d)
	cur := d + 1
	for cur <= limit {
		if s.dateMatch(cur) == want {
			return cur, true
		}
		var jump int64
		if want {
			// Every field that is out of range must come back in: wait
			// for the one that takes longest.
			for _, f := range dateFields {
				if s.active(f) && !s.fieldHas(f, cur) {
					jump = max(jump, s.event(f, cur))
				}
			}
		} else {
			// All fields are in range; the first one to leave ends it.
			jump = noDay
			for _, f := range dateFields {
				if s.active(f) {
					jump = min(jump, s.event(f, cur))
				}
			}
		}
		if jump >= noDay {
			return 0, false
		}
		cur += max(jump, 1)
	}
	return 0, false
}

// fieldHas reports whether date field f of day d is inside its range.
func (s *dateSpec) fieldHas(f int, d int64) bool {
	t := fromDay(d)
	var v int
	switch f {
	case fYears:
		v = t.Year()
	case fMonths:
		v = int(t.Month())
	case fMonthdays:
		v = t.Day()
	case fYeardays:
		v = t.YearDay()
	case fWeekdays:
		v = isoWeekday(t)
	case fWeeks:
		_, v = t.ISOWeek()
	case fWeekyears:
		v, _ = t.ISOWeek()
	}
	return s.r[f].has(v)
}

// possible reports whether some day matches the date fields of s (the time
// fields always can: their ranges are never empty).
func (s *dateSpec) possible() bool {
	start := dayNum(time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC))
	if r := s.r[fYears]; r.set {
		start = dayNum(time.Date(r.lo, 1, 1, 0, 0, 0, 0, time.UTC)) - 8
	} else if r := s.r[fWeekyears]; r.set {
		start = isoYearStart(r.lo) - 8
	}
	if s.dateMatch(start) {
		return true
	}
	_, ok := s.nextDate(start, true)
	return ok
}

// firstTOD returns the first second of the day at or after sec that the
// time fields allow, and false if none is left in the day.
func (s *dateSpec) firstTOD(sec int) (int, bool) {
	H, M, S := s.rangeOf(fHours), s.rangeOf(fMinutes), s.rangeOf(fSeconds)
	h0, m0, s0 := sec/3600, sec/60%60, sec%60
	for h := max(h0, H.lo); h <= H.hi; h++ {
		mStart := 0
		if h == h0 {
			mStart = m0
		}
		for m := max(mStart, M.lo); m <= M.hi; m++ {
			sStart := 0
			if h == h0 && m == m0 {
				sStart = s0
			}
			if x := max(sStart, S.lo); x <= S.hi {
				return h*3600 + m*60 + x, true
			}
		}
	}
	return 0, false
}

// rangeOf returns field f's range, its full range when not set.
func (s *dateSpec) rangeOf(f int) specRange {
	if r := s.r[f]; r.set {
		return r
	}
	return specRange{set: true, lo: specMin[f], hi: specMax[f]}
}

// firstMatchFrom returns the first naive wall-clock time at or after w
// that s matches, and false if there is none.
func (s *dateSpec) firstMatchFrom(w time.Time) (time.Time, bool) {
	d := dayNum(w)
	tod := int(w.Unix() - d*86400)
	if s.dateMatch(d) {
		if x, ok := s.firstTOD(tod); ok {
			return time.Unix(d*86400+int64(x), 0).UTC(), true
		}
	}
	d2, ok := s.nextDate(d, true)
	if !ok {
		return time.Time{}, false
	}
	x, _ := s.firstTOD(0)
	return time.Unix(d2*86400+int64(x), 0).UTC(), true
}

// firstNonMatchFrom returns the first naive wall-clock time at or after w
// that s does not match, and false if there is none.
func (s *dateSpec) firstNonMatchFrom(w time.Time) (time.Time, bool) {
	if !s.match(w) {
		return w, true
	}
	u := w.Unix()
	d := dayNum(w)
	best, found := int64(0), false
	take := func(c int64) {
		if !found || c < best {
			best, found = c, true
		}
	}
	if r := s.r[fSeconds]; r.set {
		minute := u - floorMod(u, 60)
		if r.hi < 59 {
			take(minute + int64(r.hi+1))
		} else if r.lo > 0 {
			take(minute + 60)
		}
	}
	if r := s.r[fMinutes]; r.set {
		hour := u - floorMod(u, 3600)
		if r.hi < 59 {
			take(hour + int64(r.hi+1)*60)
		} else if r.lo > 0 {
			take(hour + 3600)
		}
	}
	if r := s.r[fHours]; r.set {
		if r.hi < 23 {
			take(d*86400 + int64(r.hi+1)*3600)
		} else if r.lo > 0 {
			take(d*86400 + 86400)
		}
	}
	if d2, ok := s.nextDate(d, false); ok {
		take(d2 * 86400)
	}
	if !found {
		return time.Time{}, false
	}
	return time.Unix(best, 0).UTC(), true
}

// mergeSpecs returns the intersection of the date-specs among kids (nil if
// there are fewer than two) and whether it can never match.
func mergeSpecs(kids []*node) (*dateSpec, bool) {
	var m *dateSpec
	count := 0
	for _, k := range kids {
		if k.kind != kindDateSpec {
			continue
		}
		count++
		if m == nil {
			c := *k.spec
			m = &c
			continue
		}
		for f := range numSpecFields {
			a, b := m.r[f], k.spec.r[f]
			switch {
			case !b.set:
			case !a.set:
				m.r[f] = b
			default:
				m.r[f] = specRange{set: true, lo: max(a.lo, b.lo), hi: min(a.hi, b.hi)}
				if m.r[f].lo > m.r[f].hi {
					return m, true
				}
			}
		}
	}
	if count < 2 {
		return nil, false
	}
	return m, !m.possible()
}
