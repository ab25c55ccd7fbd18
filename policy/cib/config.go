package cib

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/ward-ha/ward/policy"
)

// importConfiguration maps the <configuration> section.
func (im *importer) importConfiguration(conf *element) {
	if cc := conf.child("crm_config"); cc != nil {
		im.importClusterOptions(cc)
	}
	if rd := conf.child("rsc_defaults"); rd != nil {
		im.importRscDefaults(rd)
	}
	if od := conf.child("op_defaults"); od != nil {
		im.importOpDefaults(od)
	}
	if n := conf.child("nodes"); n != nil {
		im.importNodes(n)
	}
	if r := conf.child("resources"); r != nil {
		im.importResources(r)
	}
	if c := conf.child("constraints"); c != nil {
		im.importConstraints(c)
	}
	if ft := conf.child("fencing-topology"); ft != nil {
		im.importTopology(ft)
	}
	if a := conf.child("alerts"); a != nil {
		im.importAlerts(a)
	}
	for _, c := range conf.children {
		switch c.name {
		case "crm_config", "rsc_defaults", "op_defaults", "nodes", "resources", "constraints", "fencing-topology", "alerts":
		case "acls":
			if len(c.children) > 0 {
				im.lossy(c, "ACLs are not imported: ward's API uses tokens (see docs/migrating-from-pacemaker.md)")
			}
		case "tags":
			if len(c.children) > 0 {
				im.lossy(c, "tags are not imported: ward has no resource tags; constraints naming a tag are dropped")
			}
		default:
			im.lossy(c, "section not known to the importer; ignored")
		}
	}
	if len(im.cfg.Nodes) == 0 {
		im.lossy(conf, "the CIB defines no nodes; ward's policy needs at least one [[node]]: add them by hand")
	}
	im.ensureFencing()
	im.fixForWard()
	if im.usesNodeID {
		for i := range im.cfg.Nodes {
			n := &im.cfg.Nodes[i]
			for id, name := range im.nodeByID {
				if name == n.Name {
					if n.Attributes == nil {
						n.Attributes = map[string]string{}
					}
					n.Attributes[nodeIDAttr] = id
				}
			}
		}
	}
}

// nodeIDAttr is the node attribute that carries Pacemaker's node id when
// a rule tests #id (ward has no node ids).
const nodeIDAttr = "pacemaker_node_id"

// informational cluster options: recorded by Pacemaker for its own use or
// daemon tuning that has no meaning for ward's policy.
var ignoredOptions = map[string]string{
	"dc-version":                "",
	"cluster-infrastructure":    "",
	"have-watchdog":             "",
	"last-lrm-refresh":          "",
	"cluster-delay":             "ward's transitions have per-action timeouts",
	"cluster-recheck-interval":  "ward computes when to recheck (time rules, failure timeouts) instead of polling",
	"dc-deadtime":               "ward's DC election uses its heartbeat timings",
	"election-timeout":          "ward's DC election uses its heartbeat timings",
	"shutdown-escalation":       "",
	"join-integration-timeout":  "",
	"crmd-integration-timeout":  "",
	"crmd-finalization-timeout": "",
	"join-finalization-timeout": "",
	"transition-delay":          "",
	"crmd-transition-delay":     "",
	"pe-error-series-max":       "",
	"pe-warn-series-max":        "",
	"pe-input-series-max":       "",
	"batch-limit":               "",
	"migration-limit":           "",
	"load-threshold":            "",
	"node-action-limit":         "",
	"enable-acl":                "",
	"enable-startup-probes":     "",
	"stonith-max-attempts":      "",
	"fence-reaction":            "",
	"concurrent-fencing":        "",
	"stop-orphan-resources":     "",
	"stop-orphan-actions":       "",
	"remove-after-stop":         "",
	"node-pending-timeout":      "",
	"cluster-ipc-limit":         "",
	"startup-fencing":           "",
}

// importClusterOptions maps <crm_config>.
func (im *importer) importClusterOptions(cc *element) {
	c := &im.cfg.Cluster
	for _, p := range im.readSets(cc, "cluster_property_set") {
		v := strings.TrimSpace(p.value)
		switch p.name {
		case "stonith-enabled", "fencing-enabled":
			b := isTrue(v)
			c.StonithEnabled = &b
			im.fenced = b
		case "no-quorum-policy":
			switch strings.ToLower(v) {
			case "stop":
				c.NoQuorumPolicy = policy.NoQuorumStop
			case "freeze":
				c.NoQuorumPolicy = policy.NoQuorumFreeze
			case "ignore":
				c.NoQuorumPolicy = policy.NoQuorumIgnore
			case "suicide", "fence":
				c.NoQuorumPolicy = policy.NoQuorumSuicide
			case "demote":
				c.NoQuorumPolicy = policy.NoQuorumDemote
			default:
				im.lossy(p.el, fmt.Sprintf("no-quorum-policy %q is not known; ward's default (stop) applies", v))
			}
		case "symmetric-cluster":
			b := isTrue(v)
			c.Symmetric = &b
		case "placement-strategy":
			switch strings.ToLower(v) {
			case "default", "utilization", "balanced", "minimal":
				c.PlacementStrategy = policy.PlacementStrategy(strings.ToLower(v))
			default:
				im.lossy(p.el, fmt.Sprintf("placement-strategy %q is not known; ward's default applies", v))
			}
		case "start-failure-is-fatal":
			b := isTrue(v)
			c.StartFailureIsFatal = &b
		case "maintenance-mode":
			c.Maintenance = isTrue(v)
		case "cluster-name":
			c.Name = v
		case "priority-fencing-delay":
			if d, err := parsePcmkDuration(v); err == nil {
				c.PriorityFencingDelay = d
			} else {
				im.lossy(p.el, err.Error())
			}
		case "stonith-watchdog-timeout", "fencing-watchdog-timeout":
			if d, err := parsePcmkDuration(strings.TrimPrefix(v, "-")); err == nil && !strings.HasPrefix(v, "-") {
				c.WatchdogTimeout = d
			} else if strings.HasPrefix(v, "-") && v != "-1" {
				im.lossy(p.el, "negative watchdog timeout: ward has no automatic watchdog timeout; set watchdog_timeout by hand")
			} else if v == "-1" {
				im.lossy(p.el, "watchdog timeout -1 (computed from SBD): set watchdog_timeout by hand")
			}
		case "default-resource-stickiness":
			im.applyMeta(p.el, &c.ResourceDefaults, "resource-stickiness", v)
			im.note(p.el, "legacy default-resource-stickiness mapped to cluster.resource_defaults.stickiness")
		case "is-managed-default":
			im.applyMeta(p.el, &c.ResourceDefaults, "is-managed", v)
		case "stop-all-resources":
			if isTrue(v) {
				im.lossy(p.el, "stop-all-resources=true has no cluster-wide equivalent; set target_role = \"Stopped\" in cluster.resource_defaults")
				c.ResourceDefaults.TargetRole = policy.RoleStopped
			}
		case "stonith-action", "fencing-action":
			if a := strings.ToLower(v); a != "reboot" && a != "" {
				im.fenceAction = a
			}
		case "stonith-timeout", "fencing-timeout":
			if d, err := parsePcmkDuration(v); err == nil {
				im.fenceTimeout = d
			} else {
				im.lossy(p.el, err.Error())
			}
		case "startup-fencing":
			im.startupFencing = isTrue(v) || v == ""
			b := im.startupFencing
			c.StartupFencing = &b
		case "node-health-strategy", "node-health-red", "node-health-yellow", "node-health-green", "node-health-base":
			if p.name != "node-health-strategy" || strings.ToLower(v) != "none" {
				im.lossy(p.el, "node health strategies are not supported by ward; #health-* attributes are imported as plain node attributes")
			}
		case "shutdown-lock", "shutdown-lock-limit":
			if isTrue(v) || p.name == "shutdown-lock-limit" {
				im.lossy(p.el, "shutdown locks are not supported by ward")
			}
		default:
			if why, ok := ignoredOptions[p.name]; ok {
				if why != "" {
					im.note(p.el, fmt.Sprintf("%s is not used: %s", p.name, why))
				}
				continue
			}
			im.lossy(p.el, fmt.Sprintf("cluster option %s has no ward equivalent; ignored", p.name))
		}
	}
}

// importRscDefaults maps <rsc_defaults>.
func (im *importer) importRscDefaults(rd *element) {
	for _, p := range im.readSets(rd, "meta_attributes") {
		im.applyMeta(p.el, &im.cfg.Cluster.ResourceDefaults, p.name, p.value)
		if p.name == "is-managed" {
			im.defaultManaged = isTrue(p.value)
		}
	}
	for _, c := range rd.children {
		if c.name != "meta_attributes" {
			im.lossy(c, "only meta_attributes are imported from rsc_defaults")
		}
	}
}

// importOpDefaults maps <op_defaults>.
func (im *importer) importOpDefaults(od *element) {
	for _, p := range im.readSets(od, "meta_attributes") {
		switch p.name {
		case "timeout":
			d, err := parsePcmkDuration(p.value)
			if err != nil {
				im.lossy(p.el, err.Error())
				continue
			}
			im.cfg.Cluster.OpDefaults.Timeout = d
		case "on-fail":
			im.opDefaultOnFail = strings.ToLower(p.value)
			im.note(p.el, "op_defaults on-fail is written on every configured operation without its own on_fail; operations not listed in the CIB keep ward's defaults")
		case "interval", "record-pending", "requires":
			im.note(p.el, fmt.Sprintf("op default %s is not used by ward", p.name))
		default:
			im.lossy(p.el, fmt.Sprintf("op default %s has no ward equivalent; ignored", p.name))
		}
	}
}

// importNodes maps <nodes>.
func (im *importer) importNodes(nodes *element) {
	for _, n := range nodes.all("node") {
		uname := n.attr("uname")
		if uname == "" {
			uname = n.attr("id")
		}
		if uname == "" {
			im.lossy(n, "node without uname or id; ignored")
			continue
		}
		if !idRe.MatchString(uname) || strings.Contains(uname, ":") {
			im.lossy(n, fmt.Sprintf("node name %q has characters ward does not accept in node names (only letters, digits, '_', '.', '-'); the node is not imported", uname))
			continue
		}
		if im.knownNodeName(uname) {
			im.lossy(n, fmt.Sprintf("node %q is defined twice; the second is ignored", uname))
			continue
		}
		if t := n.attr("type"); t != "" && t != "member" && t != "normal" {
			im.lossy(n, fmt.Sprintf("node type %q (remote or ping nodes) is not supported by ward; the node is ignored", t))
			continue
		}
		if id := n.attr("id"); id != "" {
			im.nodeByID[id] = uname
		}
		node := policy.Node{Name: uname, Addresses: []string{uname}}
		im.readConditionalNodeSets(n, uname)
		for _, p := range im.readSetsQuiet(n, "instance_attributes") {
			switch p.name {
			case "standby":
				node.Standby = isTrue(p.value)
			case "maintenance":
				node.Maintenance = isTrue(p.value)
			default:
				if node.Attributes == nil {
					node.Attributes = map[string]string{}
				}
				node.Attributes[p.name] = p.value
			}
		}
		for _, p := range im.readSets(n, "utilization") {
			v, err := strconv.ParseInt(strings.TrimSpace(p.value), 10, 64)
			if err != nil {
				im.lossy(p.el, fmt.Sprintf("utilization %s=%q is not an integer; ignored", p.name, p.value))
				continue
			}
			if node.Utilization == nil {
				node.Utilization = map[string]int64{}
			}
			node.Utilization[p.name] = v
		}
		for _, c := range n.children {
			if c.name != "instance_attributes" && c.name != "utilization" {
				im.lossy(c, "not imported")
			}
		}
		im.cfg.Nodes = append(im.cfg.Nodes, node)
	}
}

func (im *importer) knownNodeName(n string) bool {
	for _, x := range im.cfg.Nodes {
		if x.Name == n {
			return true
		}
	}
	return false
}

// nodeNames returns the configured node names in order.
func (im *importer) nodeNames() []string {
	out := make([]string, 0, len(im.cfg.Nodes))
	for _, n := range im.cfg.Nodes {
		out = append(out, n.Name)
	}
	return out
}
