package vip

import (
	"time"

	"github.com/ward-ha/ward/resources"
)

// Meta describes the vip agent.
func Meta() *resources.Metadata {
	return &resources.Metadata{
		Name:      "vip",
		Version:   "1.0",
		ShortDesc: "Floating IPv4 or IPv6 address",
		LongDesc: "Adds a floating address to an interface through netlink and announces it " +
			"(gratuitous ARP for IPv4, unsolicited neighbour advertisements for IPv6): a burst when " +
			"start returns, and a second burst arp_repeat_delay later. Start refuses an address that " +
			"another host already answers for (ARP probe for IPv4, duplicate address detection for " +
			"IPv6) unless force=true. Monitor checks that the address is present and its link up. " +
			"Stop removes the address and is idempotent.",
		Params: []resources.ParamSpec{
			{Name: "ip", Type: "string", Required: true, Unique: true, ShortDesc: "The floating address",
				LongDesc: "An IPv4 or IPv6 address, without prefix (e.g. 10.0.0.100 or fd00::100)."},
			{Name: "cidr_netmask", Type: "integer", ShortDesc: "Prefix length",
				LongDesc: "The prefix length (e.g. 24 or 64). Default: that of the interface address whose network covers ip, or 32/128 when nic is set and none does."},
			{Name: "nic", Type: "string", ShortDesc: "Interface",
				LongDesc: "The interface to add the address to. Default: the interface with an address whose network covers ip (as IPaddr2 chooses)."},
			{Name: "label", Type: "string", ShortDesc: "IPv4 address label",
				LongDesc: "An IPv4 label; the kernel label is nic:label (at most 15 characters in all)."},
			{Name: "arp_count", Type: "integer", Default: "5", ShortDesc: "Announcements per burst",
				LongDesc: "How many gratuitous ARPs (request and reply forms alternately) or neighbour advertisements each burst sends; 0 announces nothing."},
			{Name: "arp_repeat_delay", Type: "string", Default: "3s", ShortDesc: "Delay of the second burst",
				LongDesc: "When, after start, the second burst is sent (a Go duration; 0s: no second burst). It runs in the background; stop cancels it."},
			{Name: "probe_timeout", Type: "string", Default: "200ms", ShortDesc: "How long start listens for another holder (IPv4)",
				LongDesc: "Before adding an IPv4 address, start sends ARP probes and listens this long for another host answering for it (0s: no check). IPv6 uses duplicate address detection instead."},
			{Name: "force", Type: "boolean", Default: "false", ShortDesc: "Take the address even if another host answers for it",
				LongDesc: "Skip the ARP probe (IPv4) and duplicate address detection (IPv6). Only for a host known to be dead (fenced) that still answers through a stale switch."},
			{Name: "netns", Type: "string", ShortDesc: "Network namespace to act in",
				LongDesc: "A network namespace name (as `ip netns list` shows it, /run/netns/NAME). Default: ward's own namespace."},
		},
		Actions: []resources.ActionSpec{
			{Name: "start", Timeout: 20 * time.Second},
			{Name: "stop", Timeout: 20 * time.Second},
			{Name: "monitor", Timeout: 20 * time.Second, Interval: 10 * time.Second},
			{Name: "validate-all", Timeout: 20 * time.Second},
			{Name: "meta-data", Timeout: 5 * time.Second},
		},
	}
}
