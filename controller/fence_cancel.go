package controller

import (
	"context"
	"encoding/hex"
	"time"
)

// This file cancels a fence whose victim came back with a new boot: the
// boot that was to be fenced is gone (the node rebooted), so fencing it
// now would power off a healthy node that is rejoining (in a two-node
// race, the rebooted former primary). A victim that comes back with the
// same boot is still fenced: it was lost while it may have run
// resources, and nothing tells what it did meanwhile.

// fenceRun is a fence running on this node.
type fenceRun struct {
	target, boot string
	cancel       context.CancelFunc
	cancelled    bool
}

// fenceContext returns the context for fencing target (lost in boot),
// cancelled if target shows up with another boot, and the function that
// releases it. Call both on the loop goroutine.
func (c *Controller) fenceContext(ctx context.Context, target, boot string) (context.Context, *fenceRun, func()) {
	l := &c.loop
	fctx, cancel := context.WithCancel(ctx)
	r := &fenceRun{target: target, boot: boot, cancel: cancel}
	l.fences = append(l.fences, r)
	release := func() {
		cancel()
		for i, x := range l.fences {
			if x == r {
				l.fences = append(l.fences[:i], l.fences[i+1:]...)
				break
			}
		}
	}
	c.cancelStaleFences()
	return fctx, r, release
}

// cancelStaleFences cancels fences whose victim is present again in a
// later boot, and ends the cover of a watchdog fence whose victim is back
// (noteWatchdogReturns). Called on every membership change.
func (c *Controller) cancelStaleFences() {
	l := &c.loop
	c.noteWatchdogReturns()
	for _, r := range l.fences {
		if r.cancelled || r.boot == "" {
			continue
		}
		m, ok := l.mem.Member(r.target)
		if !ok || !m.State.Present() || !m.HasMeta {
			continue
		}
		if now := hex.EncodeToString(m.Meta.BootID[:]); now != r.boot {
			r.cancelled = true
			r.cancel()
			c.log.Warn("cancelling a fence: the node came back after a reboot, so the boot to fence is already gone",
				"node", r.target, "fenced_boot", short(r.boot), "new_boot", short(now))
		}
	}
}

// noteWatchdogReturns records when each node was last seen present, and
// forgets the fencing of a node fenced only through the watchdog plugin
// once it is back with the same boot. Watchdog fencing does not end a
// boot (a node that stopped its resources in time stays up): its record
// covers the loss it followed, not a later one, so the next loss of that
// boot makes the node unclean again and it is fenced again. recordFence
// ignores, for the same reason, a watchdog record that started before
// the node was last seen present (a member's history replayed at join).
func (c *Controller) noteWatchdogReturns() {
	l := &c.loop
	now := c.clk.Now()
	for _, m := range l.mem.Members {
		if m.Witness || m.Self || !m.State.Present() {
			continue
		}
		if l.lastPresent == nil {
			l.lastPresent = map[string]time.Time{}
		}
		l.lastPresent[m.Name] = now
		if !m.HasMeta || !watchdogOnly(l.cfg, m.Name) {
			continue
		}
		boot := hex.EncodeToString(m.Meta.BootID[:])
		if l.fencedOK[m.Name][boot] {
			delete(l.fencedOK[m.Name], boot)
			c.log.Info("a node fenced through the watchdog is back with the same boot: that fencing no longer covers a later loss",
				"node", m.Name, "boot", short(boot))
		}
	}
}

// coveredEarlierLoss reports whether r is a watchdog fencing of a node
// seen present since it started: it covered an earlier loss.
func (c *Controller) coveredEarlierLoss(r FenceRecord) bool {
	l := &c.loop
	seen, ok := l.lastPresent[r.Target]
	return ok && watchdogOnly(l.cfg, r.Target) && r.Started.Before(seen)
}
