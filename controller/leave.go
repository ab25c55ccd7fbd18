package controller

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/ward-ha/ward/policy"
)

// This file is the clean leave (docs/protocol.md, "Leaving"): a daemon
// stopped with SIGTERM first has its resources moved away, then tells
// every member that this boot leaves and what still runs here (only
// what maintenance leaves unmanaged), and starts nothing more. A DC
// that holds that record for the node's current boot does not count the
// node unclean once it is gone: it lists the node offline with what the
// record says still runs, so the scheduler fences it only if one of
// those resources is managed (maintenance turned off while the node is
// away), and nothing starts elsewhere meanwhile. A node lost without
// such a record, or with a start or promotion sent to it without a
// result, is unclean as before.
//
// Why a record cannot hide a running resource: the leaving node refuses
// every start and promotion from the moment it begins to leave, waits
// for the actions it runs to end, and lists in the record whatever its
// executor still shows active; the record is bound to its boot id (a
// later boot is a new node) and it travels in a replay-protected
// message that only the node itself sends (a message from another name
// is dropped). A DC that did not receive it fences as before.

const (
	msgLeave    msgKind = "leave"     // leaving node -> every member: State: its boot and what still runs
	msgLeaveAck msgKind = "leave-ack" // member -> leaving node: recorded (State: node and boot echoed)

	// ShutdownAttr is the transient node attribute a leaving node sets
	// (Pacemaker's "shutdown"): the scheduler moves its resources away.
	ShutdownAttr = "shutdown"
)

// leaveState is this controller's part of clean leaves; owned by the Run
// goroutine.
type leaveState struct {
	// leaving: this node is shutting down; it starts and promotes
	// nothing more in this boot.
	leaving bool
	// acks: members that recorded this node's leave.
	acks map[string]bool
	// left: the clean leaves other nodes announced, by node.
	left map[string]leaveRecord
}

// leaveRecord is a node's announced clean leave.
type leaveRecord struct {
	Boot      string
	Resources []policy.ResourceStatus
}

// checkLeave validates a leave or leave-ack message.
func checkLeave(m message) error {
	if m.State == nil {
		return errors.New("no node and boot")
	}
	if err := checkName("node", m.State.Node); err != nil {
		return err
	}
	if m.State.Boot == "" {
		return errors.New("no boot id")
	}
	if m.Kind == msgLeave {
		return m.State.check()
	}
	return nil
}

// Shutdown makes this node leave the cluster cleanly: it starts nothing
// more, asks the DC (through its report's "shutdown" attribute) to move
// its managed resources away, waits until none runs here (resources left
// unmanaged by maintenance stay running), then announces its leave to
// every member and waits briefly for their acknowledgement. When ctx
// ends first it announces what still runs anyway: the DC then fences
// this node before those resources start elsewhere. Call Shutdown before
// canceling Run's context; it returns nil once the leave is announced,
// or an error saying what still ran.
func (c *Controller) Shutdown(ctx context.Context) error {
	// Starting to leave and announcing it get their own short bound:
	// ctx may be over already (a zero timeout, a second signal), and an
	// unannounced leave costs a fence.
	bctx, bcancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Second)
	err := c.onLoop(bctx, func(context.Context) { c.beginLeave() })
	bcancel()
	if err != nil {
		return fmt.Errorf("controller: shutdown: %w", err)
	}
	t := c.clk.NewTimer(c.tick)
	defer t.Stop()
	for {
		var ready bool
		if err := c.onLoop(ctx, func(context.Context) { ready, _ = c.readyToLeave() }); err != nil || ready {
			break
		}
		select {
		case <-ctx.Done():
		case <-t.C():
			t.Reset(c.tick)
			continue
		}
		break
	}
	actx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Second)
	defer cancel()
	var expect []string
	var why string // what still runs that the cluster manages
	if err := c.onLoop(actx, func(ctx context.Context) {
		_, why = c.readyToLeave()
		expect = c.announceLeave(ctx)
	}); err != nil {
		return fmt.Errorf("controller: shutdown: announce the leave: %w", err)
	}
	for {
		var missing []string
		if err := c.onLoop(actx, func(context.Context) { missing = c.leaveUnacked(expect) }); err != nil || len(missing) == 0 {
			break
		}
		select {
		case <-actx.Done():
			c.log.Warn("leaving without every member's acknowledgement: a DC that did not record the leave fences this node",
				"missing", strings.Join(missing, ","))
		case <-t.C():
			t.Reset(c.tick)
			continue
		}
		break
	}
	if why != "" {
		return fmt.Errorf("controller: shutdown: left while %s: the DC fences this node before those resources start elsewhere", why)
	}
	return nil
}

// onLoop runs fn on the loop and waits until it ran.
func (c *Controller) onLoop(ctx context.Context, fn func(context.Context)) error {
	ran := make(chan struct{})
	if err := c.call(ctx, func(ctx context.Context) { fn(ctx); close(ran) }); err != nil {
		return err
	}
	select {
	case <-ran:
		return nil
	case <-c.done:
		return errors.New("controller: stopped")
	case <-ctx.Done():
		return ctx.Err()
	}
}

// beginLeave stops accepting starts and promotions and tells the DC
// this node is shutting down.
func (c *Controller) beginLeave() {
	l := &c.loop
	if c.leave.leaving {
		return
	}
	c.leave.leaving = true
	l.attrs[ShutdownAttr] = strconv.FormatInt(c.clk.Now().Unix(), 10)
	l.reportDirty = true
	l.dirty = true
	c.log.Info("shutting down: moving this node's resources away before leaving the cluster (resources under maintenance stay running)")
}

// readyToLeave reports whether this node runs nothing the cluster
// manages (and nothing in flight), or else what it still waits for.
func (c *Controller) readyToLeave() (bool, string) {
	l := &c.loop
	if len(l.inflight) > 0 {
		var ids []string
		for id, k := range l.inflight {
			ids = append(ids, string(k)+" "+id)
		}
		sort.Strings(ids)
		return false, "actions still ran here: " + strings.Join(ids, ", ")
	}
	var managed []string
	for _, rs := range c.leaveResources() {
		// The DC moves only what it manages: a resource with
		// is_managed = false (or under maintenance) stays running and
		// is listed in the leave record; waiting for it would only
		// use up the shutdown timeout.
		if !c.unmanagedHere() && l.cfg.Managed(rs.ID) {
			managed = append(managed, rs.ID)
		}
	}
	if len(managed) == 0 {
		return true, ""
	}
	why := "managed resources still ran here: " + strings.Join(managed, ", ")
	if l.dcName == "" || !l.mem.Quorum.Quorate {
		// No DC will move them: waiting changes nothing.
		return true, why
	}
	return false, why
}

// unmanagedHere reports whether maintenance leaves this node's
// resources unmanaged: the cluster's or this node's (policy or runtime
// flag, as the DC last sent them).
func (c *Controller) unmanagedHere() bool {
	l := &c.loop
	if l.cfg.Cluster.Maintenance {
		return true
	}
	for _, n := range l.cfg.Nodes {
		if n.Name == c.node && n.Maintenance {
			return true
		}
	}
	if l.isDC {
		return l.flags[c.node].Maintenance
	}
	return l.view != nil && l.view.Flags[c.node].Maintenance
}

// leaveResources lists what this node's executor shows active (starts
// in flight included).
func (c *Controller) leaveResources() []policy.ResourceStatus {
	var out []policy.ResourceStatus
	for _, rs := range c.report(false).Resources {
		if active(rs) {
			out = append(out, policy.ResourceStatus{ID: rs.ID, Role: rs.Role, FailedStop: rs.FailedStop})
		}
	}
	return out
}

// announceLeave sends this boot's leave to every present member (itself
// included, for when it is the DC) and returns who must acknowledge it.
func (c *Controller) announceLeave(ctx context.Context) []string {
	l := &c.loop
	c.leave.leaving = true
	c.leave.acks = map[string]bool{}
	r := &nodeReport{Node: c.node, Boot: c.currentBoot(c.node, ""), Resources: c.leaveResources(), Epoch: l.pol.Epoch}
	if r.Boot == "" {
		return nil
	}
	var ids []string
	for _, rs := range r.Resources {
		ids = append(ids, rs.ID)
	}
	c.log.Info("leaving the cluster", "still_running", strings.Join(ids, ","))
	term := max(c.store.Term().Seen, 1)
	var expect []string
	for _, n := range l.presentNodes() {
		if n == c.node {
			continue
		}
		expect = append(expect, n)
		c.send(ctx, n, message{Kind: msgLeave, Term: term, State: r})
	}
	return expect
}

// leaveUnacked returns the members of expect that did not acknowledge
// the leave and are still present.
func (c *Controller) leaveUnacked(expect []string) []string {
	var out []string
	for _, n := range expect {
		if !c.leave.acks[n] && c.loop.present(n) {
			out = append(out, n)
		}
	}
	return out
}

// onLeave records a member's clean leave and acknowledges it.
func (c *Controller) onLeave(ctx context.Context, from string, m message) {
	l := &c.loop
	r := m.State
	if r.Node != from {
		c.log.Warn("dropping a leave sent for another node", "from", from, "node", r.Node)
		return
	}
	if b := c.currentBoot(from, ""); b != r.Boot {
		c.log.Warn("dropping a leave of another boot of the node (a replay, or the node restarted)", "node", from,
			"boot", short(r.Boot), "current", short(b))
		return
	}
	if c.leave.left == nil {
		c.leave.left = map[string]leaveRecord{}
	}
	c.leave.left[from] = leaveRecord{Boot: r.Boot, Resources: cloneResources(r.Resources)}
	var ids []string
	for _, rs := range r.Resources {
		ids = append(ids, rs.ID)
	}
	c.log.Info("node is leaving the cluster cleanly", "node", from, "boot", short(r.Boot), "still_running", strings.Join(ids, ","))
	l.dirty = true
	c.send(ctx, from, message{Kind: msgLeaveAck, Term: m.Term, State: &nodeReport{Node: from, Boot: r.Boot}})
}

// onLeaveAck counts a member's acknowledgement of this node's leave.
func (c *Controller) onLeaveAck(from string, m message) {
	if m.State.Node != c.node || m.State.Boot != c.currentBoot(c.node, "") || c.leave.acks == nil {
		return
	}
	c.leave.acks[from] = true
}

// cleanLeave returns the clean leave recorded for node's current boot
// (as this node knows it), if the node may be taken as cleanly gone: no
// start or promotion was sent to it without a result.
func (c *Controller) cleanLeave(node string) (leaveRecord, bool) {
	l := &c.loop
	rec, ok := c.leave.left[node]
	b, seen := l.boots[node]
	if !ok || !seen || rec.Boot != b.ID || len(l.maybe[node]) > 0 {
		return leaveRecord{}, false
	}
	return rec, true
}

// refuseWhileLeaving refuses a start or promotion once this node is
// shutting down; it reports whether it did.
func (c *Controller) refuseWhileLeaving(ctx context.Context, from string, m message) bool {
	a := m.Action
	if !c.leave.leaving || (a.Kind != policy.ActionStart && a.Kind != policy.ActionPromote) {
		return false
	}
	c.log.Warn("refusing an action: this node is shutting down", "from", from, "action", a.Kind, "resource", a.Resource)
	c.send(ctx, from, message{Kind: msgResult, Term: max(c.store.Term().Seen, m.Term), Transition: m.Transition,
		Result: &resultMsg{ID: a.ID, Refused: true, Error: "node " + c.node + " is shutting down"}})
	return true
}
