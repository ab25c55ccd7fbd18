package lab

import (
	"context"
	"fmt"
	"io"
	"net"
	"strconv"
	"sync"
	"time"
)

// ResponderPort is the TCP port the VIP responders listen on.
const ResponderPort = 7070

// ListenIn returns a TCP listener on addr created in network namespace
// ns. The socket lives in ns whatever thread later accepts on it; the
// thread that entered ns is discarded (never switched back).
func ListenIn(ns, addr string) (net.Listener, error) {
	var l net.Listener
	err := inNamespace(ns, func() error {
		var err error
		l, err = net.Listen("tcp", addr)
		return err
	})
	return l, err
}

// Responder answers every TCP connection to ResponderPort on one host,
// whatever address it was made to (the VIP included), with the host's
// name: a probe through the VIP learns who holds it.
type Responder struct {
	ln   net.Listener
	done chan struct{}
}

// StartResponder starts host i's responder.
func (l *Lab) StartResponder(i int) (*Responder, error) {
	ln, err := ListenIn(l.NS(i), ":"+strconv.Itoa(ResponderPort))
	if err != nil {
		return nil, fmt.Errorf("lab: responder on %s: %w", l.Name(i), err)
	}
	r := &Responder{ln: ln, done: make(chan struct{})}
	name := []byte(l.Name(i) + "\n")
	go func() {
		defer close(r.done)
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			c.SetWriteDeadline(time.Now().Add(time.Second))
			c.Write(name)
			c.Close()
		}
	}()
	return r, nil
}

// Close stops the responder (its host was powered off).
func (r *Responder) Close() {
	r.ln.Close()
	<-r.done
}

// Answer is one probe connection answered through the VIP.
type Answer struct {
	// Host is the host that answered.
	Host string
	// At is when the answer arrived.
	At time.Time
}

// VIPProber connects to the VIP's responder port from the client every
// interval (each attempt on its own goroutine with its own timeout, so a
// dead holder never delays the next attempt) and records who answered.
type VIPProber struct {
	dial     func(ctx context.Context, network, addr string) (net.Conn, error)
	addr     string
	interval time.Duration
	timeout  time.Duration

	// mu guards answers.
	mu      sync.Mutex
	answers []Answer
}

// NewVIPProber returns a prober of the VIP's responders.
func (l *Lab) NewVIPProber(interval, timeout time.Duration) *VIPProber {
	return &VIPProber{dial: DialIn(l.ClientNS()), addr: net.JoinHostPort(l.VIP(), strconv.Itoa(ResponderPort)),
		interval: interval, timeout: timeout}
}

// Run probes until ctx ends, then waits for the attempts in flight.
func (p *VIPProber) Run(ctx context.Context) {
	var wg sync.WaitGroup
	defer wg.Wait()
	t := time.NewTicker(p.interval)
	defer t.Stop()
	for {
		wg.Go(func() { p.attempt(ctx) })
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

func (p *VIPProber) attempt(ctx context.Context) {
	actx, cancel := context.WithTimeout(ctx, p.timeout)
	defer cancel()
	c, err := p.dial(actx, "tcp", p.addr)
	if err != nil {
		return
	}
	defer c.Close()
	dl, _ := actx.Deadline()
	c.SetReadDeadline(dl)
	b, err := io.ReadAll(io.LimitReader(c, 64))
	if err != nil || len(b) < 2 {
		return
	}
	a := Answer{Host: string(b[:len(b)-1]), At: time.Now()}
	p.mu.Lock()
	p.answers = append(p.answers, a)
	p.mu.Unlock()
}

// FirstAfter returns the first answer at or after t from a host other
// than not.
func (p *VIPProber) FirstAfter(t time.Time, not string) (Answer, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	var first Answer
	for _, a := range p.answers {
		if a.Host != not && !a.At.Before(t) && (first.At.IsZero() || a.At.Before(first.At)) {
			first = a
		}
	}
	return first, !first.At.IsZero()
}

// WaitAnswer waits for an answer at or after t from a host other than
// not ("" for any host).
func (p *VIPProber) WaitAnswer(ctx context.Context, t time.Time, not string) (Answer, error) {
	for {
		if a, ok := p.FirstAfter(t, not); ok {
			return a, nil
		}
		select {
		case <-ctx.Done():
			return Answer{}, fmt.Errorf("lab: no answer through the VIP since %s: %w", t.Format("15:04:05.000"), ctx.Err())
		case <-time.After(10 * time.Millisecond):
		}
	}
}
