// Package vip is ward's floating IP agent: it adds an IPv4 or IPv6
// address to an interface through netlink, announces it (gratuitous ARP
// for IPv4, unsolicited neighbour advertisements for IPv6) so that peers
// and switches learn the new holder at once, checks it in monitor, and
// removes it on stop.
//
// Start refuses an address another host already answers for (an ARP
// probe for IPv4, the kernel's duplicate address detection for IPv6)
// unless force is set. The announcement is a burst sent before start
// returns, then a second burst arp_repeat_delay later, scheduled on the
// agent's clock; stop (or Close) cancels a pending repeat.
//
// With the netns parameter the agent acts inside a named network
// namespace (/run/netns/NAME): netlink through a handle opened in it,
// raw sockets on a thread switched into it and then discarded.
package vip

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"sync"
	"syscall"
	"time"

	"github.com/vishvananda/netlink"

	"github.com/ward-ha/ward/internal/clock"
	"github.com/ward-ha/ward/resources"
)

// Options configures an Agent.
type Options struct {
	// Clock schedules the repeated announcement (clock.Real() when nil).
	Clock clock.Clock
	// Logger receives one line per takeover and per failed repeat (a
	// discarding logger when nil).
	Logger *slog.Logger
}

// Agent is the vip agent. It is safe for concurrent use.
type Agent struct {
	clk clock.Clock
	log *slog.Logger

	// mu guards the following.
	mu      sync.Mutex
	repeats map[string]clock.Timer // resource -> pending repeat burst
	closed  bool
}

// New returns a vip agent. It starts nothing: repeats are scheduled on
// the clock by start actions.
func New(o Options) *Agent {
	if o.Clock == nil {
		o.Clock = clock.Real()
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	return &Agent{clk: o.Clock, log: o.Logger, repeats: map[string]clock.Timer{}}
}

// Close cancels every pending repeated announcement. Later starts
// announce once and schedule nothing.
func (a *Agent) Close() {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.closed = true
	for k, t := range a.repeats {
		t.Stop()
		delete(a.repeats, k)
	}
}

// Pending returns how many repeated announcements are scheduled.
func (a *Agent) Pending() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return len(a.repeats)
}

// Metadata returns Meta().
func (a *Agent) Metadata(context.Context) (*resources.Metadata, error) { return Meta(), nil }

// Do runs one action.
func (a *Agent) Do(ctx context.Context, c resources.Call) resources.Outcome {
	switch c.Action {
	case resources.ActionMetaData:
		return resources.Outcome{Code: resources.OK, Output: string(Meta().XML())}
	case resources.ActionStart, resources.ActionStop, resources.ActionMonitor, resources.ActionValidate:
	case resources.ActionNotify:
		return resources.Outcome{Code: resources.OK}
	default:
		return resources.Outcome{Code: resources.ErrUnimplemented, Output: fmt.Sprintf("vip: action %q is not implemented", c.Action)}
	}
	cfg, err := ParseConfig(c.Params)
	if err == nil {
		err = Meta().CheckParams(c.Resource, c.Params)
	}
	if err != nil {
		return fail(resources.ErrNotConfigured, "vip: %s: %v", c.Resource, err)
	}
	if c.Action == resources.ActionValidate {
		return resources.Outcome{Code: resources.OK}
	}
	ns, err := openNS(cfg.NetNS)
	if err != nil {
		switch {
		case errors.Is(err, errNoNamespace) && c.Action == resources.ActionStop:
			a.cancelRepeat(c.Resource)
			return resources.Outcome{Code: resources.OK, Output: err.Error() + ": nothing to remove"}
		case errors.Is(err, errNoNamespace) && c.Action == resources.ActionMonitor:
			return resources.Outcome{Code: resources.NotRunning, Output: err.Error()}
		case errors.Is(err, errNoNamespace):
			return fail(resources.ErrNotConfigured, "vip: %s: %v", c.Resource, err)
		}
		return fail(resources.ErrGeneric, "vip: %s: %v", c.Resource, err)
	}
	defer ns.Close()
	switch c.Action {
	case resources.ActionStart:
		return a.start(ctx, c.Resource, ns, cfg)
	case resources.ActionStop:
		return a.stop(c.Resource, ns, cfg)
	default:
		return monitor(c.Resource, ns, cfg)
	}
}

func fail(code resources.Code, format string, args ...any) resources.Outcome {
	msg := fmt.Sprintf(format, args...)
	return resources.Outcome{Code: code, Output: msg, ExitReason: msg}
}

func family(a netip.Addr) int {
	if a.Is4() {
		return netlink.FAMILY_V4
	}
	return netlink.FAMILY_V6
}

// held is the address as found on an interface.
type held struct {
	link netlink.Link
	addr netlink.Addr
}

// find returns where cfg.Addr is configured (on cfg.NIC when set).
func find(ns *nsConn, cfg Config) (*held, error) {
	links, err := ns.h.LinkList()
	if err != nil {
		return nil, fmt.Errorf("list interfaces: %w", err)
	}
	for _, l := range links {
		if cfg.NIC != "" && l.Attrs().Name != cfg.NIC {
			continue
		}
		addrs, err := ns.h.AddrList(l, family(cfg.Addr))
		if err != nil {
			return nil, fmt.Errorf("list addresses of %s: %w", l.Attrs().Name, err)
		}
		for _, ad := range addrs {
			if ip, ok := netip.AddrFromSlice(ad.IP); ok && ip.Unmap() == cfg.Addr {
				return &held{link: l, addr: ad}, nil
			}
		}
	}
	return nil, nil
}

// chooseLink picks the interface and prefix for cfg: cfg.NIC if set,
// otherwise the interface with an address whose network covers the
// floating address (as IPaddr2 does). The prefix is cfg.Prefix, or that
// covering address's, or the full length.
func chooseLink(ns *nsConn, cfg Config) (netlink.Link, int, error) {
	var cands []netlink.Link
	if cfg.NIC != "" {
		l, err := ns.h.LinkByName(cfg.NIC)
		if err != nil {
			return nil, 0, fmt.Errorf("param nic: interface %s: %w", cfg.NIC, err)
		}
		cands = []netlink.Link{l}
	} else {
		ls, err := ns.h.LinkList()
		if err != nil {
			return nil, 0, fmt.Errorf("list interfaces: %w", err)
		}
		cands = ls
	}
	for _, l := range cands {
		addrs, err := ns.h.AddrList(l, family(cfg.Addr))
		if err != nil {
			return nil, 0, fmt.Errorf("list addresses of %s: %w", l.Attrs().Name, err)
		}
		for _, ad := range addrs {
			ip, ok := netip.AddrFromSlice(ad.IP)
			if !ok || ip.Unmap() == cfg.Addr || (ip.IsLinkLocalUnicast() && !cfg.Addr.IsLinkLocalUnicast()) {
				continue
			}
			ones, _ := ad.Mask.Size()
			if pfx, err := ip.Unmap().Prefix(ones); err == nil && pfx.Contains(cfg.Addr) {
				p := cfg.Prefix
				if p < 0 {
					p = ones
				}
				return l, p, nil
			}
		}
	}
	if cfg.NIC != "" {
		p := cfg.Prefix
		if p < 0 {
			p = cfg.Addr.BitLen()
		}
		return cands[0], p, nil
	}
	return nil, 0, fmt.Errorf("param nic: not set, and no interface has an address whose network covers %s: set nic", cfg.Addr)
}

func linkUp(l netlink.Link) bool {
	at := l.Attrs()
	if at.Flags&net.FlagUp == 0 {
		return false
	}
	return at.OperState == netlink.OperUp || at.OperState == netlink.OperUnknown
}

func monitor(rsc string, ns *nsConn, cfg Config) resources.Outcome {
	h, err := find(ns, cfg)
	if err != nil {
		return fail(resources.ErrGeneric, "vip: %s: monitor: %v", rsc, err)
	}
	if h == nil {
		return resources.Outcome{Code: resources.NotRunning}
	}
	name := h.link.Attrs().Name
	if !linkUp(h.link) {
		return fail(resources.ErrGeneric, "vip: %s: %s is on %s but the link is down (state %s): peers cannot reach it", rsc, cfg.Addr, name, h.link.Attrs().OperState)
	}
	if h.addr.Flags&syscall.IFA_F_DADFAILED != 0 {
		return fail(resources.ErrGeneric, "vip: %s: %s on %s failed duplicate address detection: another host holds it", rsc, cfg.Addr, name)
	}
	return resources.Outcome{Code: resources.OK, Output: fmt.Sprintf("%s on %s", cfg.Addr, name)}
}

func (a *Agent) stop(rsc string, ns *nsConn, cfg Config) resources.Outcome {
	a.cancelRepeat(rsc)
	h, err := find(ns, cfg)
	if err != nil {
		return fail(resources.ErrGeneric, "vip: %s: stop: %v", rsc, err)
	}
	if h == nil {
		return resources.Outcome{Code: resources.OK, Output: fmt.Sprintf("%s is not configured: nothing to remove", cfg.Addr)}
	}
	if err := ns.h.AddrDel(h.link, &h.addr); err != nil && !errors.Is(err, syscall.EADDRNOTAVAIL) {
		return fail(resources.ErrGeneric, "vip: %s: stop: remove %s from %s: %v", rsc, cfg.Addr, h.link.Attrs().Name, err)
	}
	return resources.Outcome{Code: resources.OK, Output: fmt.Sprintf("removed %s from %s", cfg.Addr, h.link.Attrs().Name)}
}

func (a *Agent) cancelRepeat(rsc string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if t, ok := a.repeats[rsc]; ok {
		t.Stop()
		delete(a.repeats, rsc)
	}
}

// announce sends one burst for the address on link.
func announce(ns *nsConn, link netlink.Link, addr netip.Addr, count int) error {
	if count == 0 {
		return nil
	}
	mac := link.Attrs().HardwareAddr
	if len(mac) != 6 {
		return fmt.Errorf("interface %s has no Ethernet address: nothing to announce", link.Attrs().Name)
	}
	idx := link.Attrs().Index
	return ns.run(func() error {
		if addr.Is4() {
			return sendGARP(idx, mac, addr, count)
		}
		return sendNA(idx, mac, addr, count)
	})
}

// scheduleRepeat arranges the second burst. It runs on the clock's
// goroutine, re-opens the namespace, and announces only if the address
// is still there.
func (a *Agent) scheduleRepeat(rsc string, cfg Config) {
	if cfg.RepeatDelay <= 0 || cfg.ARPCount == 0 {
		return
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.closed {
		return
	}
	if t, ok := a.repeats[rsc]; ok {
		t.Stop()
	}
	var t clock.Timer
	t = a.clk.AfterFunc(cfg.RepeatDelay, func() {
		a.mu.Lock()
		if a.repeats[rsc] != t {
			a.mu.Unlock()
			return
		}
		delete(a.repeats, rsc)
		a.mu.Unlock()
		if err := a.repeat(cfg); err != nil {
			a.log.Warn("vip: repeated announcement failed", "resource", rsc, "ip", cfg.Addr.String(), "err", err)
		}
	})
	a.repeats[rsc] = t
}

func (a *Agent) repeat(cfg Config) error {
	ns, err := openNS(cfg.NetNS)
	if err != nil {
		return err
	}
	defer ns.Close()
	h, err := find(ns, cfg)
	if err != nil || h == nil {
		return err
	}
	return announce(ns, h.link, cfg.Addr, cfg.ARPCount)
}

func (a *Agent) start(ctx context.Context, rsc string, ns *nsConn, cfg Config) resources.Outcome {
	h, err := find(ns, cfg)
	if err != nil {
		return fail(resources.ErrGeneric, "vip: %s: start: %v", rsc, err)
	}
	if h != nil && h.addr.Flags&syscall.IFA_F_DADFAILED != 0 {
		// A leftover that lost DAD: remove it and try again from scratch.
		if err := ns.h.AddrDel(h.link, &h.addr); err != nil && !errors.Is(err, syscall.EADDRNOTAVAIL) {
			return fail(resources.ErrGeneric, "vip: %s: start: remove %s (failed DAD) from %s: %v", rsc, cfg.Addr, h.link.Attrs().Name, err)
		}
		h = nil
	}
	if h != nil && h.addr.Flags&syscall.IFA_F_TENTATIVE != 0 {
		if err := waitDAD(ctx, ns, cfg); err != nil {
			_ = ns.h.AddrDel(h.link, &h.addr)
			return fail(resources.ErrGeneric, "vip: %s: start: %s on %s: %v", rsc, cfg.Addr, h.link.Attrs().Name, err)
		}
	}
	if h != nil {
		if !linkUp(h.link) {
			return fail(resources.ErrGeneric, "vip: %s: start: %s is on %s but the link is down", rsc, cfg.Addr, h.link.Attrs().Name)
		}
		return resources.Outcome{Code: resources.OK, Output: fmt.Sprintf("%s already on %s", cfg.Addr, h.link.Attrs().Name)}
	}
	link, prefix, err := chooseLink(ns, cfg)
	if err != nil {
		return fail(resources.ErrNotConfigured, "vip: %s: start: %v", rsc, err)
	}
	name := link.Attrs().Name
	if !linkUp(link) {
		return fail(resources.ErrGeneric, "vip: %s: start: interface %s is down (state %s): cannot take over %s", rsc, name, link.Attrs().OperState, cfg.Addr)
	}
	label, err := fullLabel(name, cfg.Label)
	if err != nil {
		return fail(resources.ErrNotConfigured, "vip: %s: start: %v", rsc, err)
	}
	if cfg.Addr.Is4() && !cfg.Force && cfg.ProbeTimeout > 0 {
		var other net.HardwareAddr
		err := ns.run(func() error {
			var err error
			other, err = probeARP(ctx, link.Attrs().Index, link.Attrs().HardwareAddr, cfg.Addr, cfg.ProbeTimeout)
			return err
		})
		if err != nil {
			return fail(resources.ErrGeneric, "vip: %s: start: check that no other host holds %s: %v", rsc, cfg.Addr, err)
		}
		if other != nil {
			return fail(resources.ErrGeneric, "vip: %s: start: refusing to take %s on %s: host %s already answers for it; stop it there (or set force=true if that host is known dead)", rsc, cfg.Addr, name, other)
		}
	}
	ad := &netlink.Addr{IPNet: &net.IPNet{IP: net.IP(cfg.Addr.AsSlice()), Mask: net.CIDRMask(prefix, cfg.Addr.BitLen())}, Label: label}
	if cfg.Addr.Is6() && cfg.Force {
		ad.Flags = syscall.IFA_F_NODAD
	}
	t0 := a.clk.Now()
	if err := ns.h.AddrReplace(link, ad); err != nil {
		return fail(resources.ErrGeneric, "vip: %s: start: add %s/%d to %s: %v", rsc, cfg.Addr, prefix, name, err)
	}
	if cfg.Addr.Is6() && !cfg.Force {
		if err := waitDAD(ctx, ns, cfg); err != nil {
			// Whatever went wrong, do not leave a half-configured address.
			_ = ns.h.AddrDel(link, ad)
			return fail(resources.ErrGeneric, "vip: %s: start: %s on %s: %v", rsc, cfg.Addr, name, err)
		}
	}
	if err := announce(ns, link, cfg.Addr, cfg.ARPCount); err != nil {
		// The address is up and will be learned on first contact; a
		// failed announcement is worth a warning, not a failed takeover.
		a.log.Warn("vip: announcement failed", "resource", rsc, "ip", cfg.Addr.String(), "nic", name, "err", err)
	}
	a.scheduleRepeat(rsc, cfg)
	a.log.Info("vip: took over address", "resource", rsc, "ip", cfg.Addr.String(), "nic", name, "took", a.clk.Now().Sub(t0))
	return resources.Outcome{Code: resources.OK, Output: fmt.Sprintf("added %s/%d to %s and announced it", cfg.Addr, prefix, name)}
}

// waitDAD waits until the kernel's duplicate address detection of
// cfg.Addr ends: nil when the address is usable, an error when another
// host holds it or ctx ends first.
func waitDAD(ctx context.Context, ns *nsConn, cfg Config) error {
	for {
		h, err := find(ns, cfg)
		if err != nil {
			return err
		}
		if h == nil {
			return errors.New("address vanished during duplicate address detection")
		}
		if h.addr.Flags&syscall.IFA_F_DADFAILED != 0 {
			return errors.New("refusing: duplicate address detection failed, another host already holds it; stop it there (or set force=true if that host is known dead)")
		}
		if h.addr.Flags&syscall.IFA_F_TENTATIVE == 0 {
			return nil
		}
		// The kernel's DAD runs on real time, so this poll does too.
		t := time.NewTimer(20 * time.Millisecond)
		select {
		case <-ctx.Done():
			t.Stop()
			return fmt.Errorf("duplicate address detection did not finish: %w", context.Cause(ctx))
		case <-t.C:
		}
	}
}
