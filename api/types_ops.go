package api

import (
	"encoding/json"
	"time"
)

// This file holds the types of the operating endpoints: resource
// commands, cluster maintenance, explain and events.

// ResourceAction is what POST /v1/resources/{id}/{action} does.
type ResourceAction string

// The resource actions.
const (
	// ResourceMove prefers Node (score INFINITY) or, without Node, bans
	// the resource from the node it runs on now.
	ResourceMove ResourceAction = "move"
	// ResourceBan bans the resource from Node (default: where it runs).
	ResourceBan ResourceAction = "ban"
	// ResourceClear removes every constraint move and ban created for
	// the resource.
	ResourceClear ResourceAction = "clear"
	// ResourceStart clears the resource's target_role (it may run).
	ResourceStart ResourceAction = "start"
	// ResourceStop sets the resource's target_role to Stopped.
	ResourceStop ResourceAction = "stop"
	// ResourceCleanup clears the resource's fail counts and failure log
	// on every node (or on Node only).
	ResourceCleanup ResourceAction = "cleanup"
)

// Valid reports whether a is one of the resource actions.
func (a ResourceAction) Valid() bool {
	switch a {
	case ResourceMove, ResourceBan, ResourceClear, ResourceStart, ResourceStop, ResourceCleanup:
		return true
	}
	return false
}

// ResourceRequest asks to move, ban, clear, start, stop or clean up a
// resource. The path gives Resource and Action; the body may give Node
// and For.
type ResourceRequest struct {
	Resource string         `json:"-"`
	Action   ResourceAction `json:"-"`
	// Node is the target of move, the banned node of ban, or the node
	// to clean up on ("" means: every node).
	Node string `json:"node,omitempty"`
	// For makes a move or ban lapse after this duration ("1h"): the
	// constraint gets an expires instant. "" means: until cleared.
	For string `json:"for,omitempty"`
}

// The prefixes of the IDs of location constraints created by move and
// ban; clear removes the constraints with these prefixes.
const (
	PreferPrefix = "cli-prefer-"
	BanPrefix    = "cli-ban-"
)

// ResourceResult is the answer to a resource action.
type ResourceResult struct {
	Resource string         `json:"resource"`
	Action   ResourceAction `json:"action"`
	// Applied reports that the live policy changed (move, ban, clear,
	// start, stop); Epoch is then the new epoch, else the live one.
	Applied bool   `json:"applied"`
	Epoch   uint64 `json:"epoch"`
	// Added and Removed are the IDs of the location constraints added
	// and removed.
	Added   []string `json:"added,omitempty"`
	Removed []string `json:"removed,omitempty"`
	// Expires is when an added constraint lapses (zero: never).
	Expires *time.Time `json:"expires,omitempty"`
	// Nodes are the nodes whose failures were cleared (cleanup).
	Nodes []string `json:"nodes,omitempty"`
	// Actions is the transition the change causes, as simulated.
	Actions []PlannedAction `json:"actions"`
	// Warnings are the scheduler's and the DC's warnings.
	Warnings []string `json:"warnings,omitempty"`
}

// ClusterRequest is the body of POST /v1/cluster: cluster-wide switches.
type ClusterRequest struct {
	// Maintenance turns cluster maintenance on (observe, never act) or
	// off.
	Maintenance *bool `json:"maintenance"`
}

// ExplainResult is the answer to GET /v1/explain/{resource}.
type ExplainResult struct {
	Resource string `json:"resource"`
	// At is the instant the scheduler ran for.
	At time.Time `json:"at"`
	// Text is the operator's explanation (policy.Transition.Explain).
	Text string `json:"text"`
	// Scores is the score table (policy.ResourceScores as JSON).
	Scores json.RawMessage `json:"scores"`
}
