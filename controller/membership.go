package controller

import (
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/ward-ha/ward/api"
	"github.com/ward-ha/ward/heartbeat"
	"github.com/ward-ha/ward/heartbeat/quorum"
	"github.com/ward-ha/ward/policy"
)

// This file is growing and shrinking the cluster without a restart. The
// heartbeat's node list (admission, re-joins, quorum votes) follows the
// live policy on every node as soon as it persists a new epoch. The DC
// applies a policy that changes the voting membership only one vote at a
// time, only while every node that stays is present and holds the live
// epoch, and never while a node it removes may still run something: so
// at most two configurations are in use at once and any majority of one
// meets any majority of the other (docs/protocol.md, "Growing and
// shrinking"). A node that persists a policy without itself stops.

// ErrRemoved is returned by Run when this node persisted a policy that
// no longer lists it: it takes no further part in the cluster.
var ErrRemoved = errors.New("controller: this node was removed from the cluster's policy")

// membershipState is the controller's part of membership changes; owned
// by the Run goroutine.
type membershipState struct {
	// removed is the epoch of the policy that removed this node (0: it
	// is a member).
	removed uint64
}

// reconfigurer is implemented by *heartbeat.Cluster; test doubles may
// lack it.
type reconfigurer interface {
	Reconfigure(heartbeat.Members) error
	SetJoinState([]byte) error
	TakePeerJoinState() []byte
}

// MembershipConfig returns the heartbeat's node list and quorum options
// for cfg (votes default to 1; wait_for_all defaults to two_node).
func MembershipConfig(cfg *policy.Config) heartbeat.Members {
	m := heartbeat.Members{TwoNode: cfg.Cluster.TwoNode, WaitForAll: cfg.Cluster.TwoNode}
	if cfg.Cluster.WaitForAll != nil {
		m.WaitForAll = *cfg.Cluster.WaitForAll
	}
	for _, n := range cfg.Nodes {
		m.Nodes = append(m.Nodes, heartbeat.NodeSpec{Name: n.Name, Addresses: n.Addresses, Votes: votesOf(n)})
	}
	return m
}

func votesOf(n policy.Node) int {
	if n.Votes != nil {
		return *n.Votes
	}
	return 1
}

// listed reports whether cfg names node.
func listed(cfg *policy.Config, node string) bool {
	return slices.ContainsFunc(cfg.Nodes, func(n policy.Node) bool { return n.Name == node })
}

// followMembership makes the heartbeat follow the live policy: its node
// list and quorum options, and the policy handed to nodes that join. A
// policy without this node marks it removed: Run then returns
// ErrRemoved.
func (c *Controller) followMembership() {
	l := &c.loop
	if !listed(l.cfg, c.node) {
		c.mship.removed = l.pol.Epoch
		c.log.Error("this node was removed from the cluster: the live policy no longer lists it; it stops taking part",
			"node", c.node, "epoch", l.pol.Epoch)
		return
	}
	r, ok := c.cl.(reconfigurer)
	if !ok {
		return
	}
	if err := r.Reconfigure(MembershipConfig(l.cfg)); err != nil {
		c.log.Error("the heartbeat could not follow the live policy's node list", "epoch", l.pol.Epoch, "err", err)
	}
	if err := r.SetJoinState(EncodeJoinState(l.pol.Epoch, l.pol.Source)); err != nil {
		c.log.Warn("the live policy is too large to hand to joining nodes; start them with --policy instead of --join", "epoch", l.pol.Epoch, "err", err)
	}
}

// checkPeerPolicy looks at the policy a member handed over when this
// node joined it: if it is newer and no longer lists this node, this
// node was removed while it was away (the others refuse it, yet
// memberlist lets it see them and count their votes). It saves that
// policy, so that the daemon refuses to start again on this state, and
// stops. A newer policy that lists this node is left to the DC's join.
func (c *Controller) checkPeerPolicy() {
	l := &c.loop
	r, ok := c.cl.(reconfigurer)
	if !ok {
		return
	}
	b := r.TakePeerJoinState()
	if b == nil {
		return
	}
	epoch, src, err := DecodeJoinState(b)
	if err != nil {
		c.log.Debug("ignoring a member's join state", "err", err)
		return
	}
	if epoch <= l.pol.Epoch {
		return
	}
	cfg, err := policy.Parse("policy.toml", src)
	if err != nil || listed(cfg, c.node) {
		return
	}
	if err := c.store.SavePolicy(epoch, src); err != nil {
		c.log.Error("cannot save the newer policy that removed this node", "epoch", epoch, "err", err)
	}
	c.log.Warn("a member holds a newer policy that no longer lists this node: it was removed while away", "epoch", epoch, "this_epoch", l.pol.Epoch)
	c.adopt(cfg, PolicyState{Epoch: epoch, Source: src, SHA256: policyHash(src)}, false)
}

// removedErr returns ErrRemoved (with the epoch) once this node was
// removed.
func (c *Controller) removedErr() error {
	if c.mship.removed == 0 {
		return nil
	}
	return fmt.Errorf("%w (policy epoch %d)", ErrRemoved, c.mship.removed)
}

// memberChange describes how a policy changes the voting membership.
type memberChange struct {
	added, removed, staying []string
	// votes is the sum over all nodes of |new votes - old votes|.
	votes   int
	options bool // two_node or wait_for_all changed
}

func (d memberChange) changed() bool {
	return len(d.added) > 0 || len(d.removed) > 0 || d.votes > 0 || d.options
}

func diffMembership(from, to *policy.Config) memberChange {
	var d memberChange
	old := map[string]int{}
	for _, n := range from.Nodes {
		old[n.Name] = votesOf(n)
	}
	seen := map[string]bool{}
	for _, n := range to.Nodes {
		seen[n.Name] = true
		v, ok := old[n.Name]
		if !ok {
			d.added = append(d.added, n.Name)
		} else {
			d.staying = append(d.staying, n.Name)
		}
		d.votes += abs(votesOf(n) - v)
	}
	for _, n := range from.Nodes {
		if !seen[n.Name] {
			d.removed = append(d.removed, n.Name)
			d.votes += old[n.Name]
		}
	}
	a, b := MembershipConfig(from), MembershipConfig(to)
	d.options = a.TwoNode != b.TwoNode || a.WaitForAll != b.WaitForAll
	sort.Strings(d.added)
	sort.Strings(d.removed)
	sort.Strings(d.staying)
	return d
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

// checkMembershipChange refuses, on the DC, a policy whose membership
// change is not safe now (api code conflict, with what to do).
func (c *Controller) checkMembershipChange(to *policy.Config) error {
	l := &c.loop
	d := diffMembership(l.cfg, to)
	if !d.changed() {
		return nil
	}
	refuse := func(format string, args ...any) error {
		return api.Errorf(api.CodeConflict, "membership change refused: "+format, args...)
	}
	if d.votes > 1 {
		return refuse("this policy changes the quorum votes by %d (added %v, removed %v): change the voting membership one vote at a time (apply, wait until `ward status` shows every node, apply the next step); a larger step could let two partitions both have quorum",
			d.votes, d.added, d.removed)
	}
	for _, n := range d.staying {
		if n == c.node {
			continue
		}
		if !l.present(n) {
			return refuse("node %s is not up: every node that stays must be up and hold the live policy before the membership changes (or remove %s first, in its own step)", n, n)
		}
		if r := l.joined[n]; r == nil || r.Epoch != l.pol.Epoch {
			return refuse("node %s has not confirmed the live policy (epoch %d) yet: retry in a few seconds", n, l.pol.Epoch)
		}
	}
	for _, x := range d.removed {
		if x == c.node {
			return refuse("this node (%s) is the DC and the policy removes it: a DC cannot remove itself. Move its resources away (ward node standby %s --wait), stop ward on it, and once `ward status` shows it offline (or fenced), apply the policy again on the new DC", x, x)
		}
		if held := c.heldBy(x); len(held) > 0 {
			return refuse("node %s still runs %s: move its resources away first (ward node standby %s --wait, or standby = true for it in the policy), then apply the policy that removes it", x, strings.Join(held, ", "), x)
		}
		if l.present(x) && l.joined[x] == nil {
			return refuse("node %s has not reported its resources yet: retry in a few seconds", x)
		}
		if !l.present(x) && c.unclean(x) {
			return refuse("node %s is lost and not fenced: it may still run resources; wait until the cluster has fenced it (ward status, fencing history), then apply again", x)
		}
	}
	q := quorum.Config{Votes: map[string]int{}, TwoNode: to.Cluster.TwoNode}
	for _, n := range to.Nodes {
		q.Votes[n.Name] = votesOf(n)
	}
	var present []string
	for _, m := range l.mem.Members {
		if m.Witness {
			q.Witness = true
		} else if m.State.Present() {
			present = append(present, m.Name)
		}
	}
	if r := q.Evaluate(quorum.Input{Alive: present, SeenAll: true, WitnessGranted: l.mem.WitnessGranted}); !r.Quorate {
		return refuse("with this policy the nodes up now would hold %d of %d votes, %d needed: the cluster would lose quorum", r.Votes, r.Total, r.Needed)
	}
	return nil
}

// forgetFlags drops the runtime flags (standby, maintenance) of removed
// nodes, as Pacemaker purges a removed node's attributes: a node added
// back later starts without the standby that drained it. The flags are
// versioned by term, as SetNode does.
func (c *Controller) forgetFlags(removed []string) {
	l := &c.loop
	nf := map[string]nodeFlags{}
	drop := false
	for k, v := range l.flags {
		if slices.Contains(removed, k) {
			drop = true
			continue
		}
		nf[k] = v
	}
	if drop {
		l.flags, l.flagsTerm = nf, l.myTerm
	}
}

// heldBy lists what node x may run, as the DC knows it: its report's
// active resources and the starts sent to it without a result.
func (c *Controller) heldBy(x string) []string {
	l := &c.loop
	set := map[string]bool{}
	if r := l.joined[x]; r != nil && l.present(x) {
		for _, rs := range r.Resources {
			if active(rs) {
				set[rs.ID] = true
			}
		}
	}
	for id, rs := range l.maybe[x] {
		if active(rs) {
			set[id] = true
		}
	}
	out := make([]string, 0, len(set))
	for id := range set {
		out = append(out, id)
	}
	sort.Strings(out)
	return out
}
