package heartbeat

import (
	"strings"
	"testing"
	"time"
)

func TestConfigValidate(t *testing.T) {
	base := func() Config {
		return Config{ClusterName: "c", Self: "n1", Nodes: specs(3, 1), Timing: testTiming(), Insecure: true}
	}
	for _, tc := range []struct {
		name string
		mod  func(*Config)
		want string
	}{
		{"self missing", func(c *Config) { c.Self = "x" }, `this node "x" is not in the node list`},
		{"duplicate node", func(c *Config) { c.Nodes = append(c.Nodes, c.Nodes[0]) }, "configured twice"},
		{"no address", func(c *Config) { c.Nodes[1].Addresses = nil }, `"n2" has no address`},
		{"bad port", func(c *Config) { c.Nodes[1].Addresses = []string{"10.0.0.1:99999"} }, "port"},
		{"no key", func(c *Config) { c.Insecure = false }, "no gossip key"},
		{"witness is a node", func(c *Config) { c.Witness = "n2" }, "also a node"},
		{"two_node with three", func(c *Config) { c.TwoNode = true }, "two_node"},
		{"bad timing", func(c *Config) { c.Timing.ProbeTimeout = time.Hour }, "below the probe interval"},
		{"empty name", func(c *Config) { c.Nodes[2].Name = "" }, "has no name"},
	} {
		c := base()
		c.Nodes = specs(3, 1)
		tc.mod(&c)
		_, err := New(c)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("New(%s) = %v, want an error containing %q", tc.name, err, tc.want)
		}
	}
	if _, err := New(base()); err != nil {
		t.Errorf("New(valid) = %v", err)
	}
}

func TestNormalizeAddr(t *testing.T) {
	for in, want := range map[string]string{
		"10.0.0.1":       "10.0.0.1:7946",
		"10.0.0.1:8000":  "10.0.0.1:8000",
		"fd00::1":        "[fd00::1]:7946",
		"[fd00::1]:8000": "[fd00::1]:8000",
		"node1":          "node1:7946",
		"node1:9000":     "node1:9000",
	} {
		if got, err := normalizeAddr(in); err != nil || got != want {
			t.Errorf("normalizeAddr(%q) = %q, %v, want %q", in, got, err, want)
		}
	}
	for _, bad := range []string{"", ":7946", "10.0.0.1:0", "10.0.0.1:x"} {
		if got, err := normalizeAddr(bad); err == nil {
			t.Errorf("normalizeAddr(%q) = %q, want an error", bad, got)
		}
	}
}

func TestProfiles(t *testing.T) {
	var prev time.Duration
	for _, name := range []string{ProfileLAN, ProfileWAN, ProfileConservative} {
		p, err := Profile(name)
		if err != nil || p.validate() != nil {
			t.Fatalf("Profile(%s) = %v / %v", name, err, p.validate())
		}
		if p.MinDeadAfter(3) <= prev {
			t.Errorf("Profile(%s).MinDeadAfter(3) = %v, want more than the faster profile's %v", name, p.MinDeadAfter(3), prev)
		}
		prev = p.MinDeadAfter(3)
		if p.MaxDeadAfter(3) <= p.MinDeadAfter(3) {
			t.Errorf("Profile(%s): MaxDeadAfter %v <= MinDeadAfter %v", name, p.MaxDeadAfter(3), p.MinDeadAfter(3))
		}
	}
	lan, _ := Profile("")
	if lan.Name != ProfileLAN || lan.MinDeadAfter(3) != 525*time.Millisecond || lan.MaxDeadAfter(3) > 3*time.Second {
		t.Errorf("Profile(\"\") = %s min %v max %v, want lan, 525ms, at most 3s", lan.Name, lan.MinDeadAfter(3), lan.MaxDeadAfter(3))
	}
	if _, err := Profile("fast"); err == nil {
		t.Errorf("Profile(fast) = nil error, want one")
	}
}

func TestMemberlistLogAdapter(t *testing.T) {
	nw := []NodeSpec{{Name: "n1", Addresses: []string{"10.0.0.1"}, Votes: 1}, {Name: "n2", Addresses: []string{"10.0.0.2"}, Votes: 1}}
	c, err := New(Config{ClusterName: "c", Self: "n1", Nodes: nw, Timing: testTiming(), Insecure: true})
	if err != nil {
		t.Fatal(err)
	}
	l := c.links[0]
	c.mu.Lock()
	l.peers["n2"] = &linkPeer{state: StateAlive}
	c.mu.Unlock()
	w := &mlLog{log: c.log, link: l}
	w.Write([]byte("[INFO] memberlist: Suspect n2 has failed, no acks received\n"))
	c.mu.Lock()
	st := l.peers["n2"].state
	changed := c.refreshLocked()
	c.mu.Unlock()
	if st != StateSuspect {
		t.Fatalf("after memberlist's suspect line, n2 on link 0 = %s, want suspect", st)
	}
	if x, _ := c.Membership().Member("n2"); !changed || x.State != StateSuspect {
		t.Errorf("Membership n2 = %s (changed %t), want suspect", x.State, changed)
	}
	l.NotifyPingComplete(memberlistNode{Name: "n2"}.node(), 0, nil)
	c.mu.Lock()
	st = l.peers["n2"].state
	c.mu.Unlock()
	if st != StateAlive {
		t.Errorf("after a successful probe, n2 = %s, want alive", st)
	}
}
