package controller

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/ward-ha/ward/api"
	"github.com/ward-ha/ward/heartbeat"
)

// This file forwards API changes from a member to the DC (api.Forwarder):
// the member sends the encoded request in a msgForward, the DC serves it
// through the handler the daemon set (api.Server.ServeForwarded) on a
// worker and answers with msgForwarded. Requests are matched by Seq.

const (
	msgForward   msgKind = "forward"   // member -> DC: serve this API request (Seq: id, Source: the request)
	msgForwarded msgKind = "forwarded" // DC -> member: its answer (Seq: id, Source: the answer)
)

// forwardTimeout bounds a forwarded request (a policy apply waits up to
// applyWait for the members).
const forwardTimeout = applyWait + 20*time.Second

// maxForward bounds a forwarded request or answer (one message).
const maxForward = heartbeat.MaxReliable - 4<<10

// forwarding is the state of forwarded requests. It is used from API
// goroutines and the loop.
type forwarding struct {
	// mu guards the following.
	mu      sync.Mutex
	next    uint64
	pending map[uint64]chan []byte
	handler func(context.Context, []byte) []byte
}

// SetForwardHandler sets what serves requests members forward to this
// node while it is the DC (the daemon passes api.Server.ServeForwarded).
// Safe to call while the controller runs.
func (c *Controller) SetForwardHandler(h func(context.Context, []byte) []byte) {
	c.fwd.mu.Lock()
	defer c.fwd.mu.Unlock()
	c.fwd.handler = h
}

// Forward sends an encoded API request to the DC and returns its
// encoded answer (api.Forwarder).
func (c *Controller) Forward(ctx context.Context, req []byte) ([]byte, error) {
	if len(req) > maxForward {
		return nil, fmt.Errorf("controller: the request has %d bytes, more than the %d a cluster message carries: run it on the DC", len(req), maxForward)
	}
	c.fwd.mu.Lock()
	if c.fwd.pending == nil {
		c.fwd.pending = map[uint64]chan []byte{}
	}
	c.fwd.next++
	id := c.fwd.next
	ch := make(chan []byte, 1)
	c.fwd.pending[id] = ch
	c.fwd.mu.Unlock()
	defer func() {
		c.fwd.mu.Lock()
		delete(c.fwd.pending, id)
		c.fwd.mu.Unlock()
	}()
	sent := make(chan error, 1)
	err := c.call(ctx, func(ctx context.Context) {
		l := &c.loop
		switch {
		case l.isDC:
			sent <- errors.New("controller: this node is the DC")
		case l.dcName == "" || l.dcTerm != c.store.Term().Seen:
			sent <- errors.New("controller: no DC is elected")
		default:
			c.send(ctx, l.dcName, message{Kind: msgForward, Term: l.dcTerm, Seq: id, Source: req})
			sent <- nil
		}
	})
	if err != nil {
		return nil, err
	}
	if err, werr := wait(ctx, sent); werr != nil || err != nil {
		return nil, errors.Join(err, werr)
	}
	t := c.clk.NewTimer(forwardTimeout)
	defer t.Stop()
	select {
	case b := <-ch:
		return b, nil
	case <-t.C():
		return nil, fmt.Errorf("controller: the DC did not answer a forwarded request within %v", forwardTimeout)
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// onForward serves a member's forwarded request (DC side), on a worker.
func (c *Controller) onForward(ctx context.Context, from string, m message) {
	l := &c.loop
	seen := c.observe(m.Term, from)
	c.fwd.mu.Lock()
	h := c.fwd.handler
	c.fwd.mu.Unlock()
	if !l.isDC || m.Term != l.myTerm || m.Term < seen || h == nil {
		why := "this node (" + c.node + ") is not the DC"
		if l.isDC {
			why = "the DC cannot serve forwarded requests"
		}
		c.send(ctx, from, message{Kind: msgForwarded, Term: seen, Seq: m.Seq, Source: notDCAnswer(c.node, why)})
		return
	}
	term := l.myTerm
	c.goWorker(ctx, func(ctx context.Context) {
		wctx, cancel := context.WithTimeout(ctx, forwardTimeout)
		out := h(wctx, m.Source)
		cancel()
		if len(out) > maxForward {
			out = notDCAnswer(c.node, "the answer is too large to forward: run the command on the DC")
		}
		c.post(ctx, func(ctx context.Context) {
			c.send(ctx, from, message{Kind: msgForwarded, Term: term, Seq: m.Seq, Source: out})
		})
	})
}

// onForwarded hands the DC's answer to the waiting request (member side).
func (c *Controller) onForwarded(m message) {
	c.fwd.mu.Lock()
	ch := c.fwd.pending[m.Seq]
	c.fwd.mu.Unlock()
	if ch != nil {
		select {
		case ch <- m.Source:
		default:
		}
	}
}

// notDCAnswer is an encoded api.ForwardedResponse refusing with not_dc.
func notDCAnswer(node, why string) []byte {
	body, _ := json.Marshal(map[string]any{"error": api.Errorf(api.CodeNotDC, "%s", why)})
	out, _ := json.Marshal(api.ForwardedResponse{Status: 503, Body: body, DC: node})
	return out
}
