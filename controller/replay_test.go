package controller

import (
	"context"
	"encoding/hex"
	"strings"
	"testing"
	"time"

	"github.com/ward-ha/ward/api"
	"github.com/ward-ha/ward/heartbeat"
	"github.com/ward-ha/ward/policy"
)

func TestReplayActionMark(t *testing.T) {
	var k actionMark
	steps := []struct {
		term, tr uint64
		id       int
		ok       bool
	}{
		{3, 5, 0, true},
		{3, 5, 1, true},
		{3, 5, 0, false}, // same action again
		{3, 4, 7, false}, // older transition of the same term
		{3, 6, 0, true},  // newer transition
		{3, 5, 2, false}, // the older one is refused from now on
		{4, 1, 0, true},  // a new term starts its own transitions
		{3, 9, 0, false}, // older term
		{4, 1, 0, false},
	}
	for _, s := range steps {
		why := k.admit(s.term, s.tr, s.id, 0)
		if (why == "") != s.ok {
			t.Errorf("admit(term %d, transition %d, action %d) = %q, want accepted %v", s.term, s.tr, s.id, why, s.ok)
		}
	}
	// The DC's deadline against the DC's clock from its pings.
	k.sawDCClock(4, 1000)
	k.sawDCClock(4, 900) // pings may cross: the clock never goes back
	if why := k.admit(4, 2, 0, 999); !strings.Contains(why, "after the DC's deadline") {
		t.Errorf("admit(deadline 999, DC clock 1000) = %q, want refused after the deadline", why)
	}
	if why := k.admit(4, 2, 0, 1001); why != "" {
		t.Errorf("admit(deadline 1001, DC clock 1000) = %q, want accepted", why)
	}
	if why := k.admit(5, 1, 0, 999); why != "" {
		t.Errorf("admit(term 5, deadline 999, clock of term 4's DC) = %q, want accepted (another DC's clock)", why)
	}
}

func TestReplayActionBoot(t *testing.T) {
	boot := [16]byte{1, 2, 3}
	c := &Controller{node: "n2"}
	c.loop.mem = heartbeat.Membership{Self: "n2", Members: []heartbeat.Member{
		{Name: "n2", Self: true, HasMeta: true, Meta: heartbeat.Meta{BootID: boot}},
	}}
	own := hex.EncodeToString(boot[:])
	for _, tc := range []struct {
		boot string
		want string // substring of the refusal; "" accepted
	}{
		{"", "names no boot"},
		{hex.EncodeToString([]byte{9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9}), "before this node restarted"},
		{own, ""},
	} {
		m := message{Kind: msgAction, Term: 2, Transition: 1, Action: &actionMsg{ID: 0, Kind: policy.ActionStart, Resource: "vip", Node: "n2", NodeBoot: tc.boot}}
		why := c.admitAction(m)
		if (tc.want == "" && why != "") || !strings.Contains(why, tc.want) {
			t.Errorf("admitAction(action for boot %q) = %q, want %q", tc.boot, why, tc.want)
		}
	}
}

const preferN3 = `
[[location]]
id = "vip-prefers-n3"
resource = "vip"
node = "n3"
score = "100"
`

// A captured start of vip on n3, delivered again after the DC moved vip
// away (a later transition of the same term stopped it there), or after
// n3's daemon restarted, is refused: vip never runs twice.
func TestReplayActionRefusedInCluster(t *testing.T) {
	h := newHarness(t, clusterPolicy(3, vipPolicy+preferN3))
	dc := startAll(t, h)
	h.eventually(15*time.Second, "vip on n3", func() bool {
		r := h.running("vip")
		return len(r) == 1 && r[0] == "n3"
	})
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := h.nodes[dc].ctrl.SetNode(ctx, api.NodeRequest{Node: "n3", Action: api.ActionStandby}); err != nil {
		t.Fatalf("SetNode(n3 standby) = %v", err)
	}
	h.eventually(15*time.Second, "vip leaves n3", func() bool {
		r := h.running("vip")
		return len(r) == 1 && r[0] != "n3"
	})
	n3 := h.nodes["n3"]
	cfg, err := policy.Parse("policy.toml", []byte(h.src))
	if err != nil {
		t.Fatal(err)
	}
	start, ok := actionFor(cfg, policy.Action{ID: 0, Kind: policy.ActionStart, Resource: "vip", Node: "n3"})
	if !ok {
		t.Fatal("actionFor(start vip on n3) = false")
	}
	replay := func(boot [16]byte, transition uint64, deadline int64) {
		t.Helper()
		a := *start
		a.NodeBoot = hex.EncodeToString(boot[:])
		a.DeadlineNS = deadline
		b, err := encodeMessage(message{Kind: msgAction, Term: h.status(dc).Term, Transition: transition, Action: &a})
		if err != nil {
			t.Fatal(err)
		}
		n := h.nodes["n3"]
		n.ctrl.post(ctx, func(ctx context.Context) { n.ctrl.onWire(ctx, dc, b) })
	}
	// refused waits until n3 logs the refusal or starts vip, and fails
	// unless it refused.
	refused := func(mark int, why string) {
		t.Helper()
		n := h.nodes["n3"]
		h.eventually(5*time.Second, "n3 refuses or runs the replayed start", func() bool {
			return strings.Contains(n.logs.String(), why) || h.eventIndex(mark, "start", "n3", "vip") >= 0
		})
		if i := h.eventIndex(mark, "start", "n3", "vip"); i >= 0 {
			t.Errorf("replayed start (%s): vip started on n3 (event %d), want refused", why, i)
		}
		if !strings.Contains(n.logs.String(), why) {
			t.Errorf("n3's log lacks the refusal %q", why)
		}
	}

	// 1. The start of the first transition, after the stop of a later one.
	mark := h.mark()
	replay(n3.hb.BootID(), 1, 0)
	refused(mark, "a late or replayed message")

	// 2. After n3 restarted: the action names its previous boot. The
	// restarted daemon has received no action yet, so only the boot tells.
	old := n3.hb.BootID()
	h.restart("n3")
	h.eventually(15*time.Second, "n3 back with a DC", func() bool { return h.dc() != "" })
	mark = h.mark()
	replay(old, 1<<40, 0)
	refused(mark, "it was sent before this node restarted, or replayed")

	// 3. Held back until the DC gave up on it (its deadline, by the DC's
	// clock, is before the DC's last ping): refused though nothing newer
	// reached the restarted n3.
	n := h.nodes["n3"]
	h.eventually(5*time.Second, "n3 has a lease ping from the DC", func() bool {
		pinged := make(chan bool, 1)
		n.ctrl.post(ctx, func(context.Context) { pinged <- n.ctrl.loop.marks.dcClock != 0 })
		select {
		case p := <-pinged:
			return p
		case <-ctx.Done():
			return false
		}
	})
	mark = h.mark()
	replay(n.hb.BootID(), 1<<40, time.Now().Add(-time.Minute).UnixNano())
	refused(mark, "after the DC's deadline")
	if r := h.running("vip"); len(r) != 1 || r[0] == "n3" {
		t.Errorf("vip runs on %v, want one node other than n3", r)
	}
	h.assertSafety()
}
