package policy

import "time"

// The built-in defaults Load fills in after decoding and before
// validation. docs/policy.md lists them; keep the two in step.
const (
	// DefaultOpTimeout is cluster.op_defaults.timeout when unset or 0s.
	DefaultOpTimeout = Duration(20 * time.Second)
	// DefaultFenceTimeout is fencing.device.timeout when unset or 0s.
	DefaultFenceTimeout = Duration(60 * time.Second)
	// DefaultFenceRetries is fencing.device.retries when unset.
	DefaultFenceRetries = 2
	// DefaultAlertTimeout is alert.timeout when unset or 0s.
	DefaultAlertTimeout = Duration(30 * time.Second)
)

func boolPtr(b bool) *bool { return &b }
func intPtr(n int) *int    { return &n }

// applyDefaults fills every unset option of c with its default. It runs
// before validation; values that are wrong stay as written so that
// validation reports them. Meta options (priority, stickiness,
// target_role...) are not filled: "unset" there means "inherit" from the
// group or clone, then cluster.resource_defaults, and the scheduler
// resolves that chain.
func applyDefaults(c *Config) {
	cl := &c.Cluster
	// stonith_enabled: true. Without fencing a lost node's resources
	// cannot be recovered safely.
	if cl.StonithEnabled == nil {
		cl.StonithEnabled = boolPtr(true)
	}
	// startup_fencing: true. A node nobody has seen since the cluster
	// started may run what its daemon left behind.
	if cl.StartupFencing == nil {
		cl.StartupFencing = boolPtr(true)
	}
	// symmetric: true (opt-out cluster: resources may run anywhere).
	if cl.Symmetric == nil {
		cl.Symmetric = boolPtr(true)
	}
	// no_quorum_policy: stop.
	if cl.NoQuorumPolicy == "" {
		cl.NoQuorumPolicy = NoQuorumStop
	}
	// placement_strategy: default (utilization ignored).
	if cl.PlacementStrategy == "" {
		cl.PlacementStrategy = PlacementDefault
	}
	// timing: lan.
	if cl.Timing == "" {
		cl.Timing = TimingLAN
	}
	// wait_for_all: equal to two_node.
	if cl.WaitForAll == nil {
		cl.WaitForAll = boolPtr(cl.TwoNode)
	}
	// start_failure_is_fatal: true.
	if cl.StartFailureIsFatal == nil {
		cl.StartFailureIsFatal = boolPtr(true)
	}
	// op_defaults.timeout: 20s.
	if cl.OpDefaults.Timeout == 0 {
		cl.OpDefaults.Timeout = DefaultOpTimeout
	}

	// node votes: 1.
	for i := range c.Nodes {
		if c.Nodes[i].Votes == nil {
			c.Nodes[i].Votes = intPtr(1)
		}
	}

	// op timeout: op_defaults.timeouts[name], else op_defaults.timeout.
	for i := range c.Primitives {
		for j := range c.Primitives[i].Ops {
			op := &c.Primitives[i].Ops[j]
			if op.Timeout == 0 {
				if t, ok := cl.OpDefaults.Timeouts[op.Name]; ok && t > 0 {
					op.Timeout = t
				} else {
					op.Timeout = cl.OpDefaults.Timeout
				}
			}
		}
	}

	// group ordered and collocated: true.
	for i := range c.Groups {
		g := &c.Groups[i]
		if g.Ordered == nil {
			g.Ordered = boolPtr(true)
		}
		if g.Collocated == nil {
			g.Collocated = boolPtr(true)
		}
	}

	// clone_max: the number of nodes; clone_node_max: 1; for promotable
	// clones only, promoted_max and promoted_node_max: 1.
	for i := range c.Clones {
		cn := &c.Clones[i]
		if cn.CloneMax == nil {
			cn.CloneMax = intPtr(len(c.Nodes))
		}
		if cn.CloneNodeMax == nil {
			cn.CloneNodeMax = intPtr(1)
		}
		if cn.Promotable {
			if cn.PromotedMax == nil {
				cn.PromotedMax = intPtr(1)
			}
			if cn.PromotedNodeMax == nil {
				cn.PromotedNodeMax = intPtr(1)
			}
		}
	}

	// colocation influence: true; set sequential and require_all: true.
	for i := range c.Colocations {
		co := &c.Colocations[i]
		if co.Influence == nil {
			co.Influence = boolPtr(true)
		}
		defaultSets(co.Sets, "")
	}

	// order kind: mandatory; symmetric: true, false for serialize;
	// first_action: start; then_action: first_action; set action: start.
	for i := range c.Orders {
		o := &c.Orders[i]
		if o.Kind == "" {
			o.Kind = OrderMandatory
		}
		if o.Symmetric == nil {
			o.Symmetric = boolPtr(o.Kind != OrderSerialize)
		}
		if len(o.Sets) == 0 {
			if o.FirstAction == "" {
				o.FirstAction = "start"
			}
			if o.ThenAction == "" {
				o.ThenAction = o.FirstAction
			}
		}
		defaultSets(o.Sets, "start")
	}

	// fence device action: reboot; timeout: 60s; retries: 2.
	for i := range c.Fencing.Devices {
		d := &c.Fencing.Devices[i]
		if d.Action == "" {
			d.Action = "reboot"
		}
		if d.Timeout == 0 {
			d.Timeout = DefaultFenceTimeout
		}
		if d.Retries == nil {
			d.Retries = intPtr(DefaultFenceRetries)
		}
	}

	// alert timeout: 30s.
	for i := range c.Alerts {
		if c.Alerts[i].Timeout == 0 {
			c.Alerts[i].Timeout = DefaultAlertTimeout
		}
	}
}

// defaultSets fills sequential and require_all (true) and, for order
// sets, the action.
func defaultSets(sets []ResourceSet, action string) {
	for i := range sets {
		s := &sets[i]
		if s.Sequential == nil {
			s.Sequential = boolPtr(true)
		}
		if s.RequireAll == nil {
			s.RequireAll = boolPtr(true)
		}
		if action != "" && s.Action == "" {
			s.Action = action
		}
	}
}
