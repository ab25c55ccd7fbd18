//go:build integration

package vip

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/ward-ha/ward/internal/clock/clocktest"
	"github.com/ward-ha/ward/resources"
	"github.com/ward-ha/ward/resources/agenttest"
)

// sh runs a setup command and fails the test if it fails.
func sh(t testing.TB, args ...string) string {
	t.Helper()
	out, err := exec.Command(args[0], args[1:]...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

func uniq() string {
	b := make([]byte, 3)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// addNS creates a namespace wardvip-<id>-<suffix>, removed at cleanup.
func addNS(t testing.TB, id, suffix string) string {
	t.Helper()
	name := "wardvip-" + id + "-" + suffix
	sh(t, "ip", "netns", "add", name)
	t.Cleanup(func() { exec.Command("ip", "netns", "del", name).Run() })
	sh(t, "ip", "-n", name, "link", "set", "lo", "up")
	return name
}

// lan is hosts on one bridge; each host namespace has eth0 with
// 10.77.<net>.<i+1>/24 and fd77:<net>::<i+1>/64.
type lan struct {
	sw    string
	hosts []string
}

func newLAN(t testing.TB, n, netID int) *lan {
	t.Helper()
	id := uniq()
	l := &lan{sw: addNS(t, id, "sw")}
	sh(t, "ip", "-n", l.sw, "link", "add", "br0", "type", "bridge", "stp_state", "0", "forward_delay", "0", "mcast_snooping", "0")
	sh(t, "ip", "-n", l.sw, "link", "set", "br0", "up")
	for i := 0; i < n; i++ {
		h := addNS(t, id, fmt.Sprintf("h%d", i+1))
		port := fmt.Sprintf("p%d", i+1)
		sh(t, "ip", "-n", l.sw, "link", "add", port, "type", "veth", "peer", "name", "eth0", "netns", h)
		sh(t, "ip", "-n", l.sw, "link", "set", port, "master", "br0", "up")
		// Fast DAD and no ARP lock time in the lab hosts.
		sh(t, "ip", "netns", "exec", h, "sysctl", "-qw", "net.ipv6.neigh.eth0.retrans_time_ms=100", "net.ipv4.neigh.eth0.locktime=0")
		sh(t, "ip", "-n", h, "addr", "add", fmt.Sprintf("10.77.%d.%d/24", netID, i+1), "dev", "eth0")
		sh(t, "ip", "-n", h, "addr", "add", fmt.Sprintf("fd77:%d::%d/64", netID, i+1), "dev", "eth0", "nodad")
		sh(t, "ip", "-n", h, "link", "set", "eth0", "up")
		l.hosts = append(l.hosts, h)
	}
	for _, h := range l.hosts {
		waitFor(t, "carrier on "+h, func() bool {
			out, _ := exec.Command("ip", "netns", "exec", h, "cat", "/sys/class/net/eth0/operstate").Output()
			return strings.TrimSpace(string(out)) == "up"
		})
	}
	return l
}

// waitFor polls cond for up to 5 s (the kernel's state changes on its own
// time; there is nothing to synchronize on).
func waitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func mac(t testing.TB, ns, dev string) string {
	t.Helper()
	out := sh(t, "ip", "netns", "exec", ns, "cat", "/sys/class/net/"+dev+"/address")
	return strings.TrimSpace(out)
}

func do(t testing.TB, a *Agent, action string, p map[string]string) resources.Outcome {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	return a.Do(ctx, resources.Call{Resource: "vip1", Action: action, Params: p})
}

func expectCode(t testing.TB, a *Agent, action string, p map[string]string, want resources.Code) resources.Outcome {
	t.Helper()
	o := do(t, a, action, p)
	if o.Code != want {
		t.Fatalf("Do(%s %v) = %v (%s), want %v", action, p, o.Code, o.Output, want)
	}
	return o
}

func TestIntegrationConformance(t *testing.T) {
	agenttest.Run(t, func(t *testing.T) agenttest.Setup {
		l := newLAN(t, 1, 1)
		a := New(Options{})
		t.Cleanup(a.Close)
		return agenttest.Setup{Agent: a, Params: map[string]string{"ip": "10.77.1.100", "netns": l.hosts[0]}}
	})
}

func TestIntegrationAddRemoveMonitor(t *testing.T) {
	l := newLAN(t, 1, 2)
	a := New(Options{})
	defer a.Close()
	p := map[string]string{"ip": "10.77.2.100", "netns": l.hosts[0], "label": "db", "arp_repeat_delay": "0s"}
	expectCode(t, a, "monitor", p, resources.NotRunning)
	expectCode(t, a, "start", p, resources.OK)
	out := sh(t, "ip", "-n", l.hosts[0], "-4", "addr", "show", "dev", "eth0")
	if !strings.Contains(out, "10.77.2.100/24") || !strings.Contains(out, "eth0:db") {
		t.Fatalf("after start, eth0 shows\n%s\nwant 10.77.2.100/24 labelled eth0:db (prefix from the covering address)", out)
	}
	expectCode(t, a, "monitor", p, resources.OK)
	// A link that goes down is a monitor failure, not "stopped".
	sh(t, "ip", "-n", l.hosts[0], "link", "set", "eth0", "down")
	expectCode(t, a, "monitor", p, resources.ErrGeneric)
	sh(t, "ip", "-n", l.hosts[0], "link", "set", "eth0", "up")
	expectCode(t, a, "stop", p, resources.OK)
	expectCode(t, a, "stop", p, resources.OK)
	expectCode(t, a, "monitor", p, resources.NotRunning)
	if out := sh(t, "ip", "-n", l.hosts[0], "addr", "show"); strings.Contains(out, "10.77.2.100") {
		t.Fatalf("after stop the address is still there:\n%s", out)
	}
	// No covering interface and no nic: a configuration error.
	expectCode(t, a, "start", map[string]string{"ip": "10.99.0.1", "netns": l.hosts[0]}, resources.ErrNotConfigured)
	// A namespace that does not exist: stopped, and stop succeeds.
	gone := map[string]string{"ip": "10.77.2.100", "netns": "wardvip-nonexistent"}
	expectCode(t, a, "monitor", gone, resources.NotRunning)
	expectCode(t, a, "stop", gone, resources.OK)
}

func TestIntegrationStartRefusedWhenHeldElsewhere(t *testing.T) {
	l := newLAN(t, 2, 3)
	a := New(Options{})
	defer a.Close()
	pa := map[string]string{"ip": "10.77.3.100", "netns": l.hosts[0], "arp_repeat_delay": "0s"}
	pb := map[string]string{"ip": "10.77.3.100", "netns": l.hosts[1], "arp_repeat_delay": "0s"}
	expectCode(t, a, "start", pa, resources.OK)
	o := expectCode(t, a, "start", pb, resources.ErrGeneric)
	if !strings.Contains(o.Output, "refusing") || !strings.Contains(o.Output, mac(t, l.hosts[0], "eth0")) {
		t.Errorf("refused start output = %q, want a refusal naming %s", o.Output, mac(t, l.hosts[0], "eth0"))
	}
	expectCode(t, a, "monitor", pb, resources.NotRunning)
	pb["force"] = "true"
	expectCode(t, a, "start", pb, resources.OK)
	expectCode(t, a, "stop", pb, resources.OK)
	expectCode(t, a, "stop", pa, resources.OK)
	delete(pb, "force")
	expectCode(t, a, "start", pb, resources.OK)
	expectCode(t, a, "stop", pb, resources.OK)
}

// talk sends one UDP datagram from ns to ip (bash's /dev/udp), which makes
// the kernel resolve ip's link-layer address.
func talk(t testing.TB, ns, ip string) {
	t.Helper()
	sh(t, "ip", "netns", "exec", ns, "bash", "-c", "echo hi > /dev/udp/"+ip+"/9")
}

func neighMAC(t testing.TB, ns, ip string) string {
	out, _ := exec.Command("ip", "-n", ns, "neigh", "show", ip).Output()
	f := strings.Fields(string(out))
	for i := range f {
		if f[i] == "lladdr" && i+1 < len(f) {
			return f[i+1]
		}
	}
	return ""
}

// TestIntegrationGratuitousARP moves the address from host 1 to host 2
// and checks that host 3, which talked to host 1, learns host 2's MAC
// from the announcement alone, then again from the repeated burst fired
// on the fake clock.
func TestIntegrationGratuitousARP(t *testing.T) {
	l := newLAN(t, 3, 4)
	clk := clocktest.NewFake(time.Unix(0, 0))
	a := New(Options{Clock: clk})
	defer a.Close()
	vip := "10.77.4.100"
	p1 := map[string]string{"ip": vip, "netns": l.hosts[0]}
	p2 := map[string]string{"ip": vip, "netns": l.hosts[1]}
	expectCode(t, a, "start", p1, resources.OK)
	m1, m2 := mac(t, l.hosts[0], "eth0"), mac(t, l.hosts[1], "eth0")
	talk(t, l.hosts[2], vip)
	waitFor(t, "peer to resolve "+vip+" to host 1", func() bool { return neighMAC(t, l.hosts[2], vip) == m1 })
	expectCode(t, a, "stop", p1, resources.OK)
	if a.Pending() != 0 {
		t.Errorf("Pending() after stop = %d, want 0 (stop cancels the repeat)", a.Pending())
	}
	t0 := time.Now()
	expectCode(t, a, "start", p2, resources.OK)
	took := time.Since(t0)
	waitFor(t, "peer to learn the new MAC", func() bool { return neighMAC(t, l.hosts[2], vip) == m2 })
	t.Logf("takeover (probe 200ms + add + first burst) took %v", took)
	if a.Pending() != 1 {
		t.Fatalf("Pending() after start = %d, want 1 repeat scheduled", a.Pending())
	}
	// Make the peer's cache wrong again; the repeat must fix it.
	sh(t, "ip", "-n", l.hosts[2], "neigh", "replace", vip, "lladdr", m1, "dev", "eth0", "nud", "stale")
	clk.Advance(3 * time.Second)
	if a.Pending() != 0 {
		t.Errorf("Pending() after the repeat = %d, want 0", a.Pending())
	}
	waitFor(t, "repeat burst to fix the peer's cache", func() bool { return neighMAC(t, l.hosts[2], vip) == m2 })
	expectCode(t, a, "stop", p2, resources.OK)
}

func TestIntegrationIPv6DAD(t *testing.T) {
	l := newLAN(t, 3, 5)
	a := New(Options{})
	defer a.Close()
	vip := "fd77:5::100"
	p1 := map[string]string{"ip": vip, "netns": l.hosts[0], "arp_repeat_delay": "0s"}
	p2 := map[string]string{"ip": vip, "netns": l.hosts[1], "arp_repeat_delay": "0s"}
	expectCode(t, a, "monitor", p1, resources.NotRunning)
	expectCode(t, a, "start", p1, resources.OK)
	out := sh(t, "ip", "-n", l.hosts[0], "-6", "-o", "addr", "show", "dev", "eth0", "to", vip)
	if !strings.Contains(out, vip+"/64") || strings.Contains(out, "tentative") {
		t.Fatalf("after start eth0 shows\n%s\nwant %s/64, not tentative", out, vip)
	}
	expectCode(t, a, "monitor", p1, resources.OK)
	talk(t, l.hosts[2], vip)
	m1 := mac(t, l.hosts[0], "eth0")
	waitFor(t, "peer to resolve "+vip+" to host 1", func() bool { return neighMAC(t, l.hosts[2], vip) == m1 })
	o := expectCode(t, a, "start", p2, resources.ErrGeneric)
	if !strings.Contains(o.Output, "duplicate address detection failed") {
		t.Errorf("refused start output = %q, want a DAD failure", o.Output)
	}
	if out := sh(t, "ip", "-n", l.hosts[1], "-6", "addr", "show"); strings.Contains(out, vip) {
		t.Errorf("refused start left the address on host 2:\n%s", out)
	}
	// Move it: the peer learns host 2's MAC from the advertisement.
	expectCode(t, a, "stop", p1, resources.OK)
	expectCode(t, a, "start", p2, resources.OK)
	m2 := mac(t, l.hosts[1], "eth0")
	waitFor(t, "peer to learn the new MAC", func() bool { return neighMAC(t, l.hosts[2], vip) == m2 })
	expectCode(t, a, "stop", p2, resources.OK)
	expectCode(t, a, "stop", p2, resources.OK)
}

// BenchmarkIntegrationTakeover measures a takeover: add the address and
// send the first burst (probe disabled: that is a fixed wait).
func BenchmarkIntegrationTakeover(b *testing.B) {
	l := newLAN(b, 1, 6)
	a := New(Options{})
	defer a.Close()
	p := map[string]string{"ip": "10.77.6.100", "netns": l.hosts[0], "probe_timeout": "0s", "arp_repeat_delay": "0s"}
	for b.Loop() {
		if o := do(b, a, "start", p); o.Code != resources.OK {
			b.Fatalf("start = %v %s", o.Code, o.Output)
		}
		b.StopTimer()
		do(b, a, "stop", p)
		b.StartTimer()
	}
}
