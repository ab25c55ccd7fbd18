package sim

import (
	"context"
	"sync"

	"github.com/ward-ha/ward/resources"
)

// gate freezes a node's agents: while closed, every agent call waits
// (until the gate opens or the call's own timeout ends), as the
// processes of a frozen (SIGSTOPped, VM-paused) node would. A killed
// gate (the node was powered off) runs nothing any more.
type gate struct {
	dead chan struct{} // closed when the node is powered off

	// mu guards the following.
	mu     sync.Mutex
	ch     chan struct{} // nil: open; else closed when the gate opens
	killed bool
	// calls are the agent calls under way (waiting at the gate or
	// running), for the checker: a start or promote in flight on a node
	// that is lost may still happen.
	calls  map[int]resources.Call
	nextID int
}

func newGate() *gate { return &gate{dead: make(chan struct{})} }

// kill makes every waiting and future call fail without running.
func (g *gate) kill() {
	g.mu.Lock()
	defer g.mu.Unlock()
	if !g.killed {
		g.killed = true
		close(g.dead)
	}
}

func (g *gate) close() {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.ch == nil {
		g.ch = make(chan struct{})
	}
}

func (g *gate) open() {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.ch != nil {
		close(g.ch)
		g.ch = nil
	}
}

// wait blocks while the gate is closed; false if ctx ended first.
func (g *gate) wait(ctx context.Context) bool {
	g.mu.Lock()
	ch, killed := g.ch, g.killed
	g.mu.Unlock()
	if killed {
		return false
	}
	if ch == nil {
		return ctx.Err() == nil
	}
	select {
	case <-ch:
		return ctx.Err() == nil && !g.isKilled()
	case <-ctx.Done():
		return false
	case <-g.dead:
		return false
	}
}

func (g *gate) isKilled() bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.killed
}

type gatedResolver struct {
	r resources.Resolver
	g *gate
}

func (r gatedResolver) Lookup(name string) (resources.Agent, error) {
	a, err := r.r.Lookup(name)
	if err != nil {
		return nil, err
	}
	return gatedAgent{a: a, g: r.g}, nil
}

type gatedAgent struct {
	a resources.Agent
	g *gate
}

// enter records an agent call under way; the returned func ends it.
func (g *gate) enter(c resources.Call) func() {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.calls == nil {
		g.calls = map[int]resources.Call{}
	}
	g.nextID++
	id := g.nextID
	g.calls[id] = c
	return func() {
		g.mu.Lock()
		defer g.mu.Unlock()
		delete(g.calls, id)
	}
}

// inflight returns the starts and promotes under way: resource -> role
// they may leave ("started", "promoted").
func (g *gate) inflight() map[string]string {
	g.mu.Lock()
	defer g.mu.Unlock()
	out := map[string]string{}
	for _, c := range g.calls {
		switch c.Action {
		case resources.ActionPromote:
			out[c.Resource] = "promoted"
		case resources.ActionStart:
			if out[c.Resource] == "" {
				out[c.Resource] = "started"
			}
		}
	}
	return out
}

func (a gatedAgent) Do(ctx context.Context, c resources.Call) resources.Outcome {
	defer a.g.enter(c)()
	if !a.g.wait(ctx) {
		return resources.Outcome{Code: resources.ErrGeneric, Output: "sim: node frozen until the timeout, or powered off"}
	}
	return a.a.Do(ctx, c)
}

func (a gatedAgent) Metadata(ctx context.Context) (*resources.Metadata, error) {
	return a.a.Metadata(ctx)
}
