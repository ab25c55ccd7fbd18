package vip

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"
	"time"
)

// Defaults of the vip agent's parameters.
const (
	DefaultARPCount     = 5
	DefaultRepeatDelay  = 3 * time.Second
	DefaultProbeTimeout = 200 * time.Millisecond
	maxARPCount         = 100
	maxRepeatDelay      = time.Hour
	maxProbeTimeout     = 10 * time.Second
)

// Config is one vip resource's parameters, checked.
type Config struct {
	// Addr is the floating address (IPv4 or IPv6, no zone).
	Addr netip.Addr
	// Prefix is the prefix length; -1 when not given (taken from the
	// interface address that covers Addr, or the full length).
	Prefix int
	// NIC is the interface name; empty means "the one whose address
	// covers Addr".
	NIC string
	// Label is the IPv4 address label (ifname:label); IPv6 has none.
	Label string
	// ARPCount is how many announcements are sent in each burst.
	ARPCount int
	// RepeatDelay is when the second burst is sent after a start; zero
	// disables it.
	RepeatDelay time.Duration
	// ProbeTimeout is how long start listens for another holder of the
	// address (IPv4 ARP probe); IPv6 uses the kernel's DAD instead.
	ProbeTimeout time.Duration
	// Force skips the conflict check (ARP probe, DAD).
	Force bool
	// NetNS names a network namespace (/run/netns/NAME) to act in.
	NetNS string
}

// ParseConfig checks a vip resource's parameters. Every error names the
// parameter and says what is expected.
func ParseConfig(p map[string]string) (Config, error) {
	c := Config{Prefix: -1, ARPCount: DefaultARPCount, RepeatDelay: DefaultRepeatDelay, ProbeTimeout: DefaultProbeTimeout}
	ip, ok := p["ip"]
	if !ok || strings.TrimSpace(ip) == "" {
		return c, fmt.Errorf("param ip: required (an IPv4 or IPv6 address, like 10.0.0.100)")
	}
	a, err := netip.ParseAddr(strings.TrimSpace(ip))
	if err != nil || a.Zone() != "" {
		return c, fmt.Errorf("param ip: %q is not an IPv4 or IPv6 address without zone", ip)
	}
	a = a.Unmap()
	if a.IsUnspecified() || a.IsMulticast() || a.IsLoopback() {
		return c, fmt.Errorf("param ip: %s cannot float (unspecified, multicast or loopback)", a)
	}
	c.Addr = a
	if v, ok := p["cidr_netmask"]; ok && strings.TrimSpace(v) != "" {
		n, err := strconv.Atoi(strings.TrimPrefix(strings.TrimSpace(v), "/"))
		if err != nil || n < 1 || n > a.BitLen() {
			return c, fmt.Errorf("param cidr_netmask: %q is not a prefix length between 1 and %d", v, a.BitLen())
		}
		c.Prefix = n
	}
	if v, ok := p["nic"]; ok && v != "" {
		if !validIfName(v) {
			return c, fmt.Errorf("param nic: %q is not an interface name (1-15 characters, no '/', ':' or spaces)", v)
		}
		c.NIC = v
	}
	if v, ok := p["label"]; ok && v != "" {
		if a.Is6() {
			return c, fmt.Errorf("param label: IPv6 addresses have no label")
		}
		if strings.ContainsAny(v, "/ \t\n\x00") || len(v) > 15 {
			return c, fmt.Errorf("param label: %q is not a label (at most 15 characters, no '/' or spaces)", v)
		}
		c.Label = v
	}
	if v, ok := p["arp_count"]; ok && v != "" {
		n, err := strconv.Atoi(strings.TrimSpace(v))
		if err != nil || n < 0 || n > maxARPCount {
			return c, fmt.Errorf("param arp_count: %q is not a count between 0 and %d", v, maxARPCount)
		}
		c.ARPCount = n
	}
	if c.RepeatDelay, err = durationParam(p, "arp_repeat_delay", c.RepeatDelay, maxRepeatDelay); err != nil {
		return c, err
	}
	if c.ProbeTimeout, err = durationParam(p, "probe_timeout", c.ProbeTimeout, maxProbeTimeout); err != nil {
		return c, err
	}
	if v, ok := p["force"]; ok && v != "" {
		b, err := strconv.ParseBool(strings.TrimSpace(v))
		if err != nil {
			return c, fmt.Errorf("param force: %q is not true or false", v)
		}
		c.Force = b
	}
	if v, ok := p["netns"]; ok && v != "" {
		if strings.ContainsAny(v, "/ \t\n\x00") || v == "." || v == ".." || len(v) > 255 {
			return c, fmt.Errorf("param netns: %q is not a namespace name (as `ip netns list` shows them)", v)
		}
		c.NetNS = v
	}
	return c, nil
}

func durationParam(p map[string]string, name string, def, limit time.Duration) (time.Duration, error) {
	v, ok := p[name]
	if !ok || strings.TrimSpace(v) == "" {
		return def, nil
	}
	d, err := time.ParseDuration(strings.TrimSpace(v))
	if err != nil || d < 0 || d > limit {
		return 0, fmt.Errorf("param %s: %q is not a duration between 0s and %v (like 3s or 200ms)", name, v, limit)
	}
	return d, nil
}

func validIfName(s string) bool {
	return s != "" && len(s) <= 15 && s != "." && s != ".." && !strings.ContainsAny(s, "/: \t\n\x00")
}

// fullLabel returns the kernel label for an IPv4 address: the interface
// name, then ":" and the label unless it already starts with it.
func fullLabel(nic, label string) (string, error) {
	if label == "" {
		return "", nil
	}
	l := label
	if !strings.HasPrefix(label, nic+":") && label != nic {
		l = nic + ":" + label
	}
	if len(l) > 15 {
		return "", fmt.Errorf("param label: %q on %s makes label %q, longer than 15 characters", label, nic, l)
	}
	return l, nil
}
