package policy

import "time"

// Status is the observed state of the cluster: the scheduler's input next
// to the Config. The controller builds it from membership and the nodes'
// executors; `ward import cib` builds it from a Pacemaker CIB's status
// section; it is stored as status.json for `ward simulate`.
type Status struct {
	// Quorate reports whether this partition has quorum.
	Quorate bool `json:"quorate"`
	// DC is the node coordinating the cluster, if known.
	DC string `json:"dc,omitempty"`
	// ExecutionDate is the instant the status was taken, when known
	// (a CIB's execution-date). `ward simulate` uses it as now unless
	// --at is given.
	ExecutionDate *time.Time `json:"execution_date,omitempty"`
	// Nodes holds one entry per configured node that has any state.
	// Configured nodes without an entry are offline and clean.
	Nodes []NodeStatus `json:"nodes"`
}

// NodeState is a node's membership state as the scheduler sees it.
type NodeState string

// The node states.
const (
	NodeOnline  NodeState = "online"  // member, running
	NodeOffline NodeState = "offline" // cleanly down, or fenced
	NodeUnclean NodeState = "unclean" // lost (or unseen since the cluster started) while it may run resources: fence it
	NodePending NodeState = "pending" // joining, not yet usable
)

// NodeStatus is the observed state of one node.
type NodeStatus struct {
	Name  string    `json:"name"`
	State NodeState `json:"state"`
	// Standby and Maintenance are the runtime flags (ORed with the
	// policy's node flags).
	Standby     bool `json:"standby,omitempty"`
	Maintenance bool `json:"maintenance,omitempty"`
	// Attributes are transient node attributes (promotion scores such as
	// "master-db", health...). They override permanent ones of the same
	// name.
	Attributes map[string]string `json:"attributes,omitempty"`
	// Resources is what the node's executor knows of each resource.
	Resources []ResourceStatus `json:"resources,omitempty"`
}

// ResourceStatus is what one node knows of one primitive (or one instance
// of a clone).
type ResourceStatus struct {
	// ID is the primitive ID. Instances of unique clones carry ":N".
	ID string `json:"id"`
	// Role is the observed role: Stopped, Started, Unpromoted or Promoted.
	// Started and Unpromoted are the same for a promotable clone.
	Role Role `json:"role"`
	// Failed reports that the last operation left the resource failed
	// (it must be recovered: stopped then started).
	Failed bool `json:"failed,omitempty"`
	// FailedStop reports a stop that failed: the resource's state on the
	// node is unknown until the node is fenced (or it is blocked).
	FailedStop bool `json:"failed_stop,omitempty"`
	// Blocked reports the resource must not be acted on here (failed
	// with on_fail=block, or a failed stop without fencing).
	Blocked bool `json:"blocked,omitempty"`
	// FailCount is the number of failures counted against this node;
	// LastFailure is when the latest happened. Both feed
	// migration_threshold and failure_timeout.
	FailCount   int        `json:"fail_count,omitempty"`
	LastFailure *time.Time `json:"last_failure,omitempty"`
	// Failures are the recorded failed operations, newest last.
	Failures []OpRecord `json:"failures,omitempty"`
	// Ops is the last result of each operation (by name and interval).
	Ops []OpRecord `json:"ops,omitempty"`
}

// OpRecord is the result of one operation run.
type OpRecord struct {
	Op       string   `json:"op"`
	Interval Duration `json:"interval,omitempty"`
	// RC is the OCF exit code.
	RC int `json:"rc"`
	// Kind is "" for a completed operation, "timeout" or "error" when
	// the agent could not report (timed out, could not execute).
	Kind string `json:"kind,omitempty"`
	// At is when the operation finished.
	At *time.Time `json:"at,omitempty"`
	// Output is the agent's message, shown to operators.
	Output string `json:"output,omitempty"`
}
