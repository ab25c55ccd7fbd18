package main

import (
	"strings"
	"testing"
	"time"

	"github.com/ward-ha/ward/api"
	"github.com/ward-ha/ward/api/apitest"
)

func sampleEvents(now time.Time) []api.Event {
	yes := new(true)
	return []api.Event{
		{Seq: 1, At: now.Add(-100 * time.Minute), Kind: api.EventResource, Resource: "vip", To: "Started@n1", Wanted: yes, Message: "vip: Started@n1 (first observed)"},
		{Seq: 2, At: now.Add(-61 * time.Minute), Kind: api.EventNode, Node: "n1", From: "online", To: "unclean", Message: "node n1: online -> unclean", Severity: "critical"},
		{Seq: 3, At: now.Add(-60 * time.Minute), Kind: api.EventResource, Resource: "vip", From: "Started@n1", To: "Stopped", Wanted: yes, Message: "vip stopped"},
		{Seq: 4, At: now.Add(-50 * time.Minute), Kind: api.EventResource, Resource: "vip", From: "Stopped", To: "Started@n2", Wanted: yes, Message: "vip started: Started@n2"},
	}
}

func TestEventsFiltered(t *testing.T) {
	b := &apitest.Backend{EventList: sampleEvents(time.Now())}
	socket := apitest.Serve(t, b)
	code, out, errs := runWardLive(t, "events", "--node", "n1", "--socket", socket)
	if code != 0 || !strings.Contains(out, "node n1: online -> unclean") || strings.Contains(out, "vip started") {
		t.Errorf("ward events --node n1 = %d, %q, %q", code, out, errs)
	}
	code, out, _ = runWardLive(t, "events", "--since", "55m", "-o", "json", "--socket", socket)
	if code != 0 || strings.Count(out, "\n") != 1 || !strings.Contains(out, `"seq":4`) {
		t.Errorf("ward events --since 55m -o json = %d, %q; want event 4 only", code, out)
	}
	for _, args := range [][]string{{"events", "--since", "yesterday"}, {"events", "--kind", "gossip"}, {"report"}, {"report", "availability", "--since", "x"}} {
		if code, _, errs := runWardLive(t, args...); code != 2 {
			t.Errorf("ward %v = %d, %q; want 2", args, code, errs)
		}
	}
}

func TestReportAvailability(t *testing.T) {
	b := &apitest.Backend{EventList: sampleEvents(time.Now())}
	socket := apitest.Serve(t, b)
	code, out, errs := runWardLive(t, "report", "availability", "--since", "100m", "--socket", socket)
	// 10 of 100 minutes down: 90%, 1 nine, one incident caused by n1 going unclean.
	if code != 0 || !strings.Contains(out, "vip       90%     1.0    10m0s  1          10m0s") ||
		!strings.Contains(out, "cause: node n1: online -> unclean") {
		t.Errorf("ward report availability = %d, %q, %q", code, out, errs)
	}
}

func TestParseSince(t *testing.T) {
	now := time.Date(2026, 11, 26, 8, 0, 0, 0, time.UTC)
	for in, want := range map[string]time.Time{
		"90m": now.Add(-90 * time.Minute), "7d": now.Add(-7 * 24 * time.Hour), "2026-11-01T00:00:00Z": time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC),
	} {
		if got, err := parseSince(in, now); err != nil || !got.Equal(want) {
			t.Errorf("parseSince(%q) = %v, %v, want %v", in, got, err, want)
		}
	}
	for _, in := range []string{"", "-5m", "0d", "soon"} {
		if _, err := parseSince(in, now); err == nil {
			t.Errorf("parseSince(%q) = nil error, want one", in)
		}
	}
}
