package policy

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Duration is a time.Duration written in policy files as a string with a
// unit ("500ms", "5s", "2m", "1h30m", "7d"). A bare number is an error:
// Pacemaker reads "5" as seconds and people get it wrong both ways.
type Duration time.Duration

// D returns d as a time.Duration.
func (d Duration) D() time.Duration { return time.Duration(d) }

// ParseDuration parses the forms Duration accepts. Days ("d") are allowed
// as a leading component: "2d", "1d12h".
func ParseDuration(s string) (Duration, error) {
	t := strings.TrimSpace(s)
	if t == "" {
		return 0, fmt.Errorf("duration is empty; write for example \"5s\"")
	}
	if _, err := strconv.ParseFloat(t, 64); err == nil {
		return 0, fmt.Errorf("duration %q has no unit; write %q", s, t+"s")
	}
	var days int64
	if i := strings.IndexByte(t, 'd'); i > 0 {
		n, err := strconv.ParseInt(t[:i], 10, 64)
		if err == nil {
			if n > 100000 {
				return 0, fmt.Errorf("duration %q is too long", s)
			}
			days = n
			t = t[i+1:]
		}
	}
	var rest time.Duration
	if t != "" {
		var err error
		rest, err = time.ParseDuration(t)
		if err != nil {
			return 0, fmt.Errorf("duration %q is not valid; write for example \"500ms\", \"5s\", \"2m\", \"1h30m\" or \"7d\"", s)
		}
	}
	total := time.Duration(days)*24*time.Hour + rest
	if total < 0 {
		return 0, fmt.Errorf("duration %q is negative", s)
	}
	return Duration(total), nil
}

// String formats d like time.Duration, with "0s" for zero.
func (d Duration) String() string { return time.Duration(d).String() }

// UnmarshalTOML accepts a string with a unit.
func (d *Duration) UnmarshalTOML(v any) error {
	switch x := v.(type) {
	case string:
		p, err := ParseDuration(x)
		if err != nil {
			return err
		}
		*d = p
		return nil
	case int64:
		return fmt.Errorf("duration %d has no unit; write \"%ds\"", x, x)
	case float64:
		return fmt.Errorf("duration %v has no unit; write \"%vs\"", x, x)
	}
	return fmt.Errorf("duration must be a string such as \"5s\", not %T", v)
}

// MarshalText writes the duration as String does.
func (d Duration) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

// UnmarshalText parses what MarshalText writes.
func (d *Duration) UnmarshalText(b []byte) error {
	p, err := ParseDuration(string(b))
	if err != nil {
		return err
	}
	*d = p
	return nil
}
