package policy

import (
	"fmt"
	"strconv"
	"strings"
)

// Score is a placement preference. Scores saturate at Infinity and
// -Infinity, as Pacemaker's do: -Infinity wins over +Infinity.
type Score int64

// Infinity is the largest score; Pacemaker's INFINITY (1,000,000).
const Infinity Score = 1000000

// Add returns s+o with Pacemaker's saturating rules: if either is
// -Infinity the sum is -Infinity; otherwise if either is +Infinity the sum
// is +Infinity; finite sums are clamped to [-Infinity, +Infinity].
func (s Score) Add(o Score) Score {
	switch {
	case s <= -Infinity || o <= -Infinity:
		return -Infinity
	case s >= Infinity || o >= Infinity:
		return Infinity
	}
	return clampScore(int64(s) + int64(o))
}

func clampScore(v int64) Score {
	if v >= int64(Infinity) {
		return Infinity
	}
	if v <= -int64(Infinity) {
		return -Infinity
	}
	return Score(v)
}

// ParseScore parses an integer or INFINITY, +INFINITY, -INFINITY (any
// case; "inf" is accepted too). Integers beyond ±1,000,000 are clamped.
func ParseScore(s string) (Score, error) {
	t := strings.TrimSpace(s)
	switch strings.ToUpper(t) {
	case "INFINITY", "+INFINITY", "INF", "+INF":
		return Infinity, nil
	case "-INFINITY", "-INF":
		return -Infinity, nil
	}
	v, err := strconv.ParseInt(t, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("score %q is not an integer or INFINITY/-INFINITY", s)
	}
	return clampScore(v), nil
}

// String formats s as Pacemaker does: INFINITY, -INFINITY or the integer.
func (s Score) String() string {
	switch {
	case s >= Infinity:
		return "INFINITY"
	case s <= -Infinity:
		return "-INFINITY"
	}
	return strconv.FormatInt(int64(s), 10)
}

// UnmarshalTOML accepts a TOML integer or a string such as "INFINITY".
func (s *Score) UnmarshalTOML(v any) error {
	switch x := v.(type) {
	case int64:
		*s = clampScore(x)
		return nil
	case string:
		p, err := ParseScore(x)
		if err != nil {
			return err
		}
		*s = p
		return nil
	}
	return fmt.Errorf("score must be an integer or \"INFINITY\"/\"-INFINITY\", not %T", v)
}

// MarshalText writes the score as String does.
func (s Score) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// UnmarshalText is the inverse of MarshalText (used by JSON).
func (s *Score) UnmarshalText(b []byte) error {
	p, err := ParseScore(string(b))
	if err != nil {
		return err
	}
	*s = p
	return nil
}
