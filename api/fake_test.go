package api

import (
	"context"
	"sync"
)

// fakeBackend records calls and answers with scripted values.
type fakeBackend struct {
	mu            sync.Mutex
	status        ClusterStatus
	policy        PolicyInfo
	apply         ApplyResult
	err           error
	applied       []ApplyRequest
	nodeCalls     []NodeRequest
	resourceCalls []ResourceRequest
	clusterCalls  []ClusterRequest
	block         chan struct{} // if not nil, Status waits on it or ctx
}

func (f *fakeBackend) Status(ctx context.Context) (ClusterStatus, error) {
	f.mu.Lock()
	block := f.block
	f.mu.Unlock()
	if block != nil {
		select {
		case <-block:
		case <-ctx.Done():
			return ClusterStatus{}, ctx.Err()
		}
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.status, f.err
}

func (f *fakeBackend) Policy(context.Context) (PolicyInfo, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.policy, f.err
}

func (f *fakeBackend) ApplyPolicy(_ context.Context, req ApplyRequest) (ApplyResult, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.applied = append(f.applied, req)
	return f.apply, f.err
}

func (f *fakeBackend) SetNode(_ context.Context, req NodeRequest) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.nodeCalls = append(f.nodeCalls, req)
	return f.err
}

func (f *fakeBackend) ResourceAction(_ context.Context, req ResourceRequest) (ResourceResult, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.resourceCalls = append(f.resourceCalls, req)
	return ResourceResult{Resource: req.Resource, Action: req.Action}, f.err
}

func (f *fakeBackend) SetCluster(_ context.Context, req ClusterRequest) (ApplyResult, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.clusterCalls = append(f.clusterCalls, req)
	return f.apply, f.err
}

func (f *fakeBackend) Explain(_ context.Context, id string) (ExplainResult, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return ExplainResult{Resource: id, Text: "explained " + id, Scores: []byte(`{"resource":"` + id + `"}`)}, f.err
}
