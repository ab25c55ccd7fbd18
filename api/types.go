package api

import "time"

// ClusterStatus is the answer to GET /v1/status: the cluster as the
// answering node sees it.
type ClusterStatus struct {
	// Cluster is the cluster name from the policy.
	Cluster string `json:"cluster"`
	// Node is the name of the node that answered.
	Node string `json:"node"`
	// DC is the designated coordinator, "" when none is elected.
	DC string `json:"dc,omitempty"`
	// Term is the highest DC term this node has seen.
	Term uint64 `json:"term"`
	// PolicyEpoch is the epoch of the live policy on this node.
	PolicyEpoch uint64 `json:"policy_epoch"`
	// At is when the snapshot was taken.
	At time.Time `json:"at"`
	// Quorum is this node's partition's quorum.
	Quorum Quorum `json:"quorum"`
	// Nodes lists every configured node, sorted by name.
	Nodes []NodeInfo `json:"nodes"`
	// Resources lists every primitive (and clone instance) with where it
	// runs, sorted by ID then node. A stopped resource has Node "".
	Resources []ResourceInfo `json:"resources"`
	// FailedActions are the failed operations still counted, oldest
	// first.
	FailedActions []FailedAction `json:"failed_actions"`
	// Fencing is the recent fencing history, oldest first.
	Fencing []FenceEvent `json:"fencing"`
	// Transition is the transition being run or last run by the DC, nil
	// when none is known.
	Transition *TransitionInfo `json:"transition,omitempty"`
}

// Quorum is the vote count of a partition.
type Quorum struct {
	// Quorate reports whether the partition may run resources.
	Quorate bool `json:"quorate"`
	// Votes is the number of votes present in the partition.
	Votes int `json:"votes"`
	// Needed is the number of votes needed for quorum.
	Needed int `json:"needed"`
	// Expected is the total of configured votes.
	Expected int `json:"expected"`
}

// The node states of NodeInfo.State (the scheduler's node states).
const (
	StateOnline  = "online"
	StateOffline = "offline"
	StateUnclean = "unclean"
	StatePending = "pending"
)

// NodeInfo is one configured node.
type NodeInfo struct {
	Name string `json:"name"`
	// State is online, offline, unclean or pending.
	State string `json:"state"`
	// Standby and Maintenance are the effective flags (policy or
	// runtime).
	Standby     bool `json:"standby,omitempty"`
	Maintenance bool `json:"maintenance,omitempty"`
	// Attributes are the node's transient attributes.
	Attributes map[string]string `json:"attributes,omitempty"`
}

// ResourceInfo is one primitive, or one instance of a clone, on one node.
type ResourceInfo struct {
	// ID is the resource (instance) ID, e.g. "db" or "web:1".
	ID string `json:"id"`
	// Primitive is the agent, e.g. "ocf:heartbeat:IPaddr2" or "dummy".
	Primitive string `json:"primitive,omitempty"`
	// Role is Stopped, Started, Unpromoted or Promoted.
	Role string `json:"role"`
	// Node is where it is active, "" when stopped.
	Node string `json:"node,omitempty"`
	// Managed is false when ward must not act on it (is_managed=false
	// or maintenance).
	Managed bool `json:"managed"`
	// Failed reports that its last operation failed.
	Failed bool `json:"failed,omitempty"`
	// Blocked reports that ward will not act on it until an operator
	// does (failed stop without fencing, on_fail=block).
	Blocked bool `json:"blocked,omitempty"`
}

// FailedAction is one failed operation.
type FailedAction struct {
	Resource string `json:"resource"`
	Node     string `json:"node"`
	Op       string `json:"op"`
	// Interval is the monitor interval ("10s"), "" for one-shot ops.
	Interval string `json:"interval,omitempty"`
	// RC is the OCF exit code and RCName its name ("not running").
	RC     int    `json:"rc"`
	RCName string `json:"rc_name,omitempty"`
	// Kind is "" for a completed op, "timeout" or "error" when the agent
	// could not report.
	Kind string `json:"kind,omitempty"`
	// Output is the agent's message.
	Output string `json:"output,omitempty"`
	// At is when the operation finished.
	At time.Time `json:"at"`
}

// FenceEvent is one fencing result.
type FenceEvent struct {
	// Node is the fenced (target) node.
	Node string `json:"node"`
	// Device is the device that acted, "" when none did.
	Device string `json:"device,omitempty"`
	// Action is "reboot", "off" or "on".
	Action string `json:"action"`
	// Result is "ok" or an error message.
	Result string `json:"result"`
	// RequestedBy is the DC that asked for it.
	RequestedBy string    `json:"requested_by,omitempty"`
	At          time.Time `json:"at"`
}

// TransitionInfo is the progress of a transition.
type TransitionInfo struct {
	ID uint64 `json:"id"`
	// State is "running", "complete", "aborted" or "failed".
	State  string `json:"state"`
	Done   int    `json:"done"`
	Total  int    `json:"total"`
	Failed int    `json:"failed"`
}

// PolicyInfo is the answer to GET /v1/policy.
type PolicyInfo struct {
	// Epoch grows by one with every applied policy.
	Epoch uint64 `json:"epoch"`
	// SHA256 is the hex digest of the source as applied (not redacted).
	SHA256 string `json:"sha256,omitempty"`
	// Source is the TOML policy with every secret redacted.
	Source string `json:"source"`
}

// ApplyRequest is the body of POST /v1/policy.
type ApplyRequest struct {
	// Source is the whole TOML policy.
	Source string `json:"source"`
	// DryRun asks for the diff and the simulated transition only.
	DryRun bool `json:"dry_run,omitempty"`
}

// ApplyResult is the answer to POST /v1/policy.
type ApplyResult struct {
	// Applied reports whether the policy is now live (false for a dry
	// run or when the source equals the live policy).
	Applied bool `json:"applied"`
	// Epoch is the new epoch when applied, else the live epoch.
	Epoch uint64 `json:"epoch"`
	// Diff compares the live policy with the new one, both normalized
	// and redacted, line by line: each line starts with " " (unchanged),
	// "-" (live only) or "+" (new only). It is "" when they are equal.
	Diff string `json:"diff"`
	// Actions is the transition the new policy causes, as simulated on
	// the current state.
	Actions []PlannedAction `json:"actions"`
	// Warnings are the scheduler's warnings for the new policy.
	Warnings []string `json:"warnings,omitempty"`
}

// PlannedAction is one action of a simulated transition.
type PlannedAction struct {
	ID       int    `json:"id"`
	Kind     string `json:"kind"`
	Resource string `json:"resource,omitempty"`
	Node     string `json:"node"`
	Interval string `json:"interval,omitempty"`
	Reason   string `json:"reason,omitempty"`
}

// NodeAction is what POST /v1/nodes/{name}/{action} does.
type NodeAction string

// The node actions.
const (
	ActionStandby     NodeAction = "standby"     // move resources away
	ActionOnline      NodeAction = "online"      // clear standby
	ActionMaintenance NodeAction = "maintenance" // stop managing its resources
	ActionReady       NodeAction = "ready"       // clear maintenance
)

// Valid reports whether a is one of the node actions.
func (a NodeAction) Valid() bool {
	switch a {
	case ActionStandby, ActionOnline, ActionMaintenance, ActionReady:
		return true
	}
	return false
}

// NodeRequest asks to change a node's runtime flags.
type NodeRequest struct {
	Node   string     `json:"node"`
	Action NodeAction `json:"action"`
}
