package heartbeat

import (
	"time"

	"github.com/ward-ha/ward/heartbeat/quorum"
)

// State is a member's liveness as this node sees it.
type State int

// The states, from least to most alive.
const (
	// StateUnknown: not seen since this daemon started.
	StateUnknown State = iota
	// StateDead: declared dead (or left) on every link.
	StateDead
	// StateSuspect: this node's probes of it failed on every link where
	// it was alive, and memberlist has not declared it dead yet.
	StateSuspect
	// StateAlive: alive on at least one link.
	StateAlive
)

// String returns the state's lowercase name.
func (s State) String() string {
	switch s {
	case StateUnknown:
		return "unknown"
	case StateDead:
		return "dead"
	case StateSuspect:
		return "suspect"
	case StateAlive:
		return "alive"
	}
	return "invalid"
}

// Present reports whether the member counts as present (alive or
// suspect): memberlist keeps suspect nodes as members until declared
// dead, and so does quorum.
func (s State) Present() bool { return s == StateAlive || s == StateSuspect }

// LinkState is a member's state on one link.
type LinkState struct {
	// Link is the link's index (the index in the node's address list).
	Link int
	// Addr is the member's address on the link ("host:port").
	Addr string
	// State is the member's state on that link.
	State State
}

// Member is one configured node (or the witness) in a Membership.
type Member struct {
	// Name is the node name.
	Name string
	// State aggregates the links: alive if alive on any link, suspect if
	// suspect on one and alive on none, dead once dead on all links it
	// was seen on, unknown if never seen.
	State State
	// Links holds the state on each link the member has an address on
	// (and this node too).
	Links []LinkState
	// Meta is the member's last known metadata; HasMeta is false until
	// the member was seen with a valid one.
	Meta    Meta
	HasMeta bool
	// Since is when State last changed, on this node's clock.
	Since time.Time
	// Votes is the member's configured quorum votes.
	Votes int
	// Witness marks the witness.
	Witness bool
	// Self marks this node.
	Self bool
}

// Membership is a snapshot of the cluster as this node sees it. It is a
// value: the caller owns it and its slices.
type Membership struct {
	// Version grows by one with every change of the snapshot.
	Version uint64
	// Self is this node's name.
	Self string
	// Members is every configured node (and the witness, if configured),
	// sorted by name.
	Members []Member
	// Quorum is the quorum of this node's partition, evaluated over the
	// configured votes.
	Quorum quorum.Result
	// SeenAll reports whether every configured node was alive at the same
	// time since this daemon started (wait_for_all).
	SeenAll bool
	// WitnessGranted reports the witness vote as last set.
	WitnessGranted bool
}

// Member returns the named member.
func (m Membership) Member(name string) (Member, bool) {
	for _, x := range m.Members {
		if x.Name == name {
			return x, true
		}
	}
	return Member{}, false
}

// Present returns the names of the members that are alive or suspect,
// sorted.
func (m Membership) Present() []string {
	var out []string
	for _, x := range m.Members {
		if x.State.Present() {
			out = append(out, x.Name)
		}
	}
	return out
}

// clone returns a deep copy of m.
func (m Membership) clone() Membership {
	out := m
	out.Members = make([]Member, len(m.Members))
	for i, x := range m.Members {
		x.Links = append([]LinkState(nil), x.Links...)
		out.Members[i] = x
	}
	return out
}

// sameAs reports whether m and o describe the same membership, ignoring
// Version.
func (m Membership) sameAs(o Membership) bool {
	if m.Quorum != o.Quorum || m.SeenAll != o.SeenAll || m.WitnessGranted != o.WitnessGranted || len(m.Members) != len(o.Members) {
		return false
	}
	for i := range m.Members {
		a, b := m.Members[i], o.Members[i]
		if a.Name != b.Name || a.State != b.State || a.Meta != b.Meta || a.HasMeta != b.HasMeta || !a.Since.Equal(b.Since) || len(a.Links) != len(b.Links) {
			return false
		}
		for j := range a.Links {
			if a.Links[j] != b.Links[j] {
				return false
			}
		}
	}
	return true
}
