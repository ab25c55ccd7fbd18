package heartbeat

import (
	"context"
	"errors"
	"fmt"
	"net"
	"sync"
	"time"

	"github.com/hashicorp/memberlist"
)

// Run starts one memberlist per link, joins the configured nodes, keeps
// re-joining those it does not see, keeps the snapshot and quorum current
// and gossips this node's metadata. It blocks until ctx is cancelled,
// then leaves the cluster (the others see this node dead at once), shuts
// every memberlist down, waits for its goroutines and returns nil. It
// returns an error at once if a link cannot start (address in use, ...).
// Run may be called once.
func (c *Cluster) Run(ctx context.Context) error {
	if !c.running.CompareAndSwap(false, true) {
		return errors.New("heartbeat: Run called twice")
	}
	defer c.running.Store(false)
	if c.keyring == nil {
		c.log.Warn("gossip is NOT encrypted (insecure mode): anyone on the network can join and speak for a node; use it only in a lab")
	}
	c.mu.Lock()
	gen := c.allowedGen
	c.mu.Unlock()
	allowed := c.resolveAllowed(ctx)
	c.mu.Lock()
	if gen == c.allowedGen {
		c.allowed = allowed
	} else {
		nonBlocking(c.resolve) // reconfigured meanwhile: resolve again
	}
	self := c.nodes[c.cfg.Self]
	c.mu.Unlock()
	for i, l := range c.links {
		var t memberlist.NodeAwareTransport
		if c.cfg.Transports != nil {
			t = c.cfg.Transports[i]
		}
		bind, err := resolveBind(ctx, self.Addresses[i])
		if err != nil {
			c.shutdownLinks(i)
			return fmt.Errorf("heartbeat: link %d: %w", i, err)
		}
		conf, err := l.memberlistConfig(bind, t)
		if err != nil {
			c.shutdownLinks(i)
			return err
		}
		ml, err := memberlist.Create(conf)
		if err != nil {
			c.shutdownLinks(i)
			return fmt.Errorf("heartbeat: link %d: start gossip on %s: %w (is another ward running, or the address not on this host?)", i, bind, err)
		}
		l.ml = ml
	}
	close(c.ready)
	c.log.Info("heartbeat started", "node", c.cfg.Self, "links", len(c.links), "timing", c.cfg.Timing.Name, "encrypted", c.keyring != nil)

	var wg sync.WaitGroup
	for _, l := range c.links {
		wg.Go(func() { c.rejoinLoop(ctx, l) })
	}
	wg.Go(func() { c.publishLoop(ctx) })
	wg.Go(func() { c.resolveLoop(ctx) })
	c.signal()
	for {
		select {
		case <-ctx.Done():
			wg.Wait()
			c.shutdownLinks(len(c.links))
			c.log.Info("heartbeat stopped", "node", c.cfg.Self)
			return nil
		case <-c.dirty:
			c.mu.Lock()
			changed := c.refreshLocked()
			c.mu.Unlock()
			if changed {
				nonBlocking(c.changes)
			}
		}
	}
}

// shutdownLinks leaves and shuts down the first n links.
func (c *Cluster) shutdownLinks(n int) {
	for _, l := range c.links[:n] {
		if l.ml == nil {
			continue
		}
		if err := l.ml.Leave(2 * c.cfg.Timing.ProbeInterval); err != nil {
			c.log.Debug("leave", "link", l.idx, "err", err)
		}
		if err := l.ml.Shutdown(); err != nil {
			c.log.Warn("gossip shutdown", "link", l.idx, "err", err)
		}
	}
}

// rejoinLoop joins, on link l, every configured node that has an address
// on that link and is not present on it: at once, then every
// RejoinInterval. memberlist never re-merges a long partition by itself.
func (c *Cluster) rejoinLoop(ctx context.Context, l *link) {
	t := c.clk.NewTimer(0)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C():
		case <-l.rejoinNow:
		}
		var addrs, names []string
		c.mu.Lock()
		for name, spec := range c.nodes {
			if name == c.cfg.Self || l.idx >= len(spec.Addresses) {
				continue
			}
			if p := l.peers[name]; p == nil || !p.state.Present() {
				addrs = append(addrs, spec.Addresses[l.idx])
				names = append(names, name)
			}
		}
		c.mu.Unlock()
		if len(addrs) > 0 && ctx.Err() == nil {
			n, err := l.ml.Join(addrs)
			if n > 0 {
				c.log.Info("joined configured nodes", "link", l.idx, "tried", names, "reached", n)
			} else {
				c.log.Debug("re-join found nobody", "link", l.idx, "tried", names, "err", err)
			}
		}
		t.Reset(c.cfg.Timing.RejoinInterval)
	}
}

// publishLoop gossips this node's metadata after each change.
func (c *Cluster) publishLoop(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-c.publish:
		}
		for _, l := range c.links {
			// UpdateNode waits until the update is gossiped to someone;
			// bound the wait so a lone node does not stall here.
			if err := l.ml.UpdateNode(4 * c.cfg.Timing.GossipInterval); err != nil {
				c.log.Debug("meta update not yet gossiped", "link", l.idx, "err", err)
			}
		}
	}
}

// resolveBind turns this node's "host:port" into "ip:port" to bind.
func resolveBind(ctx context.Context, addr string) (string, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "", err
	}
	if ip := net.ParseIP(host); ip != nil {
		return addr, nil
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	ips, err := net.DefaultResolver.LookupIPAddr(ctx, host)
	if err != nil || len(ips) == 0 {
		return "", fmt.Errorf("resolve this node's address %q: %v; use an IP address in the policy", host, err)
	}
	return net.JoinHostPort(ips[0].IP.String(), port), nil
}
