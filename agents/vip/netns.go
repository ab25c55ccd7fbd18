package vip

import (
	"errors"
	"fmt"
	"io/fs"
	"runtime"

	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
)

// errNoNamespace is returned by openNS when the named namespace does not
// exist.
var errNoNamespace = errors.New("network namespace does not exist")

// nsConn is a netlink handle in one namespace (the current one when name
// is empty), with the namespace's handle for socket work.
type nsConn struct {
	name string
	ns   netns.NsHandle // closed (-1) for the current namespace
	h    *netlink.Handle
}

func openNS(name string) (*nsConn, error) {
	if name == "" {
		h, err := netlink.NewHandle()
		if err != nil {
			return nil, fmt.Errorf("open netlink: %w", err)
		}
		return &nsConn{ns: netns.None(), h: h}, nil
	}
	ns, err := netns.GetFromName(name)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("netns %s: %w", name, errNoNamespace)
		}
		return nil, fmt.Errorf("netns %s: %w", name, err)
	}
	h, err := netlink.NewHandleAt(ns)
	if err != nil {
		ns.Close()
		return nil, fmt.Errorf("netns %s: open netlink: %w", name, err)
	}
	return &nsConn{name: name, ns: ns, h: h}, nil
}

func (c *nsConn) Close() {
	c.h.Close()
	if c.ns.IsOpen() {
		c.ns.Close()
	}
}

// run calls fn inside the namespace: on a goroutine locked to its OS
// thread, switched into the namespace and never unlocked, so that the
// thread is discarded when the goroutine ends and no other goroutine
// ever runs in the wrong namespace. In the current namespace fn runs
// directly. run blocks until fn returns.
func (c *nsConn) run(fn func() error) error {
	if !c.ns.IsOpen() {
		return fn()
	}
	errc := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		// No UnlockOSThread: the thread dies with the goroutine.
		if err := netns.Set(c.ns); err != nil {
			errc <- fmt.Errorf("netns %s: enter: %w", c.name, err)
			return
		}
		errc <- fn()
	}()
	return <-errc
}
