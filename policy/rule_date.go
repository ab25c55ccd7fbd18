package policy

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// This file holds the DATE and DURATION values of rule expressions:
// parsing, printing and turning them into instants in a time zone.

// dateValue is a DATE as written: a calendar date, optionally a time of
// day, optionally a UTC offset. Without an offset it is wall-clock time in
// the evaluation's time zone, which only Eval knows.
type dateValue struct {
	year, month, day int
	hour, min, sec   int
	hasTime          bool
	hasOffset        bool
	offset           int // seconds east of UTC
}

// parseDate parses an ISO 8601 / RFC 3339 date or date-time:
// 2026-01-01, 2026-01-01T09:00, 2026-01-01T09:00:00, each optionally
// followed by Z or an offset (+01:00, -0500, +02). A space may replace the
// T (inside quotes). It returns a message in lower case on failure.
func parseDate(s string) (dateValue, string) {
	var d dateValue
	bad := func() (dateValue, string) {
		return dateValue{}, fmt.Sprintf("%q is not a date; write for example 2026-01-31, 2026-01-31T09:00 or 2026-01-31T09:00:00+01:00", s)
	}
	num := func(t string) (int, bool) {
		for i := 0; i < len(t); i++ {
			if t[i] < '0' || t[i] > '9' {
				return 0, false
			}
		}
		n, err := strconv.Atoi(t)
		return n, err == nil
	}
	if len(s) < 10 || s[4] != '-' || s[7] != '-' {
		return bad()
	}
	var ok1, ok2, ok3 bool
	d.year, ok1 = num(s[0:4])
	d.month, ok2 = num(s[5:7])
	d.day, ok3 = num(s[8:10])
	if !ok1 || !ok2 || !ok3 {
		return bad()
	}
	if d.year < 1 {
		return dateValue{}, fmt.Sprintf("year in %q must be between 0001 and 9999", s)
	}
	if d.month < 1 || d.month > 12 {
		return dateValue{}, fmt.Sprintf("month %02d in %q must be between 01 and 12", d.month, s)
	}
	if dim := daysIn(d.year, d.month); d.day < 1 || d.day > dim {
		return dateValue{}, fmt.Sprintf("day %02d in %q does not exist (%04d-%02d has %d days)", d.day, s, d.year, d.month, dim)
	}
	rest := s[10:]
	if rest == "" {
		return d, ""
	}
	if rest[0] != 'T' && rest[0] != 't' && rest[0] != ' ' {
		return bad()
	}
	rest = rest[1:]
	d.hasTime = true
	// Time: HH:MM or HH:MM:SS.
	if len(rest) < 5 || rest[2] != ':' {
		return bad()
	}
	var ok bool
	if d.hour, ok1 = num(rest[0:2]); !ok1 {
		return bad()
	}
	if d.min, ok = num(rest[3:5]); !ok {
		return bad()
	}
	rest = rest[5:]
	if len(rest) >= 3 && rest[0] == ':' {
		if d.sec, ok = num(rest[1:3]); !ok {
			return bad()
		}
		rest = rest[3:]
	}
	if rest != "" && (rest[0] == '.' || rest[0] == ',') {
		return dateValue{}, fmt.Sprintf("fractional seconds in %q are not supported; rules work in whole seconds", s)
	}
	if d.hour > 23 || d.min > 59 || d.sec > 59 {
		return dateValue{}, fmt.Sprintf("time of day in %q is out of range (hours 00-23, minutes and seconds 00-59)", s)
	}
	switch {
	case rest == "":
		return d, ""
	case rest == "Z" || rest == "z":
		d.hasOffset = true
		return d, ""
	case rest[0] == '+' || rest[0] == '-':
		sign := 1
		if rest[0] == '-' {
			sign = -1
		}
		o := rest[1:]
		var hh, mm int
		switch {
		case len(o) == 2:
			hh, ok = num(o)
		case len(o) == 4:
			hh, ok1 = num(o[:2])
			mm, ok2 = num(o[2:])
			ok = ok1 && ok2
		case len(o) == 5 && o[2] == ':':
			hh, ok1 = num(o[:2])
			mm, ok2 = num(o[3:])
			ok = ok1 && ok2
		}
		if !ok {
			return bad()
		}
		if hh > 18 || mm > 59 {
			return dateValue{}, fmt.Sprintf("utc offset in %q is out of range", s)
		}
		d.hasOffset = true
		d.offset = sign * (hh*3600 + mm*60)
		return d, ""
	}
	return bad()
}

// String prints d in canonical ISO 8601 form.
func (d dateValue) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%04d-%02d-%02d", d.year, d.month, d.day)
	if !d.hasTime {
		return b.String()
	}
	fmt.Fprintf(&b, "T%02d:%02d:%02d", d.hour, d.min, d.sec)
	if d.hasOffset {
		if d.offset == 0 {
			b.WriteString("Z")
		} else {
			sign, o := '+', d.offset
			if o < 0 {
				sign, o = '-', -o
			}
			fmt.Fprintf(&b, "%c%02d:%02d", sign, o/3600, o%3600/60)
		}
	}
	return b.String()
}

// wall returns d's wall-clock time as a time in UTC (a "naive" time).
func (d dateValue) wall() time.Time {
	return time.Date(d.year, time.Month(d.month), d.day, d.hour, d.min, d.sec, 0, time.UTC)
}

// zone returns the zone d is read in: its own offset, or loc.
func (d dateValue) zone(loc *time.Location) *time.Location {
	if d.hasOffset {
		return time.FixedZone("", d.offset)
	}
	return loc
}

// instant returns the instant d names in loc (ignored when d has an
// offset).
func (d dateValue) instant(loc *time.Location) time.Time {
	return resolveWall(d.wall(), d.zone(loc))
}

// resolveWall returns the instant at which the clocks of loc show the wall
// time w (given as a naive UTC time). When the clocks are set back and w
// occurs twice, it is the first occurrence; when they are set forward and
// w is skipped, it is w shifted forward by the length of the gap (02:30 in a
// 02:00 -> 03:00 gap is 03:30), as in java.time.
func resolveWall(w time.Time, loc *time.Location) time.Time {
	if loc == time.UTC {
		return w
	}
	var offs []int
	for _, probe := range []time.Time{w.Add(-36 * time.Hour), w, w.Add(36 * time.Hour)} {
		_, o := probe.In(loc).Zone()
		dup := false
		for _, x := range offs {
			dup = dup || x == o
		}
		if !dup {
			offs = append(offs, o)
		}
	}
	var exact, after time.Time
	for _, o := range offs {
		c := w.Add(-time.Duration(o) * time.Second)
		cw := naive(c.In(loc))
		switch {
		case cw.Equal(w):
			if exact.IsZero() || c.Before(exact) {
				exact = c
			}
		case cw.After(w):
			if after.IsZero() || naive(after.In(loc)).After(cw) {
				after = c
			}
		}
	}
	if !exact.IsZero() {
		return exact
	}
	if !after.IsZero() {
		return after
	}
	return w.Add(-time.Duration(offs[0]) * time.Second)
}

// naive returns t's wall-clock reading as a time in UTC.
func naive(t time.Time) time.Time {
	y, mo, d := t.Date()
	h, mi, s := t.Clock()
	return time.Date(y, mo, d, h, mi, s, 0, time.UTC)
}

// daysIn returns the number of days of month m of year y.
func daysIn(y, m int) int {
	return time.Date(y, time.Month(m)+1, 0, 0, 0, 0, 0, time.UTC).Day()
}

// Duration fields of "to duration ...", in canonical order.
const (
	durYears = iota
	durMonths
	durWeeks
	durDays
	durHours
	durMinutes
	durSeconds
	numDurFields
)

var durNames = [numDurFields]string{"years", "months", "weeks", "days", "hours", "minutes", "seconds"}

// durMax bounds each field to about 1000 years.
var durMax = [numDurFields]int64{1000, 12000, 52000, 366000, 8784000, 527040000, 31622400000}

// durationSpec is the length of an in_range given as a duration. set
// records which fields were written (so that String round-trips).
type durationSpec struct {
	v   [numDurFields]int64
	set [numDurFields]bool
}

// String prints the fields in canonical order: "years=1 days=2".
func (d *durationSpec) String() string {
	var parts []string
	for i := range numDurFields {
		if d.set[i] {
			parts = append(parts, fmt.Sprintf("%s=%d", durNames[i], d.v[i]))
		}
	}
	return strings.Join(parts, " ")
}

// addTo returns the end of a range that starts at start and lasts d, in
// loc. Years, months, weeks and days move the calendar date (keeping the
// wall-clock time; the 31st plus one month is the last day of the next
// month); hours, minutes and seconds are then added as elapsed time.
func (d *durationSpec) addTo(start dateValue, loc *time.Location) time.Time {
	w := start.wall()
	months := int(d.v[durYears])*12 + int(d.v[durMonths])
	if months != 0 {
		total := w.Year()*12 + int(w.Month()) - 1 + months
		y, m := total/12, total%12+1
		day := min(w.Day(), daysIn(y, m))
		w = time.Date(y, time.Month(m), day, w.Hour(), w.Minute(), w.Second(), 0, time.UTC)
	}
	if days := d.v[durWeeks]*7 + d.v[durDays]; days != 0 {
		w = w.AddDate(0, 0, int(days))
	}
	t := resolveWall(w, start.zone(loc))
	secs := d.v[durHours]*3600 + d.v[durMinutes]*60 + d.v[durSeconds]
	return time.Unix(t.Unix()+secs, 0).In(t.Location())
}
