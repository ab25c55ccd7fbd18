package api

import "context"

// Backend is what the API server serves: the node's controller implements
// it. Every method may be called concurrently from several requests; each
// blocks until it has an answer or ctx is done, and returns ctx.Err()
// (possibly wrapped) when ctx ends first. The values returned belong to
// the caller: a Backend must not keep or modify them afterwards.
//
// A method that refuses a request returns an *Error (see the Code
// constants), which the server sends with its HTTP status and code; any
// other error is sent as 500 "internal" with its message.
type Backend interface {
	// Status returns a snapshot of the cluster as this node sees it.
	Status(ctx context.Context) (ClusterStatus, error)
	// Policy returns the live policy: its epoch and its TOML source
	// with every secret redacted.
	Policy(ctx context.Context) (PolicyInfo, error)
	// ApplyPolicy validates req.Source, simulates the transition it
	// would cause and, unless req.DryRun, applies it cluster-wide with a
	// new epoch. It returns after the policy is persisted (or, for a dry
	// run, after the simulation). It refuses with CodeInvalidPolicy,
	// CodeNoQuorum or CodeNotDC.
	ApplyPolicy(ctx context.Context, req ApplyRequest) (ApplyResult, error)
	// SetNode sets or clears a node's runtime standby or maintenance
	// flag. It returns after the change is recorded by the DC; it
	// refuses with CodeUnknownNode, CodeNoQuorum or CodeNotDC.
	SetNode(ctx context.Context, req NodeRequest) error
	// ResourceAction moves, bans, clears, starts, stops or cleans up a
	// resource. Move, ban, clear, start and stop change the live policy
	// (a new epoch, like ApplyPolicy); cleanup clears fail counts on the
	// executors. It returns once the change is recorded by the DC and
	// refuses with CodeNotFound (no such resource), CodeUnknownNode,
	// CodeBadRequest, CodeNoQuorum or CodeNotDC.
	ResourceAction(ctx context.Context, req ResourceRequest) (ResourceResult, error)
	// SetCluster changes cluster-wide switches (maintenance) in the live
	// policy, like ApplyPolicy.
	SetCluster(ctx context.Context, req ClusterRequest) (ApplyResult, error)
	// Explain runs the scheduler on the live policy and the current
	// state and explains where resource runs and why. It refuses an
	// unknown resource with CodeNotFound.
	Explain(ctx context.Context, resource string) (ExplainResult, error)
}

// EventSource serves the event log (GET /v1/events). It is safe for
// concurrent use; Events does not block on anything but its own lock.
type EventSource interface {
	// Events returns the events matching q, oldest first, and the
	// highest Seq recorded.
	Events(q EventQuery) Events
}
