package main

import (
	"context"
	"strings"
	"sync"
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

// syncBuf is a bytes.Buffer safe for a writer and a reader goroutine.
type syncBuf struct {
	mu sync.Mutex
	b  strings.Builder
}

func (s *syncBuf) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuf) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func TestEventsFollow(t *testing.T) {
	now := time.Now()
	evs := sampleEvents(now)
	b := &apitest.Backend{EventList: evs[:2]}
	socket := apitest.Serve(t, b)
	cl := api.NewClient(socket)
	defer cl.CloseIdleConnections()
	ctx, cancel := context.WithCancel(context.Background())
	var out syncBuf
	done := make(chan error, 1)
	go func() {
		done <- runEvents(ctx, &out, cl, socket, api.EventQuery{}, "text", true, 5*time.Millisecond, false)
	}()
	waitFor := func(s string) {
		t.Helper()
		tick := time.NewTicker(5 * time.Millisecond)
		defer tick.Stop()
		limit := time.After(5 * time.Second)
		for !strings.Contains(out.String(), s) {
			select {
			case <-tick.C:
			case <-limit:
				t.Fatalf("ward events -f printed %q, want %q", out.String(), s)
			}
		}
	}
	waitFor("node n1: online -> unclean")
	b.Lock()
	b.EventList = evs
	b.Unlock()
	waitFor("vip started: Started@n2")
	cancel()
	if err := <-done; err != nil {
		t.Errorf("runEvents(follow) = %v after cancel, want nil", err)
	}
	if n := strings.Count(out.String(), "node n1: online -> unclean"); n != 1 {
		t.Errorf("ward events -f printed event 2 %d times, want once:\n%s", n, out.String())
	}
}
