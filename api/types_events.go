package api

import "time"

// EventKind names what an Event records.
type EventKind string

// The event kinds. Alert recipients choose among them.
const (
	EventNode       EventKind = "node"       // a node's state or flags changed
	EventQuorum     EventKind = "quorum"     // the partition gained or lost quorum
	EventDC         EventKind = "dc"         // a DC was elected or lost
	EventPolicy     EventKind = "policy"     // a new policy epoch is live
	EventTransition EventKind = "transition" // a transition started or ended
	EventResource   EventKind = "resource"   // a resource started, stopped, moved, changed role
	EventFailure    EventKind = "failure"    // an operation failed
	EventFencing    EventKind = "fencing"    // a node was fenced (or fencing failed)
)

// EventKinds lists every event kind, in a stable order.
var EventKinds = []EventKind{EventNode, EventQuorum, EventDC, EventPolicy, EventTransition, EventResource, EventFailure, EventFencing}

// Event is one entry of the event log: something that changed in the
// cluster, as the recording node observed it.
type Event struct {
	// Seq numbers events on the recording node, from 1, without gaps;
	// it survives restarts.
	Seq uint64    `json:"seq"`
	At  time.Time `json:"at"`
	// Kind is what the event is about.
	Kind EventKind `json:"kind"`
	// Node and Resource are the node and resource concerned, if any.
	Node     string `json:"node,omitempty"`
	Resource string `json:"resource,omitempty"`
	// From and To are the state before and after ("online" →
	// "unclean", "Started@n1" → "Started@n2"), when it is a change.
	From string `json:"from,omitempty"`
	To   string `json:"to,omitempty"`
	// Message describes the event for an operator.
	Message string `json:"message"`
	// Severity is "info", "warning" or "critical".
	Severity string `json:"severity"`
	// Wanted is set on resource events: the policy wants the resource
	// running (its target role is not Stopped, it is managed). The
	// availability report counts downtime only while it is wanted.
	Wanted *bool `json:"wanted,omitempty"`
}

// The event severities.
const (
	SeverityInfo     = "info"
	SeverityWarning  = "warning"
	SeverityCritical = "critical"
)

// EventQuery selects events: GET /v1/events?after=SEQ&since=RFC3339&
// resource=R&node=N&kind=K&limit=N.
type EventQuery struct {
	// After returns only events with a Seq above it (for following).
	After uint64
	// Since returns only events at or after it.
	Since time.Time
	// Resource, Node and Kind filter when not empty.
	Resource string
	Node     string
	Kind     EventKind
	// Limit keeps the last Limit events (0: every one).
	Limit int
}

// Match reports whether e passes q's filters (not Limit).
func (q EventQuery) Match(e Event) bool {
	switch {
	case e.Seq <= q.After:
		return false
	case !q.Since.IsZero() && e.At.Before(q.Since):
		return false
	case q.Resource != "" && e.Resource != q.Resource && baseOf(e.Resource) != q.Resource:
		return false
	case q.Node != "" && e.Node != q.Node:
		return false
	case q.Kind != "" && e.Kind != q.Kind:
		return false
	}
	return true
}

// baseOf strips a clone instance suffix ("web:1" → "web").
func baseOf(id string) string {
	for i := len(id) - 1; i > 0; i-- {
		if id[i] == ':' {
			return id[:i]
		}
		if id[i] < '0' || id[i] > '9' {
			return id
		}
	}
	return id
}

// Events is the answer to GET /v1/events.
type Events struct {
	// Events are the matching events, oldest first.
	Events []Event `json:"events"`
	// Last is the highest Seq recorded (pass it as after= to follow).
	Last uint64 `json:"last"`
}
