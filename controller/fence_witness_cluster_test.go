package controller

import (
	"context"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/ward-ha/ward/heartbeat"
	"github.com/ward-ha/ward/heartbeat/witness"
	"github.com/ward-ha/ward/internal/clock/clocktest"
)

// witnessHarness returns a harness of two nodes (no two_node, fencing
// disabled) whose quorum counts a witness served in-process: the gossip
// network can be cut while every node still reaches the witness.
func witnessHarness(t *testing.T, extra string) *harness {
	t.Helper()
	src := strings.Replace(clusterPolicy(2, vipPolicy+extra), "stonith_enabled = true", "stonith_enabled = false", 1)
	h := newHarness(t, src)
	w, err := witness.New(witness.Config{Cluster: "test", Lease: 1500 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(witness.Handler(w, testKeyring.Primary))
	t.Cleanup(srv.Close)
	h.witness = func(ctx context.Context, n *tnode) {
		info := func() (bool, uint64) {
			ictx, cancel := context.WithTimeout(ctx, time.Second)
			defer cancel()
			dc, term, _ := n.ctrl.WitnessInfo(ictx)
			return dc, term
		}
		c := witness.NewClient(witness.ClientConfig{Addr: strings.TrimPrefix(srv.URL, "http://"), Cluster: "test", Node: n.name,
			Key: testKeyring.Primary, Term: func() uint64 { _, t := info(); return t },
			OnVote: func(v witness.Vote, term uint64) {
				vctx, cancel := context.WithTimeout(ctx, time.Second)
				defer cancel()
				_ = n.ctrl.SetWitnessVote(vctx, v, term)
			}})
		view := func() ([]string, bool) {
			var out []string
			for _, m := range n.hb.Membership().Members {
				if !m.Witness && (m.Self || m.State.Present()) {
					out = append(out, m.Name)
				}
			}
			dc, _ := info()
			return out, dc
		}
		_ = c.Run(ctx, 500*time.Millisecond, view, n.hb.SetWitnessGranted)
	}
	return h
}

// TestClusterWitnessElectsLoneNode: two nodes and a witness, no power
// fencing. The DC (n1) is elected with its peer, vip runs on n2. The
// link between them is cut while both still reach the witness: the
// witness keeps its vote for the DC's side, n2 loses quorum and stops
// vip, and n1 alone (1 vote + the witness's = 2 of 3) stays DC and runs
// vip; vip never runs twice and n2 never counts as quorate. After the
// heal the pair is whole again.
func TestClusterWitnessElectsLoneNode(t *testing.T) {
	h := witnessHarness(t, strings.Replace(preferN1, `"n1"`, `"n2"`, 1))
	for _, n := range h.sortedNodes() {
		h.start(n)
	}
	h.eventually(20*time.Second, "n1 DC, vip on n2", func() bool {
		r := h.running("vip")
		return h.dc() == "n1" && len(r) == 1 && r[0] == "n2"
	})
	h.nw.Isolate(h.nodes["n2"].addr)
	h.eventually(20*time.Second, "vip moves to n1 with the witness vote", func() bool {
		r := h.running("vip")
		return len(r) == 1 && r[0] == "n1"
	})
	if st := h.status("n1"); !st.Quorum.Quorate || st.Quorum.Votes != 2 || st.Quorum.Expected != 3 || st.DC != "n1" {
		t.Fatalf("n1 after the cut: quorum %+v, DC %q; want quorate with 2 of 3 votes, DC n1", st.Quorum, st.DC)
	}
	m := h.nodes["n2"].hb.Membership()
	if m.Quorum.Quorate {
		t.Fatalf("n2 cut off: quorate %+v, want not quorate (the witness vote is n1's)", m.Quorum)
	}
	h.nw.Heal(h.nodes["n2"].addr)
	h.eventually(20*time.Second, "the pair is whole again", func() bool {
		st := h.status("n2")
		return st.DC != "" && st.Quorum.Quorate && st.Quorum.Votes == 3 && len(h.running("vip")) == 1
	})
}

// TestClusterWitnessIgnoresVoteOfOtherView: a vote the witness granted
// for another view does not count, nor one whose lease ended.
func TestClusterWitnessIgnoresVoteOfOtherView(t *testing.T) {
	c := &Controller{clk: clocktest.NewFake(time.Unix(1000, 0))}
	c.loop.mem = heartbeat.Membership{WitnessGranted: true, Members: []heartbeat.Member{
		{Name: "n1", Self: true, State: heartbeat.StateAlive}, {Name: "n2"}, {Name: "witness", Witness: true}}}
	now := time.Unix(1000, 0)
	for _, tc := range []struct {
		view  []string
		until time.Time
		want  int
	}{
		{[]string{"n1"}, now.Add(time.Second), 1},
		{[]string{"n1", "n2"}, now.Add(time.Second), 0}, // granted before the cut
		{[]string{"n1"}, now, 0},                        // lease over
	} {
		c.loop.witness = witnessState{vote: witness.NewVote(tc.view, tc.until)}
		if got := c.witnessVote(); got != tc.want {
			t.Errorf("witnessVote(view %v, until %v) = %d, want %d", tc.view, tc.until.Sub(now), got, tc.want)
		}
	}
}

// TestClusterWitnessTermRaisesClaims: the witness's highest term (from
// the other side of a split) is observed before the vote counts, so
// this node's next claim is above it.
func TestClusterWitnessTermRaisesClaims(t *testing.T) {
	h := witnessHarness(t, "")
	for _, n := range h.sortedNodes() {
		h.start(n)
	}
	h.eventually(20*time.Second, "a DC", func() bool { return h.dc() != "" })
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	n2 := h.nodes["n2"]
	if err := n2.ctrl.SetWitnessVote(ctx, witness.Vote{}, 50); err != nil {
		t.Fatal(err)
	}
	if seen := n2.store.Term().Seen; seen < 50 {
		t.Fatalf("term seen by n2 after the witness reported 50 = %d, want 50 or more", seen)
	}
	h.eventually(20*time.Second, "a DC elected above the witness's term", func() bool {
		st := h.status("n1")
		return st.DC != "" && st.Term > 50
	})
}
