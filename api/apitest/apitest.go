// Package apitest provides a scripted api.Backend and a helper that
// serves it on a unix socket, for tests of API clients such as the CLI.
package apitest

import (
	"context"
	"path/filepath"
	"sync"
	"testing"

	"github.com/ward-ha/ward/api"
)

// Backend is an api.Backend that answers with the values in its fields
// and records every request. Set the fields before serving it, or under
// Lock/Unlock while it is served. It is safe for concurrent use.
type Backend struct {
	mu sync.Mutex
	// StatusAnswer, PolicyAnswer and ApplyAnswer are returned by
	// Status, Policy and ApplyPolicy.
	StatusAnswer api.ClusterStatus
	PolicyAnswer api.PolicyInfo
	ApplyAnswer  api.ApplyResult
	// StatusQueue, if not empty, is answered by Status before
	// StatusAnswer: each call takes the first entry off the queue.
	StatusQueue []api.ClusterStatus
	// Err, if not nil, is returned by every method instead.
	Err error
	// Applied and NodeCalls record the requests, oldest first.
	Applied   []api.ApplyRequest
	NodeCalls []api.NodeRequest
	// ResourceAnswer, ExplainAnswer and ClusterAnswer are returned by
	// ResourceAction, Explain and SetCluster; ResourceCalls and
	// ClusterCalls record their requests.
	ResourceAnswer api.ResourceResult
	ExplainAnswer  api.ExplainResult
	ClusterAnswer  api.ApplyResult
	ResourceCalls  []api.ResourceRequest
	ClusterCalls   []api.ClusterRequest
	// EventList is the event log Events serves (Seq set by the test).
	EventList []api.Event
	// OnChange, if not nil, is called (with b locked) after every
	// request that changes something, so a test can script the status
	// that follows it.
	OnChange func(b *Backend)
}

// Lock locks b's fields.
func (b *Backend) Lock() { b.mu.Lock() }

// Unlock unlocks b's fields.
func (b *Backend) Unlock() { b.mu.Unlock() }

// Status returns StatusAnswer or Err.
func (b *Backend) Status(context.Context) (api.ClusterStatus, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if len(b.StatusQueue) > 0 && b.Err == nil {
		st := b.StatusQueue[0]
		b.StatusQueue = b.StatusQueue[1:]
		return st, nil
	}
	return b.StatusAnswer, b.Err
}

// Policy returns PolicyAnswer or Err.
func (b *Backend) Policy(context.Context) (api.PolicyInfo, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.PolicyAnswer, b.Err
}

// ApplyPolicy records req and returns ApplyAnswer or Err.
func (b *Backend) ApplyPolicy(_ context.Context, req api.ApplyRequest) (api.ApplyResult, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.Applied = append(b.Applied, req)
	return b.ApplyAnswer, b.Err
}

// SetNode records req and returns Err.
func (b *Backend) SetNode(_ context.Context, req api.NodeRequest) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.NodeCalls = append(b.NodeCalls, req)
	if b.OnChange != nil {
		b.OnChange(b)
	}
	return b.Err
}

// ResourceAction records req and returns ResourceAnswer or Err.
func (b *Backend) ResourceAction(_ context.Context, req api.ResourceRequest) (api.ResourceResult, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.ResourceCalls = append(b.ResourceCalls, req)
	if b.OnChange != nil {
		b.OnChange(b)
	}
	return b.ResourceAnswer, b.Err
}

// SetCluster records req and returns ClusterAnswer or Err.
func (b *Backend) SetCluster(_ context.Context, req api.ClusterRequest) (api.ApplyResult, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.ClusterCalls = append(b.ClusterCalls, req)
	if b.OnChange != nil {
		b.OnChange(b)
	}
	return b.ClusterAnswer, b.Err
}

// Events serves EventList filtered by q; it implements api.EventSource.
func (b *Backend) Events(q api.EventQuery) api.Events {
	b.mu.Lock()
	defer b.mu.Unlock()
	out := api.Events{Events: []api.Event{}}
	for _, e := range b.EventList {
		out.Last = max(out.Last, e.Seq)
		if q.Match(e) {
			out.Events = append(out.Events, e)
		}
	}
	if q.Limit > 0 && len(out.Events) > q.Limit {
		out.Events = out.Events[len(out.Events)-q.Limit:]
	}
	return out
}

// Explain returns ExplainAnswer or Err.
func (b *Backend) Explain(context.Context, string) (api.ExplainResult, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.ExplainAnswer, b.Err
}

// Serve serves b on a unix socket in a temporary directory of t and
// returns the socket's path. The server stops, and Serve's goroutine
// exits, when the test ends.
func Serve(t testing.TB, b api.Backend) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "ward.sock")
	ctx, cancel := context.WithCancel(context.Background())
	ln, err := api.Listen(ctx, path)
	if err != nil {
		cancel()
		t.Fatalf("apitest: %v", err)
	}
	done := make(chan error, 1)
	srv := api.NewServer(b, nil)
	if es, ok := b.(api.EventSource); ok {
		srv.SetEvents(es)
	}
	go func() { done <- srv.Serve(ctx, ln) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("apitest: Serve() = %v", err)
		}
	})
	return path
}
