package controller

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/ward-ha/ward/heartbeat"
	"github.com/ward-ha/ward/policy"
)

// msgVersion is the version of the controller's messages. A receiver
// refuses other versions: the controller's messages change meaning between
// versions, and a mixed cluster must not act on half-understood orders.
const msgVersion = 1

// msgKind names a controller message.
type msgKind string

// The message kinds. Every message carries the sender's highest term.
const (
	msgClaim     msgKind = "claim"      // candidate -> all: grant me Term
	msgVote      msgKind = "vote"       // member -> candidate: Granted or not (Term: its highest)
	msgPing      msgKind = "ping"       // DC -> member: lease request (Seq: DC clock, ns)
	msgPong      msgKind = "pong"       // member -> DC: lease answer (Seq echoed)
	msgStale     msgKind = "stale"      // member -> old DC: you are behind (Term: its highest)
	msgJoin      msgKind = "join"       // new DC -> member: send your state (Epoch: the DC's)
	msgState     msgKind = "state"      // member -> DC: join answer or unsolicited update
	msgAction    msgKind = "action"     // DC -> member: run Action
	msgResult    msgKind = "result"     // member -> DC: outcome of an action
	msgPolicy    msgKind = "policy"     // DC -> member: persist this policy
	msgPolicyAck msgKind = "policy-ack" // member -> DC: persisted (or Error)
	msgFenced    msgKind = "fenced"     // DC -> member: record this fencing result
	msgStatus    msgKind = "status"     // DC -> member: the cluster status and the planned starts (Seq: transition)
	msgViewAck   msgKind = "view-ack"   // member -> DC: status Seq kept (a new DC will learn the planned starts)
)

// message is the wire form of every controller message: JSON, at most
// heartbeat.MaxReliable bytes, version msgVersion. Which fields are set
// depends on Kind; decodeMessage checks them.
type message struct {
	V    int     `json:"v"`
	Kind msgKind `json:"kind"`
	Term uint64  `json:"term"`
	// Seq numbers pings (the DC's clock in ns) and join rounds.
	Seq uint64 `json:"seq,omitempty"`
	// Candidate and Granted: claims and votes.
	Candidate string `json:"candidate,omitempty"`
	Granted   bool   `json:"granted,omitempty"`
	// Epoch is the sender's policy epoch (join, policy, policy-ack).
	Epoch uint64 `json:"epoch,omitempty"`
	// Transition is the transition id of an action or result.
	Transition uint64      `json:"transition,omitempty"`
	Action     *actionMsg  `json:"action,omitempty"`
	Result     *resultMsg  `json:"result,omitempty"`
	State      *nodeReport `json:"state,omitempty"`
	// Source is the policy of a policy message.
	Source []byte `json:"source,omitempty"`
	// CatchUp marks a policy message that brings a member up to the
	// cluster's epoch at its join, as opposed to a policy being applied
	// now (startup.go: its nodes count as start nodes).
	CatchUp bool `json:"catch_up,omitempty"`
	// Fence is a fencing record (fenced).
	Fence *FenceRecord `json:"fence,omitempty"`
	// Status is the DC's view (status).
	Status *clusterView `json:"status,omitempty"`
	// Error explains a refusal.
	Error string `json:"error,omitempty"`
}

// actionMsg is one action to run, self-contained: the member does not
// need the policy to run it.
type actionMsg struct {
	ID       int               `json:"id"`
	Kind     policy.ActionKind `json:"kind"`
	Resource string            `json:"resource,omitempty"`
	Node     string            `json:"node"`
	Agent    string            `json:"agent,omitempty"`
	Params   map[string]string `json:"params,omitempty"`
	Meta     map[string]string `json:"meta,omitempty"`
	// IntervalMS and TimeoutMS in milliseconds.
	IntervalMS int64 `json:"interval_ms,omitempty"`
	TimeoutMS  int64 `json:"timeout_ms,omitempty"`
	// Expect is the code a recurring monitor expects (8 for promoted).
	Expect int `json:"expect,omitempty"`
	// Target is the node to fence (fence actions; Node runs the fencer).
	Target string `json:"target,omitempty"`
	// Boot is the target's boot id, recorded with the fencing result.
	Boot string `json:"boot,omitempty"`
	// NodeBoot is the boot id of Node the DC addresses: another boot of
	// Node refuses the action (replay.go).
	NodeBoot string `json:"node_boot,omitempty"`
	// DeadlineNS is when the DC counts the action failed without a
	// result (Unix ns, the DC's clock, as in its pings): a member whose
	// latest ping from that DC is later refuses it (replay.go).
	DeadlineNS int64 `json:"deadline_ns,omitempty"`
}

// resultMsg is the outcome of one action.
type resultMsg struct {
	ID int  `json:"id"`
	OK bool `json:"ok"`
	// Refused: the member did not run it (stale term, no quorum).
	Refused bool   `json:"refused,omitempty"`
	Error   string `json:"error,omitempty"`
	// Resource is the resource's state on the member after the action.
	Resource *policy.ResourceStatus `json:"resource,omitempty"`
	// Fence is the fencing result of a fence action.
	Fence *FenceRecord `json:"fence,omitempty"`
	// Seq and Boot order Resource against the member's reports: the
	// highest executor sequence number in the resource's history, and the
	// member's boot (seqs.go).
	Seq  uint64 `json:"seq,omitempty"`
	Boot string `json:"boot,omitempty"`
}

// nodeReport is a member's state: what its executor knows (the nodes are
// the truth), its transient attributes, policy epoch, and what it knows
// of other nodes' boots and fencing.
type nodeReport struct {
	Node       string                  `json:"node"`
	Boot       string                  `json:"boot"`
	Started    int64                   `json:"started,omitempty"`
	Resources  []policy.ResourceStatus `json:"resources,omitempty"`
	Attributes map[string]string       `json:"attributes,omitempty"`
	Epoch      uint64                  `json:"epoch"`
	PolicySHA  string                  `json:"policy_sha,omitempty"`
	// Source is set when the member's epoch is above the DC's.
	Source []byte `json:"source,omitempty"`
	// Boots are the latest boots this member saw of each node.
	Boots map[string]bootInfo `json:"boots,omitempty"`
	// Fenced are recent successful fencing records it holds.
	Fenced []FenceRecord `json:"fenced,omitempty"`
	// Flags are the runtime node flags it last heard from a DC, and the
	// term of that DC.
	Flags     map[string]nodeFlags `json:"flags,omitempty"`
	FlagsTerm uint64               `json:"flags_term,omitempty"`
	// View is the last DC view this member kept, with its term.
	View *clusterView `json:"view,omitempty"`
	// Monitors lists the recurring monitors enabled per resource
	// (intervals in ms).
	Monitors map[string][]int64 `json:"monitors,omitempty"`
	// Seqs is, per resource, the highest executor sequence number in its
	// history: the DC keeps the newer of a report and a result that
	// crossed on the wire (seqs.go).
	Seqs map[string]uint64 `json:"seqs,omitempty"`
}

// bootInfo identifies one boot of a node.
type bootInfo struct {
	ID      string `json:"id"`
	Started int64  `json:"started"`
}

// nodeFlags are a node's runtime flags (ward node standby|maintenance).
type nodeFlags struct {
	Standby     bool `json:"standby,omitempty"`
	Maintenance bool `json:"maintenance,omitempty"`
}

// clusterView is what the DC tells members after each change, so that
// `ward status` answers on any node.
type clusterView struct {
	DC         string               `json:"dc"`
	Status     policy.Status        `json:"status"`
	Flags      map[string]nodeFlags `json:"flags,omitempty"`
	Transition *transitionInfo      `json:"transition,omitempty"`
	// Term and Seq order views: the DC's term and its transition id.
	Term uint64 `json:"term"`
	Seq  uint64 `json:"seq"`
	// Pending are the starts and promotions the DC is about to dispatch,
	// or sent without a result, per node: if the DC dies, its successor
	// treats them as possibly done on a node that is lost.
	Pending map[string][]policy.ResourceStatus `json:"pending,omitempty"`
}

// transitionInfo is a transition's progress.
type transitionInfo struct {
	ID     uint64 `json:"id"`
	State  string `json:"state"`
	Done   int    `json:"done"`
	Total  int    `json:"total"`
	Failed int    `json:"failed"`
}

// Bounds of decoded messages.
const (
	maxName       = 255
	maxListLen    = 4096
	maxMapEntries = 1024
)

func encodeMessage(m message) ([]byte, error) {
	m.V = msgVersion
	b, err := json.Marshal(m)
	if err != nil {
		return nil, fmt.Errorf("controller: encode %s message: %w", m.Kind, err)
	}
	if len(b) > heartbeat.MaxReliable {
		return nil, fmt.Errorf("controller: %s message is %d bytes, more than %d", m.Kind, len(b), heartbeat.MaxReliable)
	}
	return b, nil
}

// decodeMessage parses and checks a controller message. It never panics;
// every error names what is wrong.
func decodeMessage(b []byte) (message, error) {
	var m message
	if len(b) > heartbeat.MaxReliable {
		return m, fmt.Errorf("controller: message of %d bytes is more than %d", len(b), heartbeat.MaxReliable)
	}
	if len(bytes.TrimSpace(b)) == 0 {
		return m, errors.New("controller: empty message")
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	if err := dec.Decode(&m); err != nil {
		return message{}, fmt.Errorf("controller: decode message: %w", err)
	}
	if dec.More() {
		return message{}, errors.New("controller: trailing data after the message")
	}
	if m.V != msgVersion {
		return message{}, fmt.Errorf("controller: message version %d is not supported (this node speaks %d); run the same ward version on every node", m.V, msgVersion)
	}
	if err := m.check(); err != nil {
		return message{}, fmt.Errorf("controller: %s message: %w", m.Kind, err)
	}
	return m, nil
}

func (m message) check() error {
	if m.Term == 0 && m.Kind != msgState {
		return errors.New("term 0")
	}
	switch m.Kind {
	case msgClaim:
		return checkName("candidate", m.Candidate)
	case msgVote, msgPing, msgPong, msgStale, msgJoin, msgPolicyAck, msgViewAck:
		return nil
	case msgState:
		if m.State == nil {
			return errors.New("no state")
		}
		return m.State.check()
	case msgAction:
		if m.Action == nil {
			return errors.New("no action")
		}
		return m.Action.check()
	case msgResult:
		if m.Result == nil {
			return errors.New("no result")
		}
		if m.Result.Resource != nil {
			return checkResource(*m.Result.Resource)
		}
		return nil
	case msgCleanup:
		if len(m.Source) > maxListLen*(maxName+1) {
			return errors.New("cleanup: too many resources")
		}
		return nil
	case msgPolicy:
		if m.Epoch == 0 || len(m.Source) == 0 {
			return errors.New("policy without epoch or source")
		}
		return nil
	case msgFenced, msgOpFence, msgOpFenced: // backend_fence.go
		if m.Fence == nil {
			return errors.New("no fencing record")
		}
		return checkName("target", m.Fence.Target)
	case msgStatus:
		if m.Status == nil {
			return errors.New("no status")
		}
		return m.Status.check()
	case msgLeave, msgLeaveAck: // leave.go
		return checkLeave(m)
	case msgKey, msgKeyAck:
		if m.Seq == 0 || len(m.Source) == 0 {
			return errors.New("key request or answer without id or body")
		}
		return nil
	case msgForward, msgForwarded:
		if m.Seq == 0 || len(m.Source) == 0 {
			return errors.New("forwarded request without id or body")
		}
		return nil
	}
	return fmt.Errorf("unknown kind %q", m.Kind)
}

func checkName(field, s string) error {
	if s == "" || len(s) > maxName {
		return fmt.Errorf("%s %.40q: want 1 to %d bytes", field, s, maxName)
	}
	return nil
}

func (a *actionMsg) check() error {
	if a.ID < 0 || a.IntervalMS < 0 || a.TimeoutMS < 0 {
		return fmt.Errorf("action %d: negative id, interval or timeout", a.ID)
	}
	if err := checkName("node", a.Node); err != nil {
		return err
	}
	if len(a.Params) > maxMapEntries || len(a.Meta) > maxMapEntries {
		return fmt.Errorf("action %d: too many params or meta", a.ID)
	}
	switch a.Kind {
	case policy.ActionFence:
		return checkName("target", a.Target)
	case policy.ActionStart, policy.ActionStop, policy.ActionPromote, policy.ActionDemote,
		policy.ActionMonitor, policy.ActionProbe, policy.ActionClearFailcount:
		if err := checkName("resource", a.Resource); err != nil {
			return err
		}
		if a.Kind != policy.ActionClearFailcount && a.Agent == "" {
			return fmt.Errorf("action %d: %s %s has no agent", a.ID, a.Kind, a.Resource)
		}
		if a.Kind == policy.ActionMonitor && a.IntervalMS <= 0 {
			return fmt.Errorf("action %d: recurring monitor of %s without interval", a.ID, a.Resource)
		}
		return nil
	}
	return fmt.Errorf("action %d: unknown kind %q", a.ID, a.Kind)
}

func (r *nodeReport) check() error {
	if err := checkName("node", r.Node); err != nil {
		return err
	}
	if len(r.Resources) > maxListLen || len(r.Attributes) > maxMapEntries || len(r.Boots) > maxMapEntries ||
		len(r.Fenced) > maxListLen || len(r.Flags) > maxMapEntries || len(r.Monitors) > maxMapEntries || len(r.Seqs) > maxMapEntries {
		return fmt.Errorf("state of %s: too many entries", r.Node)
	}
	if r.View != nil {
		if err := r.View.check(); err != nil {
			return fmt.Errorf("state of %s: %w", r.Node, err)
		}
	}
	for _, rs := range r.Resources {
		if err := checkResource(rs); err != nil {
			return fmt.Errorf("state of %s: %w", r.Node, err)
		}
	}
	return nil
}

func checkResource(rs policy.ResourceStatus) error {
	if err := checkName("resource", rs.ID); err != nil {
		return err
	}
	switch rs.Role {
	case policy.RoleUnknown, policy.RoleStopped, policy.RoleStarted, policy.RoleUnpromoted, policy.RolePromoted:
	default:
		return fmt.Errorf("resource %s: unknown role %q", rs.ID, rs.Role)
	}
	if len(rs.Ops) > maxListLen || len(rs.Failures) > maxListLen || rs.FailCount < 0 {
		return fmt.Errorf("resource %s: bad op lists or fail count", rs.ID)
	}
	return nil
}

func (v *clusterView) check() error {
	if len(v.Status.Nodes) > maxListLen || len(v.Pending) > maxMapEntries || len(v.Flags) > maxMapEntries {
		return errors.New("view: too many nodes")
	}
	for _, n := range v.Status.Nodes {
		for _, rs := range n.Resources {
			if err := checkResource(rs); err != nil {
				return fmt.Errorf("view: node %s: %w", n.Name, err)
			}
		}
	}
	for _, rss := range v.Pending {
		for _, rs := range rss {
			if err := checkResource(rs); err != nil {
				return fmt.Errorf("view: pending: %w", err)
			}
		}
	}
	return nil
}

// newer reports whether v is a later view than o.
func (v *clusterView) newer(o *clusterView) bool {
	return o == nil || v.Term > o.Term || (v.Term == o.Term && v.Seq > o.Seq)
}
