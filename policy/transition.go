package policy

import "time"

// This file holds the scheduler's output types: what Schedule answers.

// Transition is the scheduler's answer for one input: the actions to run
// with their ordering, the placement they lead to, the nodes to fence,
// when to call Schedule again, and the score table behind each decision.
type Transition struct {
	// Actions to run, in a deterministic order (IDs are indexes).
	Actions []Action `json:"actions"`
	// Edges order the actions: After may begin only when Before is done.
	Edges []Edge `json:"edges"`
	// Placements is every active primitive instance once all actions
	// succeeded, sorted by resource, role and node.
	Placements []Placement `json:"placements"`
	// Fenced lists the nodes this transition fences, sorted.
	Fenced []string `json:"fenced"`
	// Nodes is the state of each configured node afterwards, sorted by
	// name (fenced nodes are offline).
	Nodes []NodeOutcome `json:"nodes"`
	// Failed lists primitive instances still failed afterwards (blocked,
	// unmanaged or not recovered).
	Failed []FailedInstance `json:"failed"`
	// NextRecheck is the earliest instant at which a date rule or a
	// failure timeout can change the answer; nil when nothing will.
	NextRecheck *time.Time `json:"next_recheck,omitempty"`
	// Warnings are things an operator should know (nothing can run,
	// fencing disabled with an unclean node, ...), sorted.
	Warnings []string `json:"warnings,omitempty"`

	// tables holds what the score tables are built from, on demand (they
	// hold one entry per resource and node: too big to build on every
	// scheduling run when nobody reads them).
	tables *sched
}

// Scores returns the score table of every resource (primitive, group and
// clone), sorted by resource ID. It builds them on each call; it is safe
// for concurrent use.
func (t Transition) Scores() []ResourceScores {
	if t.tables == nil {
		return nil
	}
	out := make([]ResourceScores, 0, len(t.tables.byID))
	for _, ri := range t.tables.byID {
		out = append(out, t.tables.scoreTable(ri))
	}
	return out
}

// ScoresOf returns the score table of resource id, and false if the
// policy has no such resource.
func (t Transition) ScoresOf(id string) (ResourceScores, bool) {
	if t.tables == nil {
		return ResourceScores{}, false
	}
	ri, ok := t.tables.rsIdx[id]
	if !ok {
		return ResourceScores{}, false
	}
	return t.tables.scoreTable(ri), true
}

// ActionKind is the kind of an action.
type ActionKind string

// The action kinds.
const (
	ActionStart          ActionKind = "start"
	ActionStop           ActionKind = "stop"
	ActionPromote        ActionKind = "promote"
	ActionDemote         ActionKind = "demote"
	ActionMonitor        ActionKind = "monitor" // recurring monitor
	ActionProbe          ActionKind = "probe"   // one-shot monitor: is it running here?
	ActionFence          ActionKind = "fence"
	ActionClearFailcount ActionKind = "clear-failcount"
)

// Action is one step of a transition, run on one node.
type Action struct {
	// ID is the action's index in Transition.Actions.
	ID   int        `json:"id"`
	Kind ActionKind `json:"kind"`
	// Resource is the primitive (or instance, "rsc:N" for unique clone
	// instances); empty for fencing.
	Resource string `json:"resource,omitempty"`
	// Node runs the action, or is fenced by it.
	Node string `json:"node"`
	// Interval is the interval of a recurring monitor.
	Interval Duration `json:"interval,omitempty"`
	// Implied marks a stop that fencing the node accomplishes: nothing
	// runs it, but it orders what follows.
	Implied bool `json:"implied,omitempty"`
	// Reason says why, for operators ("node1 is unclean", "failed",
	// "moving to node2").
	Reason string `json:"reason,omitempty"`
}

// Edge orders two actions: After waits for Before.
type Edge struct {
	Before int `json:"before"`
	After  int `json:"after"`
	// Constraint names what made the edge: an order constraint ID, or
	// "group:ID", "clone:ID", "fencing", "recovery", "promotion".
	Constraint string `json:"constraint"`
}

// Placement is one active primitive instance.
type Placement struct {
	Resource string `json:"resource"`
	Role     Role   `json:"role"`
	Node     string `json:"node"`
}

// NodeOutcome is a node's state after the transition: online, offline,
// standby, maintenance, unclean or pending.
type NodeOutcome struct {
	Name  string `json:"name"`
	State string `json:"state"`
	// Reason says why nothing can run on the node, if so.
	Reason Reason `json:"reason,omitempty"`
}

// FailedInstance is a primitive still failed on a node.
type FailedInstance struct {
	Resource string `json:"resource"`
	Node     string `json:"node"`
}

// Reason names why a node was ruled out for a resource, or why a resource
// does not run. The values are stable identifiers; Text gives the
// sentence shown to operators.
type Reason string

// The reasons.
const (
	ReasonNone               Reason = ""
	ReasonNodeOffline        Reason = "node-offline"
	ReasonNodeUnclean        Reason = "node-unclean"
	ReasonNodePending        Reason = "node-pending"
	ReasonNodeStandby        Reason = "node-standby"
	ReasonNodeMaintenance    Reason = "node-maintenance"
	ReasonNodeShutdown       Reason = "node-shutdown"
	ReasonNoQuorum           Reason = "no-quorum"
	ReasonNotAllowed         Reason = "not-allowed" // opt-in cluster, no location allows it
	ReasonLocation           Reason = "location"    // a -INFINITY location
	ReasonColocation         Reason = "colocation"
	ReasonMigrationThreshold Reason = "migration-threshold"
	ReasonFailedHere         Reason = "failed-here" // on_fail=ban, failed stop, fatal error
	ReasonNegativeScore      Reason = "negative-score"
	ReasonNoCapacity         Reason = "no-capacity"
	ReasonCloneLimit         Reason = "clone-limit"
	ReasonTargetStopped      Reason = "target-stopped"
	ReasonUnmanaged          Reason = "unmanaged"
	ReasonBlocked            Reason = "blocked"
	ReasonOrder              Reason = "order"
	ReasonGroupMember        Reason = "group-member" // an earlier member cannot run
	ReasonNoNode             Reason = "no-node"      // no node is left
	ReasonLowerPriority      Reason = "lower-priority"
)

// Text is the operator-facing sentence for r.
func (r Reason) Text() string {
	switch r {
	case ReasonNodeOffline:
		return "node is offline"
	case ReasonNodeUnclean:
		return "node is unclean (lost, or not seen since the cluster started, while it may run resources); it must be fenced first"
	case ReasonNodePending:
		return "node is still joining the cluster"
	case ReasonNodeStandby:
		return "node is in standby"
	case ReasonNodeMaintenance:
		return "node is in maintenance"
	case ReasonNodeShutdown:
		return "node is shutting down"
	case ReasonNoQuorum:
		return "this partition has no quorum"
	case ReasonNotAllowed:
		return "the cluster is opt-in (symmetric = false) and no location constraint allows this node"
	case ReasonLocation:
		return "a location constraint forbids this node"
	case ReasonColocation:
		return "a colocation constraint forbids this node"
	case ReasonMigrationThreshold:
		return "it failed here too often (migration_threshold reached, or a fatal failure)"
	case ReasonFailedHere:
		return "it failed here in a way that bans this node"
	case ReasonNegativeScore:
		return "its score here is negative"
	case ReasonNoCapacity:
		return "the node lacks capacity (utilization)"
	case ReasonCloneLimit:
		return "the clone already has its maximum number of instances"
	case ReasonTargetStopped:
		return "its target_role is Stopped"
	case ReasonUnmanaged:
		return "it is not managed (is_managed = false or maintenance); ward only observes it"
	case ReasonBlocked:
		return "it is blocked after a failure; clean it up to let ward act on it again"
	case ReasonOrder:
		return "a mandatory order constraint requires a resource that will not run"
	case ReasonGroupMember:
		return "an earlier member of its group cannot run"
	case ReasonNoNode:
		return "no node can run it"
	case ReasonLowerPriority:
		return "higher-priority resources took the capacity"
	}
	return string(r)
}

// ResourceScores is the score table of one resource.
type ResourceScores struct {
	Resource string `json:"resource"`
	// Kind is primitive, group or clone.
	Kind string `json:"kind"`
	// Nodes chosen, in the order instances were placed (one for a
	// primitive or group; each instance's node for a clone).
	Chosen []string `json:"chosen,omitempty"`
	// Current lists the nodes where it is active now.
	Current []string `json:"current,omitempty"`
	// Promoted lists the nodes where a promotable clone will have a
	// promoted instance.
	Promoted []string `json:"promoted,omitempty"`
	// Reason says why it will not run anywhere (empty when it runs).
	Reason Reason `json:"reason,omitempty"`
	// Nodes holds an entry, sorted by node name, for every node where
	// something speaks for or against the resource, and for the nodes
	// where it runs now or will run. A node not listed scores 0 with no
	// preference; whether it can run anything at all is in
	// Transition.Nodes.
	Nodes []NodeScore `json:"nodes"`
}

// NodeScore is the score of one resource on one node, with what made it.
type NodeScore struct {
	Node  string `json:"node"`
	Score Score  `json:"score"`
	// Contributions are the terms of Score, in the order applied.
	Contributions []Contribution `json:"contributions,omitempty"`
	// Reason is why the node is ruled out; empty when it is eligible.
	Reason Reason `json:"reason,omitempty"`
	// Promotion is the promotion score of a promotable clone's instance
	// placed on this node (the contributions of kind "promotion" make it
	// up); nil when no instance is placed here.
	Promotion *Score `json:"promotion,omitempty"`
}

// Contribution is one term of a score.
type Contribution struct {
	// Kind is location, stickiness, colocation, group-member,
	// promotion, utilization or ban.
	Kind string `json:"kind"`
	// Source is the constraint ID, attribute or resource behind it.
	Source string `json:"source,omitempty"`
	// Member is the group member or clone child the term applies to, in
	// a group's or clone's table.
	Member string `json:"member,omitempty"`
	Score  Score  `json:"score"`
}
