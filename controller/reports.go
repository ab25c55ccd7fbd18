package controller

import (
	"sync"

	"github.com/ward-ha/ward/resources"
)

// Reports collects the executor's results for the controller. Give the
// same *Reports to resources.Config.Reporter and to Config.Reports.
// Report never blocks: results queue under a mutex (bounded: the oldest
// are dropped, which loses nothing the controller needs, because it
// rebuilds a node's state from the executor's history) and a one-slot
// channel wakes the controller.
type Reports struct {
	wake chan struct{}
	// mu guards the following.
	mu      sync.Mutex
	pending []resources.Result
}

// maxPendingReports bounds the queue.
const maxPendingReports = 1024

// NewReports returns an empty Reports.
func NewReports() *Reports { return &Reports{wake: make(chan struct{}, 1)} }

// Report queues r and wakes the controller. Safe for concurrent use.
func (p *Reports) Report(r resources.Result) {
	p.mu.Lock()
	if len(p.pending) >= maxPendingReports {
		p.pending = p.pending[1:]
	}
	p.pending = append(p.pending, r)
	p.mu.Unlock()
	select {
	case p.wake <- struct{}{}:
	default:
	}
}

func (p *Reports) signal() <-chan struct{} { return p.wake }

func (p *Reports) drain() []resources.Result {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := p.pending
	p.pending = nil
	return out
}
