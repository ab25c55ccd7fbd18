package resources

import (
	"context"
	"time"
)

// The action names an Agent understands (OCF's names).
const (
	ActionStart    = "start"
	ActionStop     = "stop"
	ActionMonitor  = "monitor"
	ActionPromote  = "promote"
	ActionDemote   = "demote"
	ActionNotify   = "notify"
	ActionValidate = "validate-all"
	ActionMetaData = "meta-data"
)

// Agent drives one kind of resource (ocf:heartbeat:Dummy, postgres,
// exec, ...). One Agent value serves every resource of its kind: what
// differs between resources travels in the Call.
//
// OCF agents have one entry point that takes the action's name, and so
// has this interface: start, stop, monitor, promote, demote, notify and
// validate-all all go through Do.
type Agent interface {
	// Do runs one action and blocks until it ends or ctx is done. When
	// ctx is done Do must stop the action promptly (kill its process
	// group) and return; the executor then records a timeout or a
	// cancellation, whatever Do returned. Do is called concurrently for
	// different resources, never for the same resource. It must not keep
	// or modify c's maps.
	Do(ctx context.Context, c Call) Outcome
	// Metadata describes the agent: parameters, defaults, actions and
	// their default timeouts. It may run the agent (OCF meta-data) and
	// so blocks; it is safe for concurrent use. The caller must not
	// modify the returned value.
	Metadata(ctx context.Context) (*Metadata, error)
}

// Call is one action on one resource instance.
type Call struct {
	// Resource is the resource instance ID ("db", or "web:1" for an
	// instance of a unique clone).
	Resource string
	// Action is one of the Action* names.
	Action string
	// Params are the resource's parameters (OCF_RESKEY_<name>).
	Params map[string]string
	// Meta are meta attributes passed to the agent (OCF's
	// OCF_RESKEY_CRM_meta_<name>): clone, clone_max, clone_node_max,
	// promotable, promoted_max, promoted_node_max, notify,
	// globally_unique, ... Timeout and Interval are added from the
	// fields below.
	Meta map[string]string
	// Interval is the interval of a recurring monitor; zero for one-shot
	// actions and probes.
	Interval time.Duration
	// Timeout is the operation's timeout, passed to the agent for its
	// information (OCF_RESKEY_CRM_meta_timeout); the executor enforces
	// it through the context.
	Timeout time.Duration
	// Notify describes the clone event of a notify action; nil otherwise.
	Notify *Notify
}

// Notify is what a clone instance is told in a notify action: before
// ("pre") or after ("post") an operation on some instances of its clone.
type Notify struct {
	// Type is "pre" or "post".
	Type string
	// Operation is start, stop, promote or demote.
	Operation string
	// Instances lists the instances in each category: active, inactive,
	// start, stop, promote, demote, promoted, unpromoted, all.
	// OCF agents receive them as OCF_RESKEY_CRM_meta_notify_<category>
	// _resource and _uname, space-separated.
	Instances map[string][]Instance
}

// Instance names a clone instance and the node it is on.
type Instance struct {
	Resource string
	Node     string
}

// Outcome is what an Agent reports for one action.
type Outcome struct {
	// Code is the OCF exit code.
	Code Code
	// Output is the agent's message (stdout then stderr for process
	// agents), capped in size.
	Output string
	// Truncated reports that output was dropped to respect the cap.
	Truncated bool
	// ExitReason is the agent's one-line explanation of a failure (OCF
	// agents print it as "ocf-exit-reason:..." on stderr).
	ExitReason string
	// Err explains a failure to run the agent at all (missing,
	// not executable); it sets the result's Kind to KindError.
	Err error
	// Attributes are node attributes the agent asks to set on its node,
	// such as a promotion score "master-<resource>"; an empty value
	// deletes the attribute. Nil for most actions.
	Attributes map[string]string
}

// Resolver finds the Agent for an agent name (dummy, exec,
// ocf:heartbeat:Dummy, ...). agents/registry provides one.
type Resolver interface {
	// Lookup returns the agent named name, or an error that says why
	// there is none. It is safe for concurrent use.
	Lookup(name string) (Agent, error)
}
