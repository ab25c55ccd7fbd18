package vip

import (
	"net"
	"net/netip"
	"strings"
	"testing"
	"time"
)

func TestParseConfig(t *testing.T) {
	tests := []struct {
		params map[string]string
		want   Config
		err    string
	}{
		{map[string]string{"ip": "10.0.0.5"}, Config{Addr: netip.MustParseAddr("10.0.0.5"), Prefix: -1, ARPCount: 5, RepeatDelay: 3 * time.Second, ProbeTimeout: 200 * time.Millisecond}, ""},
		{map[string]string{"ip": "fd00::5", "cidr_netmask": "/64", "nic": "eth0", "arp_count": "0", "arp_repeat_delay": "0s", "force": "true", "netns": "n1", "probe_timeout": "1s"},
			Config{Addr: netip.MustParseAddr("fd00::5"), Prefix: 64, NIC: "eth0", ARPCount: 0, RepeatDelay: 0, ProbeTimeout: time.Second, Force: true, NetNS: "n1"}, ""},
		{map[string]string{"ip": "::ffff:10.1.2.3", "label": "vip"}, Config{Addr: netip.MustParseAddr("10.1.2.3"), Prefix: -1, Label: "vip", ARPCount: 5, RepeatDelay: 3 * time.Second, ProbeTimeout: 200 * time.Millisecond}, ""},
		{map[string]string{}, Config{}, "param ip: required"},
		{map[string]string{"ip": "10.0.0.0/24"}, Config{}, "param ip"},
		{map[string]string{"ip": "fe80::1%eth0"}, Config{}, "without zone"},
		{map[string]string{"ip": "127.0.0.1"}, Config{}, "cannot float"},
		{map[string]string{"ip": "10.0.0.5", "cidr_netmask": "33"}, Config{}, "param cidr_netmask"},
		{map[string]string{"ip": "10.0.0.5", "nic": "a/b"}, Config{}, "param nic"},
		{map[string]string{"ip": "10.0.0.5", "nic": "averyveryverylongname"}, Config{}, "param nic"},
		{map[string]string{"ip": "fd00::1", "label": "x"}, Config{}, "IPv6 addresses have no label"},
		{map[string]string{"ip": "10.0.0.5", "arp_count": "-1"}, Config{}, "param arp_count"},
		{map[string]string{"ip": "10.0.0.5", "arp_repeat_delay": "soon"}, Config{}, "param arp_repeat_delay"},
		{map[string]string{"ip": "10.0.0.5", "force": "maybe"}, Config{}, "param force"},
		{map[string]string{"ip": "10.0.0.5", "netns": "../etc"}, Config{}, "param netns"},
	}
	for _, tt := range tests {
		got, err := ParseConfig(tt.params)
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("ParseConfig(%v) error = %v, want one containing %q", tt.params, err, tt.err)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("ParseConfig(%v) = %+v, %v, want %+v", tt.params, got, err, tt.want)
		}
	}
}

func TestFullLabel(t *testing.T) {
	tests := []struct{ nic, label, want, err string }{
		{"eth0", "", "", ""},
		{"eth0", "vip", "eth0:vip", ""},
		{"eth0", "eth0:db", "eth0:db", ""},
		{"eth0", "waytoolonglabel", "", "longer than 15"},
	}
	for _, tt := range tests {
		got, err := fullLabel(tt.nic, tt.label)
		if got != tt.want || (tt.err == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), tt.err)) {
			t.Errorf("fullLabel(%q, %q) = %q, %v, want %q (error %q)", tt.nic, tt.label, got, err, tt.want, tt.err)
		}
	}
}

func TestARPFrameRoundTrip(t *testing.T) {
	mac := net.HardwareAddr{2, 0, 0, 0, 0, 1}
	vip := netip.MustParseAddr("10.9.8.7")
	f := arpFrame(arpReply, mac, vip, mac, vip)
	p, ok := parseARPFrame(f)
	if !ok || p.op != arpReply || p.sha.String() != mac.String() || p.spa != vip || p.tpa != vip {
		t.Errorf("parseARPFrame(arpFrame(reply)) = %+v, %v, want reply from %s for %s", p, ok, mac, vip)
	}
	if _, ok := parseARPFrame(f[:20]); ok {
		t.Errorf("parseARPFrame(short frame) ok, want not ok")
	}
	na := naMessage(netip.MustParseAddr("fd00::1"), mac)
	if na[0] != 136 || na[4] != 0x20 || na[24] != 2 || net.HardwareAddr(na[26:32]).String() != mac.String() {
		t.Errorf("naMessage = % x, want an NA with override flag and target link-layer option", na)
	}
}

func FuzzParseConfig(f *testing.F) {
	f.Add("10.0.0.5", "24", "eth0", "vip", "5", "3s", "true", "n1")
	f.Add("fd00::1", "/64", "", "", "0", "0s", "false", "")
	f.Fuzz(func(t *testing.T, ip, mask, nic, label, count, delay, force, ns string) {
		c, err := ParseConfig(map[string]string{"ip": ip, "cidr_netmask": mask, "nic": nic, "label": label,
			"arp_count": count, "arp_repeat_delay": delay, "force": force, "netns": ns})
		if err != nil {
			return
		}
		if !c.Addr.IsValid() || c.Prefix > c.Addr.BitLen() || c.ARPCount < 0 || c.ARPCount > maxARPCount || c.RepeatDelay < 0 {
			t.Errorf("ParseConfig accepted an out-of-range config %+v", c)
		}
	})
}

func FuzzParseARPFrame(f *testing.F) {
	mac := net.HardwareAddr{2, 0, 0, 0, 0, 1}
	f.Add(arpFrame(arpRequest, mac, netip.MustParseAddr("10.0.0.1"), make(net.HardwareAddr, 6), netip.MustParseAddr("10.0.0.2")))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		p, ok := parseARPFrame(b)
		if ok && (len(p.sha) != 6 || !p.spa.Is4() || !p.tpa.Is4()) {
			t.Errorf("parseARPFrame(% x) = %+v, want 6-byte sha and IPv4 addresses", b, p)
		}
	})
}
