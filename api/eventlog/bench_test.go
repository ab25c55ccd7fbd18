package eventlog

import (
	"fmt"
	"testing"
	"time"

	"github.com/ward-ha/ward/api"
)

// BenchmarkAppend measures one event appended to the file.
func BenchmarkAppend(b *testing.B) {
	l, err := Open(b.TempDir(), 1<<20, nil)
	if err != nil {
		b.Fatal(err)
	}
	defer l.Close()
	e := api.Event{At: time.Unix(0, 0), Kind: api.EventResource, Resource: "db", From: "Promoted@n1", To: "Promoted@n2", Message: "db moved: Promoted@n1 -> Promoted@n2"}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := l.Append(e); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkTrackerStep measures one poll of a 5-node, 100-resource
// status in which nothing changed (the Recorder's steady state).
func BenchmarkTrackerStep(b *testing.B) {
	st := api.ClusterStatus{Quorum: api.Quorum{Quorate: true}, DC: "n1"}
	for i := range 5 {
		st.Nodes = append(st.Nodes, api.NodeInfo{Name: fmt.Sprintf("n%d", i+1), State: "online"})
	}
	for i := range 100 {
		st.Resources = append(st.Resources, api.ResourceInfo{ID: fmt.Sprintf("r%d", i), Role: "Started", Node: fmt.Sprintf("n%d", i%5+1)})
	}
	tr := NewTracker(nil)
	tr.Step(st, nil, time.Unix(0, 0))
	b.ReportAllocs()
	for b.Loop() {
		tr.Step(st, nil, time.Unix(0, 0))
	}
}

// BenchmarkCompute measures the availability of 10 resources over a log
// of 10,000 events (the log's default bound).
func BenchmarkCompute(b *testing.B) {
	t0 := time.Unix(0, 0)
	var evs []api.Event
	for i := range 10000 {
		to := "Started@n1"
		if i%20 >= 10 {
			to = Stopped
		}
		evs = append(evs, api.Event{At: t0.Add(time.Duration(i) * time.Minute), Kind: api.EventResource, Resource: fmt.Sprintf("r%d", i%10), To: to})
	}
	b.ReportAllocs()
	for b.Loop() {
		Compute(evs, "", t0, t0.Add(10000*time.Minute))
	}
}
