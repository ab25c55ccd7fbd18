package api

import (
	"context"
	"fmt"
	"testing"
	"time"
)

// BenchmarkClientStatus measures one GET /v1/status round trip over the
// unix socket (client encode, server, JSON both ways) with a status of
// 3 nodes, 50 resources and 20 failed actions.
func BenchmarkClientStatus(b *testing.B) {
	st := ClusterStatus{Cluster: "bench", Node: "n1", DC: "n1", Quorum: Quorum{Quorate: true, Votes: 3, Needed: 2, Expected: 3}}
	for i := range 3 {
		st.Nodes = append(st.Nodes, NodeInfo{Name: fmt.Sprintf("n%d", i+1), State: StateOnline})
	}
	for i := range 50 {
		st.Resources = append(st.Resources, ResourceInfo{ID: fmt.Sprintf("r%d", i), Primitive: "dummy", Role: "Started", Node: "n2", Managed: true})
	}
	for i := range 20 {
		st.FailedActions = append(st.FailedActions, FailedAction{Resource: fmt.Sprintf("r%d", i), Node: "n3", Op: "monitor", Interval: "10s", RC: 7, Output: "not running", At: time.Unix(0, 0)})
	}
	f := &fakeBackend{status: st}
	path := startServer(b, f)
	c := NewClient(path)
	defer c.CloseIdleConnections()
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := c.Status(ctx); err != nil {
			b.Fatal(err)
		}
	}
}
