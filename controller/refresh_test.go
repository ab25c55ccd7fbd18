package controller

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/ward-ha/ward/heartbeat"
	"github.com/ward-ha/ward/policy"
)

// sendRecorder is a Cluster that records what is sent.
type sendRecorder struct {
	sent chan [2]string // to, kind
}

func (s *sendRecorder) Membership() heartbeat.Membership   { return heartbeat.Membership{} }
func (s *sendRecorder) Changes() <-chan struct{}           { return nil }
func (s *sendRecorder) Messages() <-chan heartbeat.Message { return nil }
func (s *sendRecorder) SetTerm(uint64)                     {}
func (s *sendRecorder) SetEpoch(uint64)                    {}
func (s *sendRecorder) SendReliable(_ context.Context, to string, b []byte) error {
	m, err := decodeMessage(b)
	if err != nil {
		return err
	}
	s.sent <- [2]string{to, string(m.Kind)}
	return nil
}

// TestRefreshAsksJoinedMembersAgain pins the fix of seed 2104
// (docs/reliability.md, Found 4): n3 stopped vip and db on its own when
// its gossip view lost quorum for a moment, and its report to the DC was
// dropped (the DC was not present in n3's view at that instant); the DC,
// which never saw n3 leave, believed for ever that n3 ran them. The DC
// now asks every joined member for its state again every reportRefresh;
// a refresh that changes nothing schedules nothing.
func TestRefreshAsksJoinedMembersAgain(t *testing.T) {
	c, clk := bareController(t, clusterPolicy(3, vipPolicy), "n1", "n2", "n3")
	rec := &sendRecorder{sent: make(chan [2]string, 16)}
	c.cl, c.log = rec, slog.New(slog.DiscardHandler)
	ctx, cancel := context.WithCancel(context.Background())
	defer func() { cancel(); c.wg.Wait() }()
	l := &c.loop
	l.isDC, l.myTerm = true, 2
	running := &nodeReport{Node: "n3", Boot: "b3", Resources: []policy.ResourceStatus{{ID: "vip", Role: policy.RoleStarted}},
		Seqs: map[string]uint64{"vip": 5}}
	for _, n := range []string{"n1", "n2", "n3"} {
		r := &nodeReport{Node: n, Boot: "b" + n[1:]}
		if n == "n3" {
			r = running
		}
		l.joined[n], l.known[n], l.joinAsked[n] = r, r, clk.Now()
	}
	if !c.joinStep(ctx) {
		t.Fatal("joinStep(every member joined) = false, want true")
	}
	if at := l.joinAsked["n3"]; !at.Equal(clk.Now()) {
		t.Fatalf("joinStep before the refresh interval asked n3 again at %v", at)
	}
	clk.Advance(reportRefresh)
	if !c.joinStep(ctx) {
		t.Fatal("joinStep(refresh due) = false, want true: a refresh must not hold scheduling")
	}
	asked := map[string]bool{}
	for range 2 { // n2 and n3; n1 is this node (sent to itself through the inbox)
		select {
		case s := <-rec.sent:
			if s[1] == string(msgJoin) {
				asked[s[0]] = true
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("joinStep(refresh due) sent %v, want a join request to n2 and n3", asked)
		}
	}
	if !asked["n3"] || !asked["n2"] {
		t.Errorf("joinStep(refresh due) asked %v, want n2 and n3", asked)
	}

	// The same state again: nothing to schedule.
	l.dirty = false
	same := *running
	c.onState(ctx, "n3", message{Kind: msgState, Term: 2, State: &same})
	if l.dirty {
		t.Errorf("onState(unchanged report) set dirty, want a refresh that changes nothing to schedule nothing")
	}
	// n3 stopped vip meanwhile: the DC must schedule again.
	stopped := &nodeReport{Node: "n3", Boot: "b3", Resources: []policy.ResourceStatus{{ID: "vip", Role: policy.RoleStopped}},
		Seqs: map[string]uint64{"vip": 6}}
	c.onState(ctx, "n3", message{Kind: msgState, Term: 2, State: stopped})
	if !l.dirty {
		t.Errorf("onState(report: vip stopped on n3) did not set dirty, want a new schedule")
	}
}
