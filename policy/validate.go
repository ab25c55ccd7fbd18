package policy

import (
	"fmt"
	"net"
	"sort"
	"strconv"
	"strings"
)

// validator checks a decoded, defaulted Config and records every
// violation with its key path. The checks are split by concern over the
// validate*.go files; this one holds the cluster, the nodes and the ids.
type validator struct {
	c    *Config
	raw  map[string]any
	errs *collector
	idx  func() *lineIndex // built on first use

	ids       map[string]keyPath  // every id -> where it is first defined
	idKind    map[string]string   // every id -> primitive, group, clone, ...
	res       map[string]*resInfo // resources (primitive, group, clone) by id
	resIDs    []string            // sorted resource ids, for suggestions
	nodes     map[string]int      // node name -> index
	nodeNames []string            // sorted
	devices   map[string]int      // fence device id -> index
	deviceIDs []string            // sorted
}

// resInfo is what the validator knows of one resource.
type resInfo struct {
	kind   string // "primitive", "group" or "clone"
	idx    int
	group  string // primitives: the group holding it
	clone  string // the clone holding it, directly or through its group
	cloned bool   // primitives and groups: named by a clone
}

// validate runs every check on c; raw is the decoded TOML (to tell unset
// keys from zero values where the model cannot).
func validate(c *Config, raw map[string]any, idx func() *lineIndex, errs *collector) {
	v := &validator{c: c, raw: raw, errs: errs, idx: idx,
		ids: map[string]keyPath{}, idKind: map[string]string{},
		res: map[string]*resInfo{}, nodes: map[string]int{}, devices: map[string]int{}}
	v.checkCluster()
	v.checkNodes()
	v.registerIDs()
	v.checkResources()
	v.checkCapacities()
	v.checkLocations()
	v.checkColocations()
	v.checkOrders()
	v.checkFencing()
	v.checkTwoNode()
	v.checkAlerts()
}

// The enumerations, in the order docs/policy.md lists them.
var (
	noQuorumPolicies   = []string{"stop", "freeze", "ignore", "suicide", "demote"}
	placementStrategys = []string{"default", "utilization", "balanced", "minimal"}
	timingProfiles     = []string{"lan", "wan", "conservative"}
	opNames            = []string{"start", "stop", "monitor", "promote", "demote", "notify", "reload", "migrate_to", "migrate_from", "meta-data", "validate-all"}
	onFails            = []string{"ignore", "block", "stop", "restart", "fence", "standby", "ban", "demote"}
	orderKinds         = []string{"mandatory", "optional", "serialize"}
	orderActions       = []string{"start", "stop", "promote", "demote"}
	fencePlugins       = []string{"agent", "exec", "watchdog", "lab"}
	fenceActions       = []string{"reboot", "off"}
	alertKinds         = []string{"exec", "webhook"}
	alertEvents        = []string{"node", "resource", "fencing", "attribute", "quorum", "policy"}
)

// enum checks that val is one of allowed.
func (v *validator) enum(p keyPath, val string, allowed []string) bool {
	for _, a := range allowed {
		if val == a {
			return true
		}
	}
	v.errs.add(p, "%q is not one of %s%s", val, strings.Join(allowed, ", "), didYouMean(val, allowed))
	return false
}

// maxIDLen bounds ids and node names.
const maxIDLen = 200

// checkName checks an id or node name: non-empty, [A-Za-z0-9_.-] only.
func (v *validator) checkName(p keyPath, what, s string) bool {
	if s == "" {
		v.errs.add(p, "%s is missing; write %s = \"...\" (letters, digits, _ . -)", what, p[len(p)-1].key)
		return false
	}
	if len(s) > maxIDLen {
		v.errs.add(p, "%s is %d characters long; the limit is %d", what, len(s), maxIDLen)
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '.' || c == '-') {
			hint := ""
			if c == ':' {
				hint = " (':' marks clone instances)"
			}
			v.errs.add(p, "%s %q contains %q%s; use only letters, digits, '_', '.' and '-'", what, s, string(rune(c)), hint)
			return false
		}
	}
	return true
}

func (v *validator) checkCluster() {
	cl := &v.c.Cluster
	p := kp("cluster")
	if cl.Name == "" {
		v.errs.add(p.with("name"), "cluster name is missing; write name = \"...\" under [cluster]: nodes refuse to join a cluster of another name")
	} else {
		v.checkName(p.with("name"), "cluster name", cl.Name)
	}
	v.enum(p.with("no_quorum_policy"), string(cl.NoQuorumPolicy), noQuorumPolicies)
	v.enum(p.with("placement_strategy"), string(cl.PlacementStrategy), placementStrategys)
	v.enum(p.with("timing"), string(cl.Timing), timingProfiles)
	for _, name := range sortedMapKeys(cl.OpDefaults.Timeouts) {
		v.enum(p.with("op_defaults", "timeouts", name), name, opNames)
	}
	v.checkMeta(p.with("resource_defaults"), &cl.ResourceDefaults, "")
}

func (v *validator) checkNodes() {
	nodes := v.c.Nodes
	if len(nodes) == 0 {
		v.errs.add(kp("node"), "no node is defined; add one [[node]] with name and addresses per cluster member")
		return
	}
	addrOwner := map[string]string{}
	for i := range nodes {
		n := &nodes[i]
		p := kp("node", i)
		if v.checkName(p.with("name"), "node name", n.Name) {
			if j, dup := v.nodes[n.Name]; dup {
				v.errs.add(p.with("name"), "node %q is defined twice (first as %s); node names must be unique", n.Name, v.where(kp("node", j)))
			} else {
				v.nodes[n.Name] = i
			}
		}
		if len(n.Addresses) == 0 {
			v.errs.add(p.with("addresses"), "node has no address; write addresses = [\"10.0.0.1\"] (host or host:port, one per link)")
		}
		for j, a := range n.Addresses {
			ap := p.with("addresses", j)
			if msg := checkAddress(a); msg != "" {
				v.errs.add(ap, "%s", msg)
				continue
			}
			if o, dup := addrOwner[a]; dup {
				v.errs.add(ap, "address %q is already used by node %q; each address belongs to one node", a, o)
				continue
			}
			addrOwner[a] = n.Name
		}
		if n.Votes != nil && *n.Votes < 0 {
			v.errs.add(p.with("votes"), "votes is %d; write 0 (no vote) or more (default 1)", *n.Votes)
		}
		v.checkUtilization(p.with("utilization"), n.Utilization)
		for _, a := range sortedMapKeys(n.Attributes) {
			if strings.HasPrefix(a, "#") {
				v.errs.add(p.with("attributes", a), "attribute names starting with '#' are built in (#uname, #id, #kind); rename %q", a)
			}
		}
	}
	v.nodeNames = sortedMapKeys(v.nodes)
}

// checkCapacities checks, when utilization is in use, that every
// utilization a resource asks for is a capacity of at least one node: a
// node without the capacity has none of it, so such a resource could run
// nowhere.
func (v *validator) checkCapacities() {
	if v.c.Cluster.PlacementStrategy == PlacementDefault {
		return
	}
	has := map[string]bool{}
	for _, n := range v.c.Nodes {
		for k := range n.Utilization {
			has[k] = true
		}
	}
	check := func(p keyPath, u map[string]int64) {
		for _, k := range sortedMapKeys(u) {
			if !has[k] && u[k] > 0 {
				v.errs.add(p.with("utilization", k), "no node has a %q capacity, so nothing needing it can run; add %s to the nodes' utilization or remove it here", k, keyPart(k))
			}
		}
	}
	check(kp("cluster", "resource_defaults"), v.c.Cluster.ResourceDefaults.Utilization)
	for i := range v.c.Primitives {
		check(kp("primitive", i), v.c.Primitives[i].Utilization)
	}
	for i := range v.c.Groups {
		check(kp("group", i), v.c.Groups[i].Utilization)
	}
	for i := range v.c.Clones {
		check(kp("clone", i), v.c.Clones[i].Utilization)
	}
}

// checkAddress returns "" if a is a host or host:port, else a message.
func checkAddress(a string) string {
	if a == "" {
		return "address is empty; write a host or host:port"
	}
	if net.ParseIP(a) != nil {
		return ""
	}
	host, port := a, ""
	if strings.Contains(a, ":") {
		h, pt, err := net.SplitHostPort(a)
		if err != nil {
			return fmt.Sprintf("address %q is not host or host:port (write IPv6 with a port as \"[fe80::1]:7946\")", a)
		}
		host, port = h, pt
	}
	if port != "" {
		n, err := strconv.Atoi(port)
		if err != nil || n < 1 || n > 65535 {
			return fmt.Sprintf("address %q: port %q is not a number from 1 to 65535", a, port)
		}
	}
	if net.ParseIP(host) == nil && !validHostname(host) {
		return fmt.Sprintf("address %q: %q is neither an IP address nor a host name", a, host)
	}
	return ""
}

func validHostname(h string) bool {
	h = strings.TrimSuffix(h, ".")
	if h == "" || len(h) > 253 {
		return false
	}
	for _, label := range strings.Split(h, ".") {
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return false
		}
		for i := 0; i < len(label); i++ {
			c := label[i]
			if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
				return false
			}
		}
	}
	return true
}

func (v *validator) checkUtilization(p keyPath, u map[string]int64) {
	for _, k := range sortedMapKeys(u) {
		if u[k] < 0 {
			v.errs.add(p.with(k), "utilization %d is negative; write 0 or more", u[k])
		}
	}
}

// registerID records id as defined at p; ids are unique across resources,
// constraints, fence devices and alerts.
func (v *validator) registerID(p keyPath, kind, id string) bool {
	if !v.checkName(p.with("id"), kind+" id", id) {
		return false
	}
	if first, dup := v.ids[id]; dup {
		v.errs.add(p.with("id"), "id %q is already used by %s; ids must be unique across resources, constraints, fence devices and alerts", id, v.where(first))
		return false
	}
	v.ids[id] = p
	v.idKind[id] = kind
	return true
}

func (v *validator) registerIDs() {
	c := v.c
	if n := len(c.Primitives) + len(c.Groups) + len(c.Clones); n > maxResources {
		v.errs.add(nil, "the policy defines %d resources; the limit is %d", n, maxResources)
	}
	for i := range c.Primitives {
		if v.registerID(kp("primitive", i), "primitive", c.Primitives[i].ID) {
			v.res[c.Primitives[i].ID] = &resInfo{kind: "primitive", idx: i}
		}
	}
	for i := range c.Groups {
		if v.registerID(kp("group", i), "group", c.Groups[i].ID) {
			v.res[c.Groups[i].ID] = &resInfo{kind: "group", idx: i}
		}
	}
	for i := range c.Clones {
		if v.registerID(kp("clone", i), "clone", c.Clones[i].ID) {
			v.res[c.Clones[i].ID] = &resInfo{kind: "clone", idx: i}
		}
	}
	v.resIDs = sortedMapKeys(v.res)
	for i := range c.Locations {
		v.registerID(kp("location", i), "location", c.Locations[i].ID)
	}
	for i := range c.Colocations {
		v.registerID(kp("colocation", i), "colocation", c.Colocations[i].ID)
		for j, s := range c.Colocations[i].Sets {
			if s.ID != "" {
				v.registerID(kp("colocation", i, "set", j), "resource set", s.ID)
			}
		}
	}
	for i := range c.Orders {
		v.registerID(kp("order", i), "order", c.Orders[i].ID)
		for j, s := range c.Orders[i].Sets {
			if s.ID != "" {
				v.registerID(kp("order", i, "set", j), "resource set", s.ID)
			}
		}
	}
	for i := range c.Fencing.Devices {
		if v.registerID(kp("fencing", "device", i), "fence device", c.Fencing.Devices[i].ID) {
			v.devices[c.Fencing.Devices[i].ID] = i
		}
	}
	v.deviceIDs = sortedMapKeys(v.devices)
	for i := range c.Alerts {
		v.registerID(kp("alert", i), "alert", c.Alerts[i].ID)
	}
}

// where names p in index form with its line, for "first defined at".
func (v *validator) where(p keyPath) string {
	if line, _ := v.idx().find(p); line > 0 {
		return fmt.Sprintf("%s (line %d)", p, line)
	}
	return p.String()
}

// node checks that name is a defined node.
func (v *validator) node(p keyPath, name string) bool {
	if name == "" {
		v.errs.add(p, "node name is empty; write one of %s", listSome(v.nodeNames))
		return false
	}
	if _, ok := v.nodes[name]; !ok {
		v.errs.add(p, "unknown node %q%s", name, didYouMean(name, v.nodeNames))
		return false
	}
	return true
}

// listSome lists up to 10 quoted names.
func listSome(names []string) string {
	if len(names) == 0 {
		return "(none defined)"
	}
	q := make([]string, 0, 10)
	for i, n := range names {
		if i == 10 {
			q = append(q, "...")
			break
		}
		q = append(q, strconv.Quote(n))
	}
	return strings.Join(q, ", ")
}

func sortedMapKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
