package policy

import (
	"fmt"
	"net"
	"net/url"
	"path/filepath"
)

func (v *validator) checkFencing() {
	c := v.c
	// canFence[node] lists the devices that name the node.
	canFence := map[string]map[string]bool{}
	for i := range c.Fencing.Devices {
		d := &c.Fencing.Devices[i]
		p := kp("fencing", "device", i)
		if d.Plugin == "" {
			v.errs.add(p.with("plugin"), "plugin is missing; write plugin = one of agent, exec, watchdog, lab")
		} else if v.enum(p.with("plugin"), d.Plugin, fencePlugins) {
			switch d.Plugin {
			case "agent":
				if d.Agent == "" {
					v.errs.add(p.with("agent"), "plugin \"agent\" needs agent, the fence agent to run, as in agent = \"fence_ipmilan\"")
				}
			case "exec":
				if len(d.Command) == 0 || d.Command[0] == "" {
					v.errs.add(p.with("command"), "plugin \"exec\" needs command, as in command = [\"/usr/local/sbin/fence-node\"]")
				} else if !filepath.IsAbs(d.Command[0]) {
					v.errs.add(p.with("command", 0), "command %q is relative; write an absolute path", d.Command[0])
				}
			case "watchdog":
				if c.Cluster.WatchdogTimeout == 0 {
					v.errs.add(p.with("plugin"), "plugin \"watchdog\" needs cluster.watchdog_timeout, the time after which a hung node has surely reset itself, as in watchdog_timeout = \"10s\"")
				}
				if c.Cluster.TwoNode {
					// A lone node of a two_node pair stays quorate: both
					// halves of a split would feed their watchdogs, count
					// the other fenced after watchdog_timeout and run
					// everything (docs/fencing.md).
					v.errs.add(p.with("plugin"), "plugin \"watchdog\" cannot fence with two_node = true: after a split both nodes stay quorate, keep feeding their watchdogs and would each count the other fenced after watchdog_timeout, so both would run the resources; remove two_node and run a witness (ward witness, ward daemon --witness ADDR), or fence through a power device")
				}
			}
			if d.Agent != "" && d.Plugin != "agent" {
				v.errs.add(p.with("agent"), "agent applies to plugin \"agent\" only")
			}
			if len(d.Command) > 0 && d.Plugin != "exec" {
				v.errs.add(p.with("command"), "command applies to plugin \"exec\" only")
			}
		}
		v.enum(p.with("action"), d.Action, fenceActions)
		v.checkParams(p, d.Params, d.SecretParams)
		if d.Retries != nil && *d.Retries < 0 {
			v.errs.add(p.with("retries"), "retries is %d; write 0 or more (default %d)", *d.Retries, DefaultFenceRetries)
		}
		if len(d.Nodes) == 0 {
			v.errs.add(p.with("nodes"), "device fences no node; write nodes = [\"node1\", ...], the nodes it can fence")
		}
		names := map[string]bool{}
		for j, n := range d.Nodes {
			np := p.with("nodes", j)
			if names[n] {
				v.errs.add(np, "node %q is listed twice", n)
				continue
			}
			names[n] = true
			if v.node(np, n) {
				if canFence[n] == nil {
					canFence[n] = map[string]bool{}
				}
				canFence[n][d.ID] = true
			}
		}
		for _, n := range sortedMapKeys(d.HostMap) {
			if !names[n] {
				v.errs.add(p.with("host_map", n), "host_map names node %q, which is not in this device's nodes", n)
			}
		}
	}
	v.checkLevels(canFence)
	if !*c.Cluster.StonithEnabled {
		return
	}
	if len(c.Fencing.Devices) == 0 {
		v.errs.add(kp("cluster", "stonith_enabled"), "stonith_enabled = true but no fencing device is defined; add a [[fencing.device]] or set stonith_enabled = false (unsafe: a node that stops answering could still run its resources while they start elsewhere)")
		return
	}
	for i, n := range c.Nodes {
		if n.Name != "" && len(canFence[n.Name]) == 0 {
			if _, defined := v.nodes[n.Name]; defined {
				v.errs.add(kp("node", i), "no fencing device can fence node %q; add it to the nodes of a [[fencing.device]]: otherwise its resources cannot be recovered when it fails", n.Name)
			}
		}
	}
}

func (v *validator) checkLevels(canFence map[string]map[string]bool) {
	type nodeIndex struct {
		node  string
		index int
	}
	seen := map[nodeIndex]int{}
	for i := range v.c.Fencing.Levels {
		l := &v.c.Fencing.Levels[i]
		p := kp("fencing", "level", i)
		nodeOK := v.node(p.with("node"), l.Node)
		if l.Index < 1 {
			v.errs.add(p.with("index"), "index is %d; levels are numbered from 1 (tried in index order)", l.Index)
		} else if k, dup := seen[nodeIndex{l.Node, l.Index}]; dup {
			v.errs.add(p.with("index"), "node %q already has a level %d (%s); give each level of a node its own index", l.Node, l.Index, v.where(kp("fencing", "level", k)))
		} else {
			seen[nodeIndex{l.Node, l.Index}] = i
		}
		if len(l.Devices) == 0 {
			v.errs.add(p.with("devices"), "level has no devices; write devices = [\"ipmi-node1\"]")
		}
		for j, d := range l.Devices {
			dp := p.with("devices", j)
			if _, ok := v.devices[d]; !ok {
				v.errs.add(dp, "unknown fence device %q%s", d, didYouMean(d, v.deviceIDs))
				continue
			}
			if nodeOK && !canFence[l.Node][d] {
				v.errs.add(dp, "fence device %q cannot fence node %q; add %q to the device's nodes", d, l.Node, l.Node)
			}
		}
	}
}

// checkTwoNode checks two_node (exactly two voting nodes) and the
// witness (an address; no two_node with it: the witness is the third
// vote).
func (v *validator) checkTwoNode() {
	if w := v.c.Cluster.Witness; w != "" {
		if msg := checkAddress(w); msg != "" {
			v.errs.add(kp("cluster", "witness"), "%s (the witness's host:port, as given to ward witness --listen)", msg)
		} else if _, _, err := net.SplitHostPort(w); err != nil {
			v.errs.add(kp("cluster", "witness"), "witness %q has no port; write host:port, as given to ward witness --listen", w)
		}
		if v.c.Cluster.TwoNode {
			v.errs.add(kp("cluster", "two_node"), "two_node = true and a witness exclude each other: the witness is the third vote that breaks the tie; remove two_node")
		}
	}
	if !v.c.Cluster.TwoNode {
		return
	}
	voters := 0
	for _, n := range v.c.Nodes {
		if n.Votes == nil || *n.Votes > 0 {
			voters++
		}
	}
	if voters != 2 {
		v.errs.add(kp("cluster", "two_node"), "two_node = true needs exactly two nodes with votes, and there are %d; remove two_node", voters)
	}
}

func (v *validator) checkAlerts() {
	for i := range v.c.Alerts {
		a := &v.c.Alerts[i]
		p := kp("alert", i)
		if a.Kind == "" {
			v.errs.add(p.with("kind"), "kind is missing; write kind = \"exec\" (with path) or \"webhook\" (with url)")
		} else if v.enum(p.with("kind"), a.Kind, alertKinds) {
			switch a.Kind {
			case "exec":
				if a.Path == "" {
					v.errs.add(p.with("path"), "an exec alert needs path, the program to run, as in path = \"/usr/local/bin/ward-alert\"")
				} else if !filepath.IsAbs(a.Path) {
					v.errs.add(p.with("path"), "path %q is relative; write an absolute path", a.Path)
				}
				if a.URL != "" {
					v.errs.add(p.with("url"), "url applies to webhook alerts only")
				}
			case "webhook":
				if msg := checkURL(a.URL); msg != "" {
					v.errs.add(p.with("url"), "%s", msg)
				}
				if a.Path != "" {
					v.errs.add(p.with("path"), "path applies to exec alerts only")
				}
			}
		}
		seen := map[string]bool{}
		for j, e := range a.Events {
			if seen[e] {
				v.errs.add(p.with("events", j), "event %q is listed twice", e)
				continue
			}
			seen[e] = true
			v.enum(p.with("events", j), e, alertEvents)
		}
		v.checkParams(p, a.Params, a.SecretParams)
	}
}

// checkURL returns "" if u is an absolute http or https URL.
func checkURL(u string) string {
	if u == "" {
		return "a webhook alert needs url, as in url = \"https://alerts.example.com/ward\""
	}
	p, err := url.Parse(u)
	if err != nil || (p.Scheme != "http" && p.Scheme != "https") || p.Host == "" {
		return fmt.Sprintf("url %q is not an http:// or https:// URL with a host", redactURL(u))
	}
	return ""
}
