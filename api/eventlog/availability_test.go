package eventlog

import (
	"math"
	"testing"
	"time"

	"github.com/ward-ha/ward/api"
)

func TestComputeExactFigures(t *testing.T) {
	t0 := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	m := func(n float64) time.Time { return t0.Add(time.Duration(n * float64(time.Minute))) }
	yes, no := new(true), new(false)
	evs := []api.Event{
		{At: m(-10), Kind: api.EventResource, Resource: "vip", To: "Started@n1", Wanted: yes},
		{At: m(-10), Kind: api.EventResource, Resource: "db", To: "Promoted@n1", Wanted: yes},
		{At: m(99.5), Kind: api.EventFailure, Resource: "vip", Node: "n1", Message: "vip monitor on n1 failed: rc 7"},
		{At: m(100), Kind: api.EventResource, Resource: "vip", From: "Started@n1", To: "Stopped", Wanted: yes},
		{At: m(130), Kind: api.EventResource, Resource: "vip", From: "Stopped", To: "Started@n2", Wanted: yes},
		// The operator stops it for 100 minutes: not downtime.
		{At: m(200), Kind: api.EventResource, Resource: "vip", From: "Started@n2", To: "Started@n2", Wanted: no},
		{At: m(201), Kind: api.EventResource, Resource: "vip", From: "Started@n2", To: "Stopped", Wanted: no},
		{At: m(300), Kind: api.EventResource, Resource: "vip", From: "Stopped", To: "Started@n2", Wanted: yes},
		{At: m(499), Kind: api.EventFencing, Node: "n2", Message: "node n2 fenced"},
		{At: m(500), Kind: api.EventResource, Resource: "vip", From: "Started@n2", To: "Stopped", Wanted: yes},
		{At: m(510), Kind: api.EventResource, Resource: "vip", From: "Stopped", To: "Started@n1", Wanted: yes},
	}
	got := Compute(evs, "", t0, m(1000))
	if len(got) != 2 || got[0].Resource != "db" || got[1].Resource != "vip" {
		t.Fatalf("Compute() resources = %+v, want db and vip", got)
	}
	if db := got[0]; db.Percent != 100 || db.Nines != maxNines || len(db.Incidents) != 0 {
		t.Errorf("Compute(db) = %+v, want 100%%, no incident", db)
	}
	vip := got[1]
	// n = 1000 minutes, y = 30 + 10 = 40: (1000-40)*100/1000 = 96.
	if vip.Observed != 1000*time.Minute || vip.Down != 40*time.Minute || vip.Percent != 96 {
		t.Errorf("Compute(vip) = observed %v down %v percent %v, want 1000m 40m 96", vip.Observed, vip.Down, vip.Percent)
	}
	if want := -math.Log10(0.04); math.Abs(vip.Nines-want) > 1e-9 {
		t.Errorf("Compute(vip).Nines = %v, want %v", vip.Nines, want)
	}
	if vip.MTTR != 20*time.Minute || len(vip.Incidents) != 2 {
		t.Fatalf("Compute(vip) MTTR %v incidents %+v, want 20m and 2", vip.MTTR, vip.Incidents)
	}
	if c := vip.Incidents[0].Cause; c != "vip monitor on n1 failed: rc 7" {
		t.Errorf("incident 1 cause = %q, want the monitor failure", c)
	}
	if c := vip.Incidents[1].Cause; c != "node n2 fenced" {
		t.Errorf("incident 2 cause = %q, want the fencing", c)
	}
	// A window that ends during an outage: ongoing, not in MTTR.
	one := Compute(evs, "vip", t0, m(120))
	if len(one) != 1 || len(one[0].Incidents) != 1 || !one[0].Incidents[0].Ongoing || one[0].MTTR != 0 || one[0].Down != 20*time.Minute {
		t.Errorf("Compute(vip, to 120m) = %+v, want one ongoing 20m incident", one)
	}
}
