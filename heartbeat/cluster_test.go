package heartbeat

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ward-ha/ward/heartbeat/heartbeattest"
)

// testKey is a fixed AES-128 key for unit tests.
var testKey = Keyring{Primary: []byte("0123456789abcdef")}

// addr returns node i's address on link l in the in-memory network.
func addr(i, l int) string { return fmt.Sprintf("10.%d.0.%d:7946", l+1, i) }

// specs returns n nodes "n1".."nN" with the given number of links.
func specs(n, links int) []NodeSpec {
	var out []NodeSpec
	for i := 1; i <= n; i++ {
		s := NodeSpec{Name: fmt.Sprintf("n%d", i), Votes: 1}
		for l := 0; l < links; l++ {
			s.Addresses = append(s.Addresses, addr(i, l))
		}
		out = append(out, s)
	}
	return out
}

func testTiming() Timing {
	t, _ := Profile(ProfileLAN)
	t.RejoinInterval = 200 * time.Millisecond
	return t
}

type running struct {
	*Cluster
	cancel context.CancelFunc
	done   chan error
	logs   *syncBuffer
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// start runs node self of nodes on the in-memory network nw; mod, when
// not nil, adjusts the configuration first.
func start(t *testing.T, nw *heartbeattest.Network, nodes []NodeSpec, self string, mod func(*Config)) *running {
	t.Helper()
	var spec NodeSpec
	for _, n := range nodes {
		if n.Name == self {
			spec = n
		}
	}
	logs := &syncBuffer{}
	cfg := Config{
		ClusterName: "test",
		Self:        self,
		Nodes:       nodes,
		Timing:      testTiming(),
		Keyring:     &testKey,
		Logger:      slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelInfo})),
	}
	if mod != nil {
		mod(&cfg)
	}
	for _, a := range spec.Addresses {
		tr, err := nw.NewTransport(a)
		if err != nil {
			t.Fatal(err)
		}
		cfg.Transports = append(cfg.Transports, tr)
	}
	c, err := New(cfg)
	if err != nil {
		t.Fatalf("New(%s) = %v", self, err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	r := &running{Cluster: c, cancel: cancel, done: make(chan error, 1), logs: logs}
	go func() { r.done <- c.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		<-r.done
		if t.Failed() {
			t.Logf("logs of %s:\n%s", self, logs.String())
		}
	})
	return r
}

// waitFor waits until cond holds for c's membership, or fails after
// limit. It returns the membership and the time it took.
func waitFor(t *testing.T, c *Cluster, limit time.Duration, what string, cond func(Membership) bool) (Membership, time.Duration) {
	t.Helper()
	begin := time.Now()
	deadline := time.NewTimer(limit)
	defer deadline.Stop()
	for {
		m := c.Membership()
		if cond(m) {
			return m, time.Since(begin)
		}
		select {
		case <-c.Changes():
		case <-deadline.C:
			t.Fatalf("%s: %s not reached within %v; membership: %s", c.cfg.Self, what, limit, describe(c.Membership()))
		}
	}
}

func describe(m Membership) string {
	var b strings.Builder
	fmt.Fprintf(&b, "v%d quorum=%+v seenAll=%t", m.Version, m.Quorum, m.SeenAll)
	for _, x := range m.Members {
		fmt.Fprintf(&b, " %s=%s%v", x.Name, x.State, x.Links)
	}
	return b.String()
}

func stateIs(name string, want State) func(Membership) bool {
	return func(m Membership) bool {
		x, ok := m.Member(name)
		return ok && x.State == want
	}
}

func allAlive(m Membership) bool {
	for _, x := range m.Members {
		if !x.Witness && x.State != StateAlive {
			return false
		}
	}
	return true
}

func TestClusterThreeNodesJoin(t *testing.T) {
	nw := heartbeattest.NewNetwork()
	nodes := specs(3, 1)
	var cs []*running
	for _, n := range nodes {
		cs = append(cs, start(t, nw, nodes, n.Name, nil))
	}
	for _, c := range cs {
		m, _ := waitFor(t, c.Cluster, 5*time.Second, "all alive", allAlive)
		if !m.Quorum.Quorate || m.Quorum.Votes != 3 || m.Quorum.Total != 3 {
			t.Errorf("%s: Quorum = %+v, want quorate 3/3", c.cfg.Self, m.Quorum)
		}
	}
	// Each node knows the others' boot ids.
	m := cs[0].Membership()
	for i, c := range cs {
		x, _ := m.Member(c.cfg.Self)
		if !x.HasMeta || x.Meta.BootID != c.BootID() {
			t.Errorf("n1 sees %s boot id %x (has %t), want %x", c.cfg.Self, x.Meta.BootID, x.HasMeta, cs[i].BootID())
		}
	}
	// The quorate flag is gossiped.
	waitFor(t, cs[1].Cluster, 5*time.Second, "n1 gossips quorate", func(m Membership) bool {
		x, _ := m.Member("n1")
		return x.Meta.Quorate
	})
}

func TestClusterRefusesUnknownNode(t *testing.T) {
	nw := heartbeattest.NewNetwork()
	nodes := specs(2, 1)
	a := start(t, nw, nodes, "n1", nil)
	start(t, nw, nodes, "n2", nil)
	waitFor(t, a.Cluster, 5*time.Second, "all alive", allAlive)
	// An intruder with the right key whose own policy lists n1.
	intruder := append(specs(2, 1)[:1:1], NodeSpec{Name: "evil", Addresses: []string{addr(9, 0)}, Votes: 1})
	ev := start(t, nw, intruder, "evil", nil)
	<-ev.Ready()
	<-a.Ready()
	deadline := time.Now().Add(2 * time.Second)
	for time.Now().Before(deadline) {
		for _, c := range []*running{a, ev} {
			for _, n := range c.links[0].ml.Members() {
				if c == a && n.Name == "evil" {
					t.Fatalf("n1's memberlist admitted %q", n.Name)
				}
			}
		}
		select {
		case <-a.Changes():
		case <-time.After(100 * time.Millisecond):
		}
	}
	if !strings.Contains(a.logs.String(), "refusing a node") || !strings.Contains(a.logs.String(), "evil") {
		t.Errorf("n1 did not log the refusal of evil; logs:\n%s", a.logs.String())
	}
	if _, ok := a.Membership().Member("evil"); ok {
		t.Errorf("n1's membership lists evil")
	}
}

func TestClusterWrongKeyRefused(t *testing.T) {
	nw := heartbeattest.NewNetwork()
	nodes := specs(2, 1)
	a := start(t, nw, nodes, "n1", nil)
	start(t, nw, nodes, "n2", func(c *Config) { c.Keyring = &Keyring{Primary: []byte("fedcba9876543210")} })
	timer := time.NewTimer(2 * time.Second)
	defer timer.Stop()
	for {
		if x, _ := a.Membership().Member("n2"); x.State != StateUnknown {
			t.Fatalf("n1 sees n2 %s with a different key, want unknown", x.State)
		}
		select {
		case <-a.Changes():
			continue
		case <-timer.C:
		}
		break
	}
	if logs := a.logs.String(); strings.Count(logs, "does not decrypt with this cluster's key") != 1 {
		t.Errorf("n1 logged the key mismatch %d times in 2s, want once (rate-limited); logs:\n%s", strings.Count(logs, "does not decrypt"), logs)
	}
}

func TestClusterDeadAndRejoin(t *testing.T) {
	nw := heartbeattest.NewNetwork()
	nodes := specs(3, 1)
	a := start(t, nw, nodes, "n1", nil)
	start(t, nw, nodes, "n2", nil)
	c3 := start(t, nw, nodes, "n3", nil)
	waitFor(t, a.Cluster, 5*time.Second, "all alive", allAlive)
	waitFor(t, c3.Cluster, 5*time.Second, "all alive", allAlive)
	oldBoot := c3.BootID()

	nw.Isolate(addr(3, 0))
	m, took := waitFor(t, a.Cluster, 5*time.Second, "n3 dead", stateIs("n3", StateDead))
	t.Logf("isolated n3 declared dead by n1 after %v", took)
	if !m.Quorum.Quorate {
		t.Errorf("n1 with 2 of 3: Quorum = %+v, want quorate", m.Quorum)
	}
	m, _ = waitFor(t, c3.Cluster, 5*time.Second, "n3 alone", func(m Membership) bool { return !m.Quorum.Quorate })
	if m.Quorum.Votes != 1 {
		t.Errorf("isolated n3: Quorum = %+v, want 1 vote", m.Quorum)
	}
	if x, _ := a.Membership().Member("n3"); x.Meta.BootID != oldBoot {
		t.Errorf("dead n3's last known boot id = %x, want %x kept", x.Meta.BootID, oldBoot)
	}

	nw.Heal(addr(3, 0))
	_, took = waitFor(t, a.Cluster, 5*time.Second, "n3 back", stateIs("n3", StateAlive))
	t.Logf("n3 back after heal in %v (re-join every %v)", took, testTiming().RejoinInterval)
	waitFor(t, c3.Cluster, 5*time.Second, "n3 quorate again", func(m Membership) bool { return m.Quorum.Quorate })
}

// TestClusterOneWayCut: n3 still hears the others but nothing it sends
// arrives. The majority declares it dead and stays quorate; n3, whose
// probes get no acks, declares the others dead and loses quorum: no side
// keeps believing in a quorum it does not have.
func TestClusterOneWayCut(t *testing.T) {
	nw := heartbeattest.NewNetwork()
	nodes := specs(3, 1)
	a := start(t, nw, nodes, "n1", nil)
	start(t, nw, nodes, "n2", nil)
	c3 := start(t, nw, nodes, "n3", nil)
	waitFor(t, a.Cluster, 5*time.Second, "all alive", allAlive)
	waitFor(t, c3.Cluster, 5*time.Second, "all alive", allAlive)
	nw.CutOneWay(addr(3, 0), addr(1, 0))
	nw.CutOneWay(addr(3, 0), addr(2, 0))
	m, _ := waitFor(t, a.Cluster, 5*time.Second, "n3 dead", stateIs("n3", StateDead))
	if !m.Quorum.Quorate {
		t.Errorf("n1 after n3's one-way cut: %+v, want quorate", m.Quorum)
	}
	waitFor(t, c3.Cluster, 5*time.Second, "n3 not quorate", func(m Membership) bool { return !m.Quorum.Quorate })
}

func TestClusterRedundantLinks(t *testing.T) {
	nw := heartbeattest.NewNetwork()
	nodes := specs(3, 2)
	a := start(t, nw, nodes, "n1", nil)
	start(t, nw, nodes, "n2", nil)
	start(t, nw, nodes, "n3", nil)
	waitFor(t, a.Cluster, 5*time.Second, "all alive on both links", func(m Membership) bool {
		for _, x := range m.Members {
			for _, l := range x.Links {
				if l.State != StateAlive {
					return false
				}
			}
		}
		return true
	})

	nw.Isolate(addr(3, 0)) // link 0 of n3 cut
	waitFor(t, a.Cluster, 5*time.Second, "n3 dead on link 0", func(m Membership) bool {
		x, _ := m.Member("n3")
		return x.Links[0].State == StateDead
	})
	if x, _ := a.Membership().Member("n3"); x.State != StateAlive || x.Links[1].State != StateAlive {
		t.Fatalf("n3 with one link cut: %s %v, want alive through link 1", x.State, x.Links)
	}

	nw.Isolate(addr(3, 1)) // both links cut
	waitFor(t, a.Cluster, 5*time.Second, "n3 dead", stateIs("n3", StateDead))

	nw.Heal(addr(3, 1))
	waitFor(t, a.Cluster, 5*time.Second, "n3 back on link 1", stateIs("n3", StateAlive))
}

func TestClusterMessages(t *testing.T) {
	nw := heartbeattest.NewNetwork()
	nodes := specs(3, 2)
	var cs []*running
	for _, n := range nodes {
		cs = append(cs, start(t, nw, nodes, n.Name, nil))
	}
	for _, c := range cs {
		waitFor(t, c.Cluster, 5*time.Second, "all alive", allAlive)
	}
	if err := cs[0].Broadcast([]byte("claim term 7")); err != nil {
		t.Fatalf("Broadcast = %v", err)
	}
	if err := cs[0].SendReliable(context.Background(), "n2", []byte("action 1")); err != nil {
		t.Fatalf("SendReliable(n2) = %v", err)
	}
	got := map[string][]string{}
	deadline := time.NewTimer(3 * time.Second)
	defer deadline.Stop()
	for len(got["n2"]) < 2 || len(got["n3"]) < 1 {
		select {
		case m := <-cs[1].Messages():
			got["n2"] = append(got["n2"], fmt.Sprintf("%s:%t:%s", m.From, m.Reliable, m.Payload))
		case m := <-cs[2].Messages():
			got["n3"] = append(got["n3"], fmt.Sprintf("%s:%t:%s", m.From, m.Reliable, m.Payload))
		case <-deadline.C:
			t.Fatalf("messages received = %v, want a broadcast at n2 and n3 and a reliable message at n2", got)
		}
	}
	// Duplicates from the second link must not show up.
	quiet := time.NewTimer(10 * testTiming().GossipInterval)
	defer quiet.Stop()
	for done := false; !done; {
		select {
		case m := <-cs[1].Messages():
			got["n2"] = append(got["n2"], fmt.Sprintf("%s:%t:%s", m.From, m.Reliable, m.Payload))
		case m := <-cs[2].Messages():
			got["n3"] = append(got["n3"], fmt.Sprintf("%s:%t:%s", m.From, m.Reliable, m.Payload))
		case <-quiet.C:
			done = true
		}
	}
	slices.Sort(got["n2"])
	want := map[string][]string{"n2": {"n1:false:claim term 7", "n1:true:action 1"}, "n3": {"n1:false:claim term 7"}}
	for _, n := range []string{"n2", "n3"} {
		if !slices.Equal(got[n], want[n]) {
			t.Errorf("messages at %s = %q, want %q", n, got[n], want[n])
		}
	}
	if err := cs[0].Broadcast(make([]byte, MaxBroadcast+1)); err == nil {
		t.Errorf("Broadcast(%d bytes) = nil, want an error", MaxBroadcast+1)
	}
	if err := cs[0].SendReliable(context.Background(), "n1", []byte("x")); err == nil {
		t.Errorf("SendReliable(self) = nil, want an error")
	}
}

func TestClusterMetaPropagates(t *testing.T) {
	nw := heartbeattest.NewNetwork()
	nodes := specs(2, 1)
	a := start(t, nw, nodes, "n1", nil)
	b := start(t, nw, nodes, "n2", nil)
	waitFor(t, b.Cluster, 5*time.Second, "all alive", allAlive)
	a.SetTerm(5)
	a.SetEpoch(12)
	a.SetTerm(3) // never lowers
	waitFor(t, b.Cluster, 5*time.Second, "n1 term 5 epoch 12", func(m Membership) bool {
		x, _ := m.Member("n1")
		return x.Meta.Term == 5 && x.Meta.Epoch == 12
	})
	if got := a.LocalMeta(); got.Term != 5 || got.Epoch != 12 {
		t.Errorf("LocalMeta() = %+v, want term 5 epoch 12", got)
	}
}

func TestClusterTwoNodeWaitForAll(t *testing.T) {
	nw := heartbeattest.NewNetwork()
	nodes := specs(2, 1)
	two := func(c *Config) { c.TwoNode, c.WaitForAll = true, true }
	a := start(t, nw, nodes, "n1", two)
	// Alone since start: wait_for_all holds quorum back.
	m := a.Membership()
	if m.Quorum.Quorate || m.SeenAll {
		t.Fatalf("lone n1 at start: %s, want not quorate", describe(m))
	}
	start(t, nw, nodes, "n2", two)
	waitFor(t, a.Cluster, 5*time.Second, "quorate with n2", func(m Membership) bool { return m.Quorum.Quorate && m.SeenAll })
	nw.Isolate(addr(2, 0))
	m, _ = waitFor(t, a.Cluster, 5*time.Second, "n2 dead", stateIs("n2", StateDead))
	if !m.Quorum.Quorate || m.Quorum.Reason != "two_node" {
		t.Errorf("n1 after losing n2 in two_node: Quorum = %+v, want quorate by two_node", m.Quorum)
	}
}

func TestClusterWitnessVote(t *testing.T) {
	nw := heartbeattest.NewNetwork()
	nodes := specs(2, 1)
	a := start(t, nw, nodes, "n1", func(c *Config) { c.Witness = "w" })
	m := a.Membership()
	if m.Quorum.Quorate || m.Quorum.Total != 3 {
		t.Fatalf("lone n1 with witness: %+v, want 1/3 not quorate", m.Quorum)
	}
	a.SetWitnessGranted(true)
	waitFor(t, a.Cluster, 2*time.Second, "quorate with the witness vote", func(m Membership) bool { return m.Quorum.Quorate && m.Quorum.Votes == 2 })
	a.SetWitnessGranted(false)
	waitFor(t, a.Cluster, 2*time.Second, "not quorate without it", func(m Membership) bool { return !m.Quorum.Quorate })
}

func TestSendReliableNotRunning(t *testing.T) {
	c, err := New(Config{ClusterName: "t", Self: "n1", Nodes: specs(2, 1), Timing: testTiming(), Insecure: true})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.SendReliable(context.Background(), "n2", []byte("x")); err != ErrNotRunning {
		t.Errorf("SendReliable before Run = %v, want ErrNotRunning", err)
	}
	if err := c.SendReliable(context.Background(), "n2", make([]byte, MaxReliable+1)); err == nil {
		t.Errorf("SendReliable(%d bytes) = nil, want an error", MaxReliable+1)
	}
}

func TestSendReliableToDeadNode(t *testing.T) {
	nw := heartbeattest.NewNetwork()
	nodes := specs(3, 1)
	a := start(t, nw, nodes, "n1", nil)
	<-a.Ready()
	if err := a.SendReliable(context.Background(), "n3", []byte("x")); err == nil || !strings.Contains(err.Error(), "not present") {
		t.Errorf("SendReliable(n3 never seen) = %v, want a not-present error", err)
	}
}

func TestRunStartFailure(t *testing.T) {
	c, err := New(Config{ClusterName: "t", Self: "n1", Nodes: specs(1, 1), Timing: testTiming(), Insecure: true})
	if err != nil {
		t.Fatal(err)
	}
	// 10.1.0.1 is not an address of this host: binding must fail.
	if err := c.Run(context.Background()); err == nil || !strings.Contains(err.Error(), "link 0") {
		t.Errorf("Run() binding a foreign address = %v, want a link 0 error", err)
	}
}
