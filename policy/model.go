package policy

import "time"

// This file holds the policy model: the Go form of a policy file. Field
// names in toml tags are the keys an operator writes; docs/policy.md is the
// reference for each of them. Load fills defaults and validates; code that
// receives a *Config from Load may rely on every reference being resolved.

// Config is a whole policy: cluster options, nodes, resources, constraints,
// fencing and alerts. The zero value is not valid; obtain one from Load.
type Config struct {
	Cluster     Cluster      `toml:"cluster" json:"cluster"`
	Nodes       []Node       `toml:"node" json:"nodes,omitempty"`
	Primitives  []Primitive  `toml:"primitive" json:"primitives,omitempty"`
	Groups      []Group      `toml:"group" json:"groups,omitempty"`
	Clones      []Clone      `toml:"clone" json:"clones,omitempty"`
	Locations   []Location   `toml:"location" json:"locations,omitempty"`
	Colocations []Colocation `toml:"colocation" json:"colocations,omitempty"`
	Orders      []Order      `toml:"order" json:"orders,omitempty"`
	Fencing     Fencing      `toml:"fencing" json:"fencing"`
	Alerts      []Alert      `toml:"alert" json:"alerts,omitempty"`
}

// Cluster holds the cluster-wide options.
type Cluster struct {
	// Name identifies the cluster; nodes refuse gossip from another name.
	Name string `toml:"name" json:"name"`
	// StonithEnabled turns fencing on. Default true.
	StonithEnabled *bool `toml:"stonith_enabled" json:"stonith_enabled"`
	// StartupFencing fences, once the cold-start wait is over, every node
	// of the policy nobody has seen since the cluster started (it may run
	// resources its daemon left behind). Only with StonithEnabled.
	// Default true (Pacemaker's startup-fencing).
	StartupFencing *bool `toml:"startup_fencing" json:"startup_fencing"`
	// NoQuorumPolicy is what a partition without quorum does.
	NoQuorumPolicy NoQuorumPolicy `toml:"no_quorum_policy" json:"no_quorum_policy"`
	// Symmetric placement: resources may run anywhere unless a constraint
	// forbids it (opt-out). False makes the cluster opt-in. Default true.
	Symmetric *bool `toml:"symmetric" json:"symmetric"`
	// PlacementStrategy decides how utilization is used.
	PlacementStrategy PlacementStrategy `toml:"placement_strategy" json:"placement_strategy"`
	// TwoNode enables two-node quorum: a lone node of a two-node cluster
	// keeps quorum (with WaitForAll) and fencing decides the survivor.
	TwoNode bool `toml:"two_node" json:"two_node"`
	// WaitForAll makes a node that just started wait until it has seen
	// every node before it counts as quorate. Default: equal to TwoNode.
	WaitForAll *bool `toml:"wait_for_all" json:"wait_for_all"`
	// Timing is the failure-detection profile: lan, wan or conservative.
	Timing TimingProfile `toml:"timing" json:"timing"`
	// Witness is the host:port of the cluster's `ward witness`, which
	// holds one quorum vote ("" none). `ward daemon --witness` overrides
	// it on one node only if both name the same address.
	Witness string `toml:"witness" json:"witness,omitempty"`
	// StartFailureIsFatal bans a node for a resource after one failed
	// start (Pacemaker's start-failure-is-fatal). Default true.
	StartFailureIsFatal *bool `toml:"start_failure_is_fatal" json:"start_failure_is_fatal"`
	// PriorityFencingDelay delays fencing of the node that runs the more
	// important resources (by priority), so it wins a two-node fence race.
	PriorityFencingDelay Duration `toml:"priority_fencing_delay" json:"priority_fencing_delay,omitempty"`
	// WatchdogTimeout is the watchdog reset time used by watchdog
	// self-fencing; zero disables watchdog fencing.
	WatchdogTimeout Duration `toml:"watchdog_timeout" json:"watchdog_timeout,omitempty"`
	// Maintenance puts the whole cluster in maintenance: observe, never act.
	Maintenance bool `toml:"maintenance" json:"maintenance,omitempty"`
	// ResourceDefaults holds meta values every resource inherits.
	ResourceDefaults Meta `toml:"resource_defaults" json:"resource_defaults"`
	// OpDefaults holds operation values every operation inherits.
	OpDefaults OpDefaults `toml:"op_defaults" json:"op_defaults"`
}

// NoQuorumPolicy is what a partition without quorum does.
type NoQuorumPolicy string

// The no-quorum policies.
const (
	NoQuorumStop    NoQuorumPolicy = "stop"    // stop every resource (default)
	NoQuorumFreeze  NoQuorumPolicy = "freeze"  // keep what runs, start nothing
	NoQuorumIgnore  NoQuorumPolicy = "ignore"  // act as if quorate
	NoQuorumSuicide NoQuorumPolicy = "suicide" // fence itself
	NoQuorumDemote  NoQuorumPolicy = "demote"  // demote promoted instances, stop others
)

// PlacementStrategy decides how node utilization is used.
type PlacementStrategy string

// The placement strategies (Pacemaker's placement-strategy).
const (
	PlacementDefault     PlacementStrategy = "default"     // ignore utilization
	PlacementUtilization PlacementStrategy = "utilization" // respect capacity only
	PlacementBalanced    PlacementStrategy = "balanced"    // respect capacity, spread load
	PlacementMinimal     PlacementStrategy = "minimal"     // respect capacity, pack nodes
)

// TimingProfile selects failure-detection timings.
type TimingProfile string

// The timing profiles.
const (
	TimingLAN          TimingProfile = "lan"          // dead in about 1 s (default)
	TimingWAN          TimingProfile = "wan"          // tolerant of latency
	TimingConservative TimingProfile = "conservative" // slow, for noisy networks
)

// OpDefaults holds defaults for every operation.
type OpDefaults struct {
	// Timeout applies to every operation that sets none. Default 20s.
	Timeout Duration `toml:"timeout" json:"timeout"`
	// Timeouts per operation name (start, stop, monitor, ...) override
	// Timeout.
	Timeouts map[string]Duration `toml:"timeouts" json:"timeouts,omitempty"`
}

// Node is one cluster member.
type Node struct {
	// Name is the node name; it is #uname in rules.
	Name string `toml:"name" json:"name"`
	// Addresses are the node's gossip addresses, one per link (host or
	// host:port). A node is dead only when unreachable on all of them.
	Addresses []string `toml:"addresses" json:"addresses"`
	// Votes counted for quorum. Default 1.
	Votes *int `toml:"votes" json:"votes"`
	// Priority orders DC election (higher first), then name.
	Priority int `toml:"priority" json:"priority,omitempty"`
	// Attributes are permanent node attributes used by rules.
	Attributes map[string]string `toml:"attributes" json:"attributes,omitempty"`
	// Utilization is the node's capacity, by name (cpu, memory, ...).
	Utilization map[string]int64 `toml:"utilization" json:"utilization,omitempty"`
	// Standby moves every resource away from the node.
	Standby bool `toml:"standby" json:"standby,omitempty"`
	// Maintenance stops ward acting on the node's resources.
	Maintenance bool `toml:"maintenance" json:"maintenance,omitempty"`
}

// Meta holds resource meta options. A nil pointer or zero value means
// "inherit": from the parent group or clone, then from
// Cluster.ResourceDefaults, then from the built-in default.
type Meta struct {
	// Priority decides which resources stay when not all can run.
	Priority *int `toml:"priority" json:"priority,omitempty"`
	// TargetRole is the role ward aims for: Stopped, Started, Unpromoted
	// or Promoted (Started lets a promotable clone be promoted).
	TargetRole Role `toml:"target_role" json:"target_role,omitempty"`
	// IsManaged false makes ward observe the resource without acting.
	IsManaged *bool `toml:"is_managed" json:"is_managed,omitempty"`
	// Stickiness is the preference to stay where it runs.
	Stickiness *Score `toml:"stickiness" json:"stickiness,omitempty"`
	// MigrationThreshold bans a node after this many failures (0: never).
	MigrationThreshold *int `toml:"migration_threshold" json:"migration_threshold,omitempty"`
	// FailureTimeout forgets failures older than this (0: never).
	FailureTimeout *Duration `toml:"failure_timeout" json:"failure_timeout,omitempty"`
	// Utilization is what the resource consumes from a node's capacity.
	Utilization map[string]int64 `toml:"utilization" json:"utilization,omitempty"`
}

// Primitive is a single resource driven by one agent.
type Primitive struct {
	// ID names the resource; IDs are unique across primitives, groups
	// and clones.
	ID string `toml:"id" json:"id"`
	// Agent names the agent: a built-in name (postgres, vip, exec,
	// dummy, stateful) or an OCF name "ocf:PROVIDER:TYPE".
	Agent string `toml:"agent" json:"agent"`
	// Params are passed to the agent.
	Params map[string]string `toml:"params" json:"params,omitempty"`
	// SecretParams are passed to the agent like Params but never printed.
	SecretParams map[string]string `toml:"secret_params" json:"secret_params,omitempty"`
	Meta
	// Ops are the operations with their intervals and timeouts.
	Ops []Op `toml:"op" json:"ops,omitempty"`
}

// Op configures one operation of a primitive.
type Op struct {
	// Name is start, stop, monitor, promote, demote, notify...
	Name string `toml:"name" json:"name"`
	// Interval makes the operation recurring (monitor). Zero: one-shot.
	Interval Duration `toml:"interval" json:"interval,omitempty"`
	// Timeout bounds one run of the operation.
	Timeout Duration `toml:"timeout" json:"timeout,omitempty"`
	// Role restricts a recurring monitor to instances in this role.
	Role Role `toml:"role" json:"role,omitempty"`
	// OnFail is what a failure of this operation leads to.
	OnFail OnFail `toml:"on_fail" json:"on_fail,omitempty"`
}

// OnFail is the recovery applied when an operation fails.
type OnFail string

// The on-fail values (Pacemaker's on-fail).
const (
	OnFailIgnore  OnFail = "ignore"  // pretend it succeeded
	OnFailBlock   OnFail = "block"   // leave it, act no more on it
	OnFailStop    OnFail = "stop"    // stop it, do not start it again
	OnFailRestart OnFail = "restart" // stop then start (default, but stop: fence)
	OnFailFence   OnFail = "fence"   // fence the node
	OnFailStandby OnFail = "standby" // move everything off the node
	OnFailBan     OnFail = "ban"     // move the resource off the node
	OnFailDemote  OnFail = "demote"  // demote a promoted instance
)

// Role is the role of a resource instance.
type Role string

// The roles. Unpromoted is the non-promoted role of a promotable clone
// instance; for anything else Started and Unpromoted are the same.
const (
	RoleUnknown    Role = ""
	RoleStopped    Role = "Stopped"
	RoleStarted    Role = "Started"
	RoleUnpromoted Role = "Unpromoted"
	RolePromoted   Role = "Promoted"
)

// Group is an ordered list of primitives that run together on one node,
// started in order and stopped in reverse.
type Group struct {
	ID string `toml:"id" json:"id"`
	// Members are primitive IDs, in start order.
	Members []string `toml:"members" json:"members"`
	// Ordered false drops the implicit ordering. Default true.
	Ordered *bool `toml:"ordered" json:"ordered,omitempty"`
	// Collocated false drops the implicit colocation. Default true.
	Collocated *bool `toml:"collocated" json:"collocated,omitempty"`
	Meta
}

// Clone runs several instances of a primitive or a group.
type Clone struct {
	ID string `toml:"id" json:"id"`
	// Resource is the cloned primitive or group.
	Resource string `toml:"resource" json:"resource"`
	// CloneMax is the number of instances (default: number of nodes).
	CloneMax *int `toml:"clone_max" json:"clone_max,omitempty"`
	// CloneNodeMax is the number of instances per node (default 1).
	CloneNodeMax *int `toml:"clone_node_max" json:"clone_node_max,omitempty"`
	// GloballyUnique makes instances distinct (unique clone).
	GloballyUnique bool `toml:"globally_unique" json:"globally_unique,omitempty"`
	// Interleave lets each instance depend only on the instance of
	// another clone on the same node.
	Interleave bool `toml:"interleave" json:"interleave,omitempty"`
	// Ordered starts instances one after the other.
	Ordered bool `toml:"ordered" json:"ordered,omitempty"`
	// Notify sends pre/post notifications to every instance.
	Notify bool `toml:"notify" json:"notify,omitempty"`
	// Promotable makes instances promotable (Promoted/Unpromoted).
	Promotable bool `toml:"promotable" json:"promotable,omitempty"`
	// PromotedMax is the number of promoted instances (default 1).
	PromotedMax *int `toml:"promoted_max" json:"promoted_max,omitempty"`
	// PromotedNodeMax is the number of promoted instances per node
	// (default 1).
	PromotedNodeMax *int `toml:"promoted_node_max" json:"promoted_node_max,omitempty"`
	Meta
}

// Location is a location constraint: a score for a resource on a node, or
// scores from rules.
type Location struct {
	ID string `toml:"id" json:"id"`
	// Resource is the constrained resource (primitive, group or clone).
	Resource string `toml:"resource" json:"resource"`
	// Role limits the constraint to instances in this role.
	Role Role `toml:"role" json:"role,omitempty"`
	// Node with Score: the plain form.
	Node string `toml:"node" json:"node,omitempty"`
	// Score for Node, or for Rule when the rule matches.
	Score *Score `toml:"score" json:"score,omitempty"`
	// Rule is a single rule expression (shorthand for one Rules entry
	// using Score or ScoreAttribute).
	Rule string `toml:"rule" json:"rule,omitempty"`
	// ScoreAttribute takes the score from this node attribute when Rule
	// matches.
	ScoreAttribute string `toml:"score_attribute" json:"score_attribute,omitempty"`
	// Rules are several rules, each with its own score.
	Rules []LocationRule `toml:"rules" json:"rules,omitempty"`
	// TimeZone is the IANA time zone of date expressions (default UTC).
	TimeZone string `toml:"timezone" json:"timezone,omitempty"`
	// Expires makes the constraint lapse at this instant (RFC 3339); set
	// by `ward resource move --for`.
	Expires string `toml:"expires" json:"expires,omitempty"`

	// Parsed forms, filled by Load.
	ParsedRules []ParsedLocationRule `toml:"-" json:"-"`
}

// LocationRule is one rule of a location constraint.
type LocationRule struct {
	// Expr is the rule expression (see docs/policy.md, "Rules").
	Expr string `toml:"expr" json:"expr"`
	// Score applies when Expr matches.
	Score *Score `toml:"score" json:"score,omitempty"`
	// ScoreAttribute takes the score from a node attribute instead.
	ScoreAttribute string `toml:"score_attribute" json:"score_attribute,omitempty"`
	// Role limits this rule to instances in this role.
	Role Role `toml:"role" json:"role,omitempty"`
}

// ParsedLocationRule is a LocationRule with its expression parsed. Load
// fills it for both the shorthand and the Rules form.
type ParsedLocationRule struct {
	Expr           *Expr
	Score          Score
	ScoreAttribute string
	Role           Role
	Location       *time.Location
}

// Colocation places resources relative to each other. Either Resource and
// With (the dependent Resource is placed relative to With), or Sets.
type Colocation struct {
	ID string `toml:"id" json:"id"`
	// Resource is the dependent: placed after and relative to With.
	Resource string `toml:"resource" json:"resource,omitempty"`
	// With is what Resource depends on.
	With string `toml:"with" json:"with,omitempty"`
	// Score: +INFINITY must be together, -INFINITY must be apart, finite
	// scores are preferences.
	Score Score `toml:"score" json:"score"`
	// ResourceRole and WithRole limit the constraint to these roles.
	ResourceRole Role `toml:"resource_role" json:"resource_role,omitempty"`
	WithRole     Role `toml:"with_role" json:"with_role,omitempty"`
	// NodeAttribute colocates on nodes with equal values of this
	// attribute instead of the same node (default #uname).
	NodeAttribute string `toml:"node_attribute" json:"node_attribute,omitempty"`
	// Influence lets the dependent's preferences pull With (default true).
	Influence *bool `toml:"influence" json:"influence,omitempty"`
	// Sets is the resource-set form.
	Sets []ResourceSet `toml:"set" json:"sets,omitempty"`
}

// OrderKind is the kind of an order constraint.
type OrderKind string

// The order kinds.
const (
	OrderMandatory OrderKind = "mandatory" // then waits for first; stops cascade
	OrderOptional  OrderKind = "optional"  // order applies only when both act
	OrderSerialize OrderKind = "serialize" // never at the same time, any order
)

// Order orders actions of resources. Either First and Then, or Sets.
type Order struct {
	ID string `toml:"id" json:"id"`
	// First is acted on before Then.
	First string `toml:"first" json:"first,omitempty"`
	// FirstAction is start, stop, promote or demote (default start).
	FirstAction string `toml:"first_action" json:"first_action,omitempty"`
	Then        string `toml:"then" json:"then,omitempty"`
	// ThenAction defaults to FirstAction.
	ThenAction string `toml:"then_action" json:"then_action,omitempty"`
	// Kind: mandatory (default), optional or serialize.
	Kind OrderKind `toml:"kind" json:"kind,omitempty"`
	// Symmetric adds the reverse order for the reverse actions (default
	// true, except for serialize).
	Symmetric *bool `toml:"symmetric" json:"symmetric,omitempty"`
	// Sets is the resource-set form.
	Sets []ResourceSet `toml:"set" json:"sets,omitempty"`
}

// ResourceSet is a set of resources in a colocation or order constraint.
type ResourceSet struct {
	ID        string   `toml:"id" json:"id,omitempty"`
	Resources []string `toml:"resources" json:"resources"`
	// Sequential false means the members need no order/colocation among
	// themselves. Default true.
	Sequential *bool `toml:"sequential" json:"sequential,omitempty"`
	// RequireAll false lets the next set proceed when any member is done.
	RequireAll *bool `toml:"require_all" json:"require_all,omitempty"`
	// Role (colocation) limits the set to a role.
	Role Role `toml:"role" json:"role,omitempty"`
	// Action (order) is the action of the set's members.
	Action string `toml:"action" json:"action,omitempty"`
	// Score overrides the constraint's score for this set (colocation).
	Score *Score `toml:"score" json:"score,omitempty"`
}

// Fencing holds the fencing devices and topology.
type Fencing struct {
	Devices []FenceDevice `toml:"device" json:"devices,omitempty"`
	Levels  []FenceLevel  `toml:"level" json:"levels,omitempty"`
}

// FenceDevice is one fencing device.
type FenceDevice struct {
	ID string `toml:"id" json:"id"`
	// Plugin is agent, exec, watchdog or lab.
	Plugin string `toml:"plugin" json:"plugin"`
	// Agent is the fence agent (fence_ipmilan...) for the agent plugin.
	Agent string `toml:"agent" json:"agent,omitempty"`
	// Command is the command for the exec plugin.
	Command []string `toml:"command" json:"command,omitempty"`
	// Params are passed to the plugin.
	Params map[string]string `toml:"params" json:"params,omitempty"`
	// SecretParams are passed like Params and never printed.
	SecretParams map[string]string `toml:"secret_params" json:"secret_params,omitempty"`
	// Nodes are the nodes this device can fence.
	Nodes []string `toml:"nodes" json:"nodes"`
	// HostMap maps node names to the device's names for them (port or
	// plug), like pcmk_host_map.
	HostMap map[string]string `toml:"host_map" json:"host_map,omitempty"`
	// Action is off or reboot (default reboot).
	Action string `toml:"action" json:"action,omitempty"`
	// Delay is a static delay before fencing through this device.
	Delay Duration `toml:"delay" json:"delay,omitempty"`
	// DelayMax adds a random delay up to this value.
	DelayMax Duration `toml:"delay_max" json:"delay_max,omitempty"`
	// Timeout bounds one fencing attempt (default 60s).
	Timeout Duration `toml:"timeout" json:"timeout,omitempty"`
	// Retries is the number of extra attempts (default 2).
	Retries *int `toml:"retries" json:"retries,omitempty"`
}

// FenceLevel is one topology level for one node: every device of the
// level must succeed; levels are tried in Index order.
type FenceLevel struct {
	Node    string   `toml:"node" json:"node"`
	Index   int      `toml:"index" json:"index"`
	Devices []string `toml:"devices" json:"devices"`
}

// Alert is a recipient of cluster events.
type Alert struct {
	ID string `toml:"id" json:"id"`
	// Kind is exec or webhook.
	Kind string `toml:"kind" json:"kind"`
	// Path is the program of an exec alert.
	Path string `toml:"path" json:"path,omitempty"`
	// URL is the target of a webhook alert.
	URL string `toml:"url" json:"url,omitempty"`
	// Events selects event kinds: node, resource, fencing, attribute,
	// quorum, policy; empty means all.
	Events []string `toml:"events" json:"events,omitempty"`
	// Timeout bounds one delivery (default 30s).
	Timeout Duration `toml:"timeout" json:"timeout,omitempty"`
	// Params are passed to the recipient (environment or JSON body).
	Params map[string]string `toml:"params" json:"params,omitempty"`
	// SecretParams are passed like Params and never printed.
	SecretParams map[string]string `toml:"secret_params" json:"secret_params,omitempty"`
}
