package cib

import (
	"testing"
	"time"

	"github.com/ward-ha/ward/policy"
)

func TestParsePcmkDuration(t *testing.T) {
	tests := []struct {
		in   string
		want time.Duration
	}{
		{"0", 0},
		{"10", 10 * time.Second},
		{"10s", 10 * time.Second},
		{"10sec", 10 * time.Second},
		{"500ms", 500 * time.Millisecond},
		{"10000msec", 10 * time.Second},
		{"2m", 2 * time.Minute},
		{"2min", 2 * time.Minute},
		{"1h", time.Hour},
		{"1hr", time.Hour},
		{"1.5s", 1500 * time.Millisecond},
		{"PT10S", 10 * time.Second},
		{"PT1M30S", 90 * time.Second},
		{"P1D", 24 * time.Hour},
		{"P1DT2H", 26 * time.Hour},
		{" 20 ", 20 * time.Second},
	}
	for _, tt := range tests {
		got, err := parsePcmkDuration(tt.in)
		if err != nil || got.D() != tt.want {
			t.Errorf("parsePcmkDuration(%q) = %v, %v, want %v", tt.in, got.D(), err, tt.want)
		}
	}
	for _, bad := range []string{"", "abc", "10 parsecs", "-5s", "P", "PT", "99999999999h"} {
		if _, err := parsePcmkDuration(bad); err == nil {
			t.Errorf("parsePcmkDuration(%q) succeeded, want an error", bad)
		}
	}
}

func TestFormatDuration(t *testing.T) {
	tests := []struct {
		in   time.Duration
		want string
	}{
		{0, "0s"},
		{10 * time.Second, "10s"},
		{90 * time.Second, "90s"},
		{2 * time.Minute, "2m"},
		{3 * time.Hour, "3h"},
		{48 * time.Hour, "2d"},
		{1500 * time.Millisecond, "1500ms"},
	}
	for _, tt := range tests {
		if got := formatDuration(policy.Duration(tt.in)); got != tt.want {
			t.Errorf("formatDuration(%v) = %q, want %q", tt.in, got, tt.want)
		}
		if d, err := policy.ParseDuration(formatDuration(policy.Duration(tt.in))); err != nil || d.D() != tt.in {
			t.Errorf("policy.ParseDuration(formatDuration(%v)) = %v, %v, want the same duration", tt.in, d, err)
		}
	}
}

func TestMapRole(t *testing.T) {
	tests := map[string]policy.Role{"Master": policy.RolePromoted, "Slave": policy.RoleUnpromoted, "Promoted": policy.RolePromoted,
		"Unpromoted": policy.RoleUnpromoted, "Started": policy.RoleStarted, "stopped": policy.RoleStopped}
	for in, want := range tests {
		if got, ok := mapRole(in); !ok || got != want {
			t.Errorf("mapRole(%q) = %q, %v, want %q", in, got, ok, want)
		}
	}
	if _, ok := mapRole("Leader"); ok {
		t.Errorf("mapRole(Leader) ok, want not ok")
	}
}
