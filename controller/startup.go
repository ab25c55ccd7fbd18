package controller

import (
	"fmt"
	"strings"

	"github.com/ward-ha/ward/policy"
)

// This file is startup fencing (Pacemaker's startup-fencing): a node of
// the policy that nobody in the cluster has seen since this daemon
// started is unclean once the cold-start wait (join.go settling) is
// over, and is fenced before anything that could run there runs
// elsewhere.
//
// Why: boots and views are not persisted. After a stop of the whole
// cluster (every daemon killed or crashed, the resources left running), a
// node whose daemon does not come back knows nothing of it, and neither
// does anybody else; without startup fencing it would be offline and its
// promoted database could be promoted again on another node (Found 7 in
// docs/reliability.md, the sim test TestColdStartFencesAnAbsentNode).
//
// How: the DC gives such a node a placeholder boot ("startup:" followed
// by the DC's name and its own boot id, unique to this daemon's run), so
// the ordinary machinery applies unchanged: unclean (snapshot.go) is a
// known boot that no fencing covers and that did not leave cleanly, the
// fence carries the placeholder as the boot to fence, and its success
// makes the node clean (fencedOK). A real boot of the node replaces the
// placeholder as soon as gossip shows it (mergeBoot keeps the latest
// start; a placeholder starts at 0), and a fence still waiting is then
// cancelled (fence_cancel.go): the node is up and will report what it
// runs. Members learn a placeholder from the DC's announcement of its
// successful fence (onFenced), so a later DC does not fence the node
// again; a record replayed from a persisted history at a later cold
// start names another run's placeholder and covers nothing.

// startupBootPrefix starts every placeholder boot id.
const startupBootPrefix = "startup:"

// isStartupBoot reports whether boot is a startup-fencing placeholder.
func isStartupBoot(boot string) bool { return strings.HasPrefix(boot, startupBootPrefix) }

// startupFencing reports whether cfg asks for startup fencing: fencing
// enabled and startup_fencing not turned off.
func startupFencing(cfg *policy.Config) bool {
	return stonith(cfg) && (cfg.Cluster.StartupFencing == nil || *cfg.Cluster.StartupFencing)
}

// noteStartNodes records the nodes of the policy this daemon started
// with (and, noteCatchUpNodes, of a policy it caught up with during the
// cold-start wait). Startup fencing applies to them only: a node added
// later by `ward policy apply` is a new machine that never ran anything
// here.
func (c *Controller) noteStartNodes() {
	c.startNodes = map[string]bool{}
	for _, n := range c.loop.cfg.Nodes {
		c.startNodes[n.Name] = true
	}
}

// noteCatchUpNodes adds the nodes of a policy this daemon caught up with
// at a join during the cold-start wait (adopt with catchUp: the policy
// was applied while it was away, not during its run) to the start nodes.
// Without this, a daemon that started on an older epoch and became DC at
// a cold start would not startup-fence a node added while it was away.
// After the wait, a node that ran anything was seen by the members that
// stayed, so its boot is known without this.
func (c *Controller) noteCatchUpNodes() {
	if c.startNodes == nil || c.clk.Now().Sub(c.runSince) >= c.settle {
		return
	}
	for _, n := range c.loop.cfg.Nodes {
		c.startNodes[n.Name] = true
	}
}

// markUnseen gives every node of the start policy that nobody has seen a
// placeholder boot, once the cold-start wait is over. DC only, called
// after settling() found nothing to wait for.
func (c *Controller) markUnseen() {
	l := &c.loop
	if !startupFencing(l.cfg) {
		return
	}
	now := c.clk.Now()
	if now.Sub(c.runSince) < c.settle {
		return
	}
	for _, n := range l.cfg.Nodes {
		if n.Name == c.node || !c.startNodes[n.Name] || l.present(n.Name) {
			continue
		}
		if _, known := l.boots[n.Name]; known {
			continue
		}
		c.giveStartupBoot(n.Name)
		l.dirty = true
		c.log.Warn("STARTUP FENCING: a node of the policy has not been seen since the cluster started; "+
			"it may still run resources its daemon left behind, so it will be fenced before they may run elsewhere "+
			"(start its ward daemon to avoid this; if no device can reach it and you have checked it is off, run ward fence confirm NODE; "+
			"set cluster.startup_fencing = false only if nodes that are down are always powered off)",
			"node", n.Name, "waited", c.settle, "dc", c.node)
	}
}

// learnStartupBoot takes the placeholder boot of a successful startup
// fence the DC announced, when this node knows no boot of the target.
func (c *Controller) learnStartupBoot(r FenceRecord) {
	l := &c.loop
	if !r.OK || !isStartupBoot(r.Boot) {
		return
	}
	if _, known := l.boots[r.Target]; known {
		return
	}
	l.boots[r.Target] = bootInfo{ID: r.Boot}
	l.bootLearned[r.Target] = c.clk.Now()
}

// giveStartupBoot gives node, of which no boot is known, a new
// placeholder boot, unique to this DC's run (its own boot id), and
// returns it.
func (c *Controller) giveStartupBoot(node string) bootInfo {
	l := &c.loop
	own := c.currentBoot(c.node, "")
	if own == "" {
		own = fmt.Sprint(c.runSince.UnixNano())
	}
	b := bootInfo{ID: startupBootPrefix + c.node + ":" + short(own)}
	l.boots[node] = b
	l.bootLearned[node] = c.clk.Now()
	return b
}
