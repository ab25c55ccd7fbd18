package heartbeat

import (
	"context"
	"log/slog"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ward-ha/ward/heartbeat/heartbeattest"
)

func TestReconfigureGrowThenShrink(t *testing.T) {
	nw := heartbeattest.NewNetwork()
	three, four := specs(3, 1), specs(4, 1)
	var cs []*running
	for _, n := range three {
		cs = append(cs, start(t, nw, three, n.Name, nil))
	}
	for _, c := range cs {
		waitFor(t, c.Cluster, 5*time.Second, "all alive", allAlive)
	}
	// n4 starts with a policy that lists it; the others do not list it
	// yet and refuse it.
	n4 := start(t, nw, four, "n4", nil)
	for deadline := time.Now().Add(5 * time.Second); !strings.Contains(cs[0].logs.String(), `node=n4`); {
		if time.Now().After(deadline) {
			t.Fatalf("n1 did not log refusing n4 within 5 s")
		}
		time.Sleep(5 * time.Millisecond) // polling a log
	}
	if _, ok := cs[0].Membership().Member("n4"); ok {
		t.Fatalf("n1 lists n4 before its policy does: %s", describe(cs[0].Membership()))
	}
	for _, c := range cs {
		if err := c.Reconfigure(Members{Nodes: four}); err != nil {
			t.Fatalf("%s: Reconfigure(4 nodes) = %v", c.cfg.Self, err)
		}
		m := c.Membership()
		if m.Quorum.Total != 4 || m.Quorum.Needed != 3 || !m.Quorum.Quorate {
			t.Errorf("%s: Quorum after Reconfigure(4 nodes) = %+v, want total 4, needed 3, quorate", c.cfg.Self, m.Quorum)
		}
	}
	for _, c := range append(cs, n4) {
		m, _ := waitFor(t, c.Cluster, 5*time.Second, "four alive", func(m Membership) bool { return len(m.Members) == 4 && allAlive(m) })
		if m.Quorum.Votes != 4 {
			t.Errorf("%s: Quorum = %+v, want 4 votes", c.cfg.Self, m.Quorum)
		}
	}
	// Shrink: n4 is no longer configured on the others.
	for _, c := range cs {
		if err := c.Reconfigure(Members{Nodes: three}); err != nil {
			t.Fatalf("%s: Reconfigure(3 nodes) = %v", c.cfg.Self, err)
		}
		m := c.Membership()
		if _, ok := m.Member("n4"); ok || m.Quorum.Total != 3 || m.Quorum.Votes != 3 {
			t.Errorf("%s: after removing n4: %s, want 3 members, 3 of 3 votes", c.cfg.Self, describe(m))
		}
	}
	if cs[0].known("n4") {
		t.Errorf("n1.known(n4) = true after the removal, want false (its messages are dropped)")
	}
	// A node list without this node is refused and changes nothing.
	err := cs[0].Reconfigure(Members{Nodes: specs(4, 1)[1:]})
	if err == nil || !strings.Contains(err.Error(), "not in the node list") {
		t.Errorf("Reconfigure(without n1) = %v, want an error naming the missing node", err)
	}
	if m := cs[0].Membership(); m.Quorum.Total != 3 {
		t.Errorf("after a refused Reconfigure: total %d, want 3 (unchanged)", m.Quorum.Total)
	}
}

func TestReconfigureOwnAddressNeedsRestart(t *testing.T) {
	nw := heartbeattest.NewNetwork()
	nodes := specs(2, 1)
	c := start(t, nw, nodes, "n1", nil)
	<-c.Ready()
	moved := specs(2, 1)
	moved[0].Addresses = []string{"10.9.9.9:7946"}
	err := c.Reconfigure(Members{Nodes: moved})
	if err == nil || !strings.Contains(err.Error(), "restart") {
		t.Errorf("Reconfigure(own address moved) = %v, want an error asking for a restart", err)
	}
	if !c.known("n2") {
		t.Errorf("after Reconfigure: n2 unknown, want the rest applied")
	}
}

// loopbackPort returns a free loopback port for TCP and UDP.
func loopbackPort(t *testing.T) int {
	t.Helper()
	for range 50 {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		p := l.Addr().(*net.TCPAddr).Port
		l.Close()
		if u, err := net.ListenPacket("udp", "127.0.0.1:"+strconv.Itoa(p)); err == nil {
			u.Close()
			return p
		}
	}
	t.Fatal("no free port")
	return 0
}

func TestFetchJoinState(t *testing.T) {
	addr := "127.0.0.1:" + strconv.Itoa(loopbackPort(t))
	logs := &syncBuffer{}
	c, err := New(Config{ClusterName: "fetch", Self: "n1", Nodes: []NodeSpec{{Name: "n1", Addresses: []string{addr}, Votes: 1}},
		Timing: testTiming(), Keyring: &testKey, Logger: slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelInfo}))})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.SetJoinState([]byte("policy epoch 7")); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- c.Run(ctx) }()
	defer func() { cancel(); <-done }()
	<-c.Ready()
	got, err := FetchJoinState(context.Background(), FetchConfig{ClusterName: "fetch", Node: "n4", Peer: addr, Keyring: &testKey, Timeout: 2 * time.Second})
	if err != nil || string(got) != "policy epoch 7" {
		t.Fatalf("FetchJoinState = %q, %v; want %q", got, err, "policy epoch 7")
	}
	// The peer refuses the fetcher's merge after it sent its state.
	for deadline := time.Now().Add(2 * time.Second); !strings.Contains(logs.String(), "handed the live policy") && time.Now().Before(deadline); {
		time.Sleep(5 * time.Millisecond) // polling a log
	}
	if !strings.Contains(logs.String(), "handed the live policy") || strings.Contains(logs.String(), "level=ERROR") {
		t.Errorf("peer's log lacks the hand-over line or has an error:\n%s", logs.String())
	}
	for _, n := range c.links[0].ml.Members() {
		if n.Name != "n1" {
			t.Errorf("the fetcher became a member of n1's gossip: %s", n.Name)
		}
	}
	for _, bad := range []FetchConfig{
		{ClusterName: "other", Node: "n4", Peer: addr, Keyring: &testKey, Timeout: time.Second},
		{ClusterName: "fetch", Node: "n4", Peer: addr, Keyring: &Keyring{Primary: []byte("fedcba9876543210")}, Timeout: time.Second},
	} {
		if got, err := FetchJoinState(context.Background(), bad); err == nil || !strings.Contains(err.Error(), "key file") {
			t.Errorf("FetchJoinState(cluster %s, key %s) = %q, %v; want an error naming the cluster and the key", bad.ClusterName, bad.Keyring.Primary, got, err)
		}
	}
}
