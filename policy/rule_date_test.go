package policy

import (
	"testing"
	"time"
)

// TestRuleResolveWall checks how wall-clock times map to instants around
// time-zone transitions: skipped times shift forward by the gap, repeated
// times take their first occurrence.
func TestRuleResolveWall(t *testing.T) {
	tests := []struct {
		zone, wall, want string
	}{
		{"Europe/Berlin", "2026-07-01T12:00:00", "2026-07-01T10:00:00Z"},
		{"Europe/Berlin", "2026-03-29T02:30:00", "2026-03-29T01:30:00Z"}, // gap: 03:30 CEST
		{"Europe/Berlin", "2026-03-29T03:00:00", "2026-03-29T01:00:00Z"},
		{"Europe/Berlin", "2026-10-25T02:30:00", "2026-10-25T00:30:00Z"}, // twice: first (CEST)
		{"Europe/Berlin", "2026-10-25T03:00:00", "2026-10-25T02:00:00Z"},
		{"America/New_York", "2026-03-08T02:30:00", "2026-03-08T07:30:00Z"}, // gap: 03:30 EDT
		{"America/New_York", "2026-11-01T01:30:00", "2026-11-01T05:30:00Z"}, // twice: first (EDT)
		// Lord Howe moves its clocks by 30 minutes.
		{"Australia/Lord_Howe", "2026-10-04T02:15:00", "2026-10-03T15:45:00Z"}, // gap 02:00-02:30: 02:45 +11
		{"Australia/Lord_Howe", "2026-04-05T01:45:00", "2026-04-04T14:45:00Z"}, // twice: first (+11)
		// Samoa skipped 2011-12-30 entirely.
		{"Pacific/Apia", "2011-12-30T12:00:00", "2011-12-30T22:00:00Z"}, // 2011-12-31 12:00 +14
		{"UTC", "2026-03-29T02:30:00", "2026-03-29T02:30:00Z"},
	}
	for _, tc := range tests {
		loc := mustLoc(t, tc.zone)
		w, err := time.Parse("2006-01-02T15:04:05", tc.wall)
		if err != nil {
			t.Fatal(err)
		}
		if got := resolveWall(w, loc).UTC().Format(time.RFC3339); got != tc.want {
			t.Errorf("resolveWall(%s, %s) = %s, want %s", tc.wall, tc.zone, got, tc.want)
		}
	}
}

// TestRuleNextChangeOddZones covers zones with half-hour daylight saving
// and a skipped day.
func TestRuleNextChangeOddZones(t *testing.T) {
	tests := []struct {
		expr, zone, now, want string
	}{
		// Samoa has no 2011-12-30: the next 30th is in January.
		{"date-spec monthdays=30", "Pacific/Apia", "2011-12-29T12:00:00-10:00", "2012-01-30T00:00:00+14:00"},
		// Its 2011-12-29 ends when the clocks jump to 2011-12-31.
		{"date-spec monthdays=29", "Pacific/Apia", "2011-12-29T12:00:00-10:00", "2011-12-31T00:00:00+14:00"},
		// Lord Howe, clocks forward 02:00 -> 02:30 on 2026-10-04.
		{"date-spec hours=2 minutes=0-29", "Australia/Lord_Howe", "2026-10-03T12:00:00+10:30", "2026-10-05T02:00:00+11:00"},
		// The jump itself lands inside 02:30-02:59.
		{"date-spec hours=2 minutes=30-59", "Australia/Lord_Howe", "2026-10-04T01:59:00+10:30", "2026-10-04T02:30:00+11:00"},
	}
	for _, tc := range tests {
		loc := mustLoc(t, tc.zone)
		now, err := time.Parse(time.RFC3339, tc.now)
		if err != nil {
			t.Fatal(err)
		}
		want, err := time.Parse(time.RFC3339, tc.want)
		if err != nil {
			t.Fatal(err)
		}
		e := mustExpr(t, tc.expr)
		got, ok := e.NextChange(EvalEnv{Now: now, Location: loc})
		if !ok || !got.Equal(want) {
			t.Errorf("NextChange(%q) at %s in %s = %v, %v; want %v", tc.expr, tc.now, tc.zone, got.In(loc), ok, want)
		}
	}
}
