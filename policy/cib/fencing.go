package cib

import (
	"fmt"
	"strings"

	"github.com/ward-ha/ward/policy"
)

// placeholderDevice is the id of the device the import adds when fencing
// is enabled and the CIB defines no device.
const placeholderDevice = "imported-placeholder"

// importDevice maps a stonith primitive to a [[fencing.device]].
func (im *importer) importDevice(r *element) {
	id := r.attr("id")
	if _, dup := im.kinds[id]; dup {
		im.lossy(r, fmt.Sprintf("resource id %q is used twice; the second is ignored", id))
		return
	}
	if !idRe.MatchString(id) {
		im.lossy(r, fmt.Sprintf("fencing device id %q has characters ward does not accept; not imported", id))
		return
	}
	if r.attr("type") == "" {
		im.lossy(r, "fencing device without a type (the fence agent); not imported")
		return
	}
	im.kinds[id] = "device"
	d := policy.FenceDevice{ID: id, Plugin: "agent", Agent: r.attr("type")}
	var hostList, hostMap string
	for _, a := range im.readSets(r, "instance_attributes") {
		switch a.name {
		case "pcmk_host_list":
			hostList = a.value
		case "pcmk_host_map":
			hostMap = a.value
		case "pcmk_delay_base":
			if dd, err := parsePcmkDuration(a.value); err == nil {
				d.Delay = dd
			} else {
				im.lossy(a.el, "pcmk_delay_base: "+err.Error()+" (per-node delays are not supported)")
			}
		case "pcmk_delay_max":
			if dd, err := parsePcmkDuration(a.value); err == nil {
				d.DelayMax = dd
			} else {
				im.lossy(a.el, "pcmk_delay_max: "+err.Error())
			}
		case "pcmk_reboot_timeout", "pcmk_off_timeout":
			if dd, err := parsePcmkDuration(a.value); err == nil && dd > d.Timeout {
				d.Timeout = dd
			}
		case "pcmk_reboot_retries", "pcmk_off_retries":
			if n, ok := atoi(a.value); ok && n >= 0 {
				d.Retries = &n
			}
		case "pcmk_reboot_action", "pcmk_off_action":
			im.lossy(a.el, a.name+" (agent action renaming) is not supported; ignored")
		case "pcmk_host_check", "pcmk_host_argument", "pcmk_monitor_retries", "pcmk_action_limit", "pcmk_status_action", "pcmk_monitor_action", "pcmk_list_action":
			im.note(a.el, a.name+" is not used by ward; ward fences exactly the nodes listed in the device")
		default:
			if strings.HasPrefix(a.name, "pcmk_") {
				im.lossy(a.el, a.name+" is not supported by ward; ignored")
				continue
			}
			if secretName(a.name) {
				if d.SecretParams == nil {
					d.SecretParams = map[string]string{}
				}
				d.SecretParams[a.name] = a.value
				continue
			}
			if d.Params == nil {
				d.Params = map[string]string{}
			}
			d.Params[a.name] = a.value
		}
	}
	if im.fenceAction != "" {
		d.Action = im.fenceAction
	}
	if im.fenceTimeout != 0 && d.Timeout == 0 {
		d.Timeout = im.fenceTimeout
	}
	switch {
	case hostMap != "":
		d.HostMap = map[string]string{}
		for _, ent := range strings.FieldsFunc(hostMap, func(r rune) bool { return r == ';' || r == ',' || r == ' ' || r == '\t' || r == '\n' }) {
			k, v, ok := strings.Cut(ent, ":")
			if !ok || k == "" {
				im.lossy(r, fmt.Sprintf("pcmk_host_map entry %q is not node:port; ignored", ent))
				continue
			}
			d.HostMap[k] = v
			d.Nodes = append(d.Nodes, k)
		}
		for _, h := range splitHosts(hostList) {
			if _, ok := d.HostMap[h]; !ok {
				d.Nodes = append(d.Nodes, h)
			}
		}
	case hostList != "":
		d.Nodes = splitHosts(hostList)
	default:
		d.Nodes = im.nodeNames()
		im.comment("fencing.device/"+id, "nodes: the CIB gives no pcmk_host_list or pcmk_host_map; Pacemaker would ask the agent which nodes it can fence, ward needs them listed (all nodes here)")
	}
	if len(im.cfg.Nodes) == 0 {
		im.note(r, "device imported before any node is known; its node list may be empty")
	}
	for _, c := range r.children {
		switch c.name {
		case "instance_attributes":
		case "meta_attributes":
			for _, m := range im.readSets(r, "meta_attributes") {
				switch {
				case m.name == "requires" && m.value != "quorum" && m.value != "fencing":
					im.lossy(m.el, "requires="+m.value+" on a fencing device: ward runs fencing devices only in a quorate partition")
				case m.name == "target-role" && strings.EqualFold(m.value, "stopped"):
					im.lossy(m.el, "a stopped fencing device: ward has no disabled devices; it is imported enabled")
				default:
					im.note(m.el, "meta attribute "+m.name+" of a fencing device is not used by ward")
				}
			}
		case "operations":
			im.note(c, "operations of a fencing device are not used by ward (ward monitors devices itself)")
		default:
			im.lossy(c, "not imported")
		}
	}
	im.cfg.Fencing.Devices = append(im.cfg.Fencing.Devices, d)
}

func splitHosts(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool { return r == ';' || r == ',' || r == ' ' || r == '\t' || r == '\n' })
}

// ensureFencing completes the fencing section: device node lists are
// limited to configured nodes (devices that named none fence all), and
// when fencing is enabled a placeholder device covers every node no
// device names.
func (im *importer) ensureFencing() {
	names := im.nodeNames()
	known := map[string]bool{}
	for _, n := range names {
		known[n] = true
	}
	covered := map[string]bool{}
	for i := range im.cfg.Fencing.Devices {
		d := &im.cfg.Fencing.Devices[i]
		var keep []string
		seen := map[string]bool{}
		for _, n := range d.Nodes {
			if seen[n] {
				continue
			}
			seen[n] = true
			if known[n] {
				keep = append(keep, n)
				continue
			}
			delete(d.HostMap, n)
			im.note(im.elementFor("primitive", d.ID), fmt.Sprintf("device lists host %q, which is not a configured node; left out", n))
		}
		if len(d.HostMap) == 0 {
			d.HostMap = nil
		}
		if len(keep) == 0 {
			keep = names
		}
		d.Nodes = keep
		for _, n := range keep {
			covered[n] = true
		}
	}
	if !im.fenced || len(names) == 0 {
		return
	}
	var uncovered []string
	for _, n := range names {
		if !covered[n] {
			uncovered = append(uncovered, n)
		}
	}
	if len(uncovered) == 0 {
		return
	}
	id := placeholderDevice
	for im.kinds[id] != "" {
		id += "-x"
	}
	im.kinds[id] = "device"
	im.cfg.Fencing.Devices = append(im.cfg.Fencing.Devices, policy.FenceDevice{
		ID: id, Plugin: "agent", Agent: "fence_placeholder_replace_me", Nodes: uncovered,
	})
	im.comment("fencing.device/"+id,
		"PLACEHOLDER. The CIB enables fencing but no fencing device covers these nodes. Pacemaker (and\n"+
			"crm_simulate) still decides to fence them when they are lost; ward does the same with this device,\n"+
			"but its agent does not exist, so a real fencing attempt fails and recovery of the node's resources\n"+
			"stays blocked (safe, not available). Replace it with a real device before running ward.")
	im.res.Issues = append(im.res.Issues, Issue{
		Path: "/cib/configuration/resources",
		Why:  fmt.Sprintf("fencing is enabled but no fencing device covers %s: a placeholder device %q was written; replace it with a real device", strings.Join(uncovered, ", "), id),
	})
}

// importTopology maps <fencing-topology>.
func (im *importer) importTopology(ft *element) {
	known := map[string]bool{}
	for _, n := range im.cfg.Nodes {
		known[n.Name] = true
	}
	for _, l := range ft.all("fencing-level") {
		target := l.attr("target")
		if target == "" {
			im.lossy(l, "fencing levels by target-pattern or target-attribute are not supported; give one level per node")
			continue
		}
		if !known[target] {
			im.lossy(l, fmt.Sprintf("fencing level for %q, which is not a configured node; ignored", target))
			continue
		}
		idx, ok := atoi(l.attr("index"))
		if !ok || idx < 1 {
			im.lossy(l, fmt.Sprintf("fencing level index %q is not a positive integer; ignored", l.attr("index")))
			continue
		}
		var devs []string
		for _, d := range strings.Split(l.attr("devices"), ",") {
			d = strings.TrimSpace(d)
			if d == "" {
				continue
			}
			if im.kinds[d] != "device" {
				im.lossy(l, fmt.Sprintf("fencing level names %q, which is not an imported fencing device; level ignored", d))
				devs = nil
				break
			}
			devs = append(devs, d)
		}
		if len(devs) == 0 {
			continue
		}
		im.cfg.Fencing.Levels = append(im.cfg.Fencing.Levels, policy.FenceLevel{Node: target, Index: idx, Devices: devs})
	}
}

// importAlerts maps <alerts>: one ward alert per recipient (ward alerts
// have no recipient list; the recipient is passed as the param
// "recipient", which Pacemaker passes as CRM_alert_recipient).
func (im *importer) importAlerts(as *element) {
	for _, a := range as.all("alert") {
		id := a.attr("id")
		if !im.checkID(a, id) {
			continue
		}
		base := policy.Alert{ID: id, Kind: "exec", Path: a.attr("path")}
		for _, p := range im.readSets(a, "instance_attributes") {
			if base.Params == nil {
				base.Params = map[string]string{}
			}
			base.Params[p.name] = p.value
		}
		for _, p := range im.readSets(a, "meta_attributes") {
			switch p.name {
			case "timeout":
				if d, err := parsePcmkDuration(p.value); err == nil {
					base.Timeout = d
				}
			default:
				im.lossy(p.el, fmt.Sprintf("alert meta attribute %s is not supported; ignored", p.name))
			}
		}
		if sel := a.child("select"); sel != nil {
			for _, s := range sel.children {
				switch s.name {
				case "select_nodes":
					base.Events = append(base.Events, "node")
				case "select_fencing":
					base.Events = append(base.Events, "fencing")
				case "select_resources":
					base.Events = append(base.Events, "resource")
				case "select_attributes":
					base.Events = append(base.Events, "attribute")
					if len(s.children) > 0 {
						im.lossy(s, "attribute name filters are not supported; every attribute change is sent")
					}
				}
			}
		}
		recips := a.all("recipient")
		if len(recips) == 0 {
			im.cfg.Alerts = append(im.cfg.Alerts, base)
			continue
		}
		for _, r := range recips {
			al := base
			al.Params = map[string]string{}
			for k, v := range base.Params {
				al.Params[k] = v
			}
			al.Params["recipient"] = r.attr("value")
			if len(recips) > 1 || r.attr("id") != "" {
				rid := r.attr("id")
				if rid == "" || !idRe.MatchString(rid) {
					rid = fmt.Sprintf("%s-%d", id, len(im.cfg.Alerts))
				}
				al.ID = rid
			}
			im.cfg.Alerts = append(im.cfg.Alerts, al)
		}
		im.comment("alert/"+id, "Pacemaker passes the recipient as CRM_alert_recipient; ward passes params, so it is the param \"recipient\"")
	}
}
