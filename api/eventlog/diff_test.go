package eventlog

import (
	"strings"
	"testing"
	"time"

	"github.com/ward-ha/ward/api"
)

func status(at time.Time, vipNode string) api.ClusterStatus {
	st := api.ClusterStatus{At: at, DC: "n1", Term: 2, PolicyEpoch: 1, Quorum: api.Quorum{Quorate: true, Votes: 3, Needed: 2, Expected: 3},
		Nodes:     []api.NodeInfo{{Name: "n1", State: "online"}, {Name: "n2", State: "online"}},
		Resources: []api.ResourceInfo{{ID: "vip", Role: "Started", Node: vipNode}}}
	if vipNode == "" {
		st.Resources[0].Role = "Stopped"
	}
	return st
}

func messages(evs []api.Event) string {
	var b []string
	for _, e := range evs {
		b = append(b, string(e.Kind)+": "+e.Message)
	}
	return strings.Join(b, "\n")
}

func TestTrackerStep(t *testing.T) {
	t0 := time.Date(2026, 11, 26, 7, 0, 0, 0, time.UTC)
	tr := NewTracker(nil)
	if got := messages(tr.Step(status(t0, "n1"), nil, t0)); got != "resource: vip: Started@n1 (first observed)" {
		t.Fatalf("Step(first) = %q", got)
	}
	if got := tr.Step(status(t0.Add(time.Second), "n1"), nil, t0); len(got) != 0 {
		t.Fatalf("Step(same) = %q, want nothing", messages(got))
	}
	st := status(t0.Add(2*time.Second), "")
	st.DC, st.Term = "n2", 3
	st.Nodes[0].State = "unclean"
	st.Quorum = api.Quorum{Votes: 1, Needed: 2, Expected: 3}
	st.FailedActions = []api.FailedAction{{Resource: "vip", Node: "n1", Op: "monitor", RC: 7, RCName: "not running", Output: "gone\nmore"}}
	st.Fencing = []api.FenceEvent{{Node: "n1", Device: "pdu", Action: "off", Result: "ok", RequestedBy: "n2", At: t0}}
	st.Transition = &api.TransitionInfo{ID: 9, State: "failed", Done: 1, Total: 2, Failed: 1}
	want := `quorum: quorum lost (1 of 3 votes, 2 needed)
dc: n2 is the DC (term 3)
node: node n1: online -> unclean
transition: transition 9: 2 actions (1 done)
transition: transition 9 failed: 1 of 2 actions done, 1 failed
failure: vip monitor on n1 failed: rc 7 (not running): gone
fencing: node n1 fenced (off) by n2 through pdu: ok
resource: vip stopped (was Started@n1) and the policy wants it running`
	evs := tr.Step(st, nil, t0)
	if got := messages(evs); got != want {
		t.Fatalf("Step(failover) =\n%s\nwant\n%s", got, want)
	}
	if evs[len(evs)-1].Severity != api.SeverityCritical || !evs[len(evs)-1].At.Equal(st.At) {
		t.Errorf("Step(failover) last event = %+v, want critical at %v", evs[len(evs)-1], st.At)
	}
	// The operator stops it: not wanted, no longer critical.
	if got := messages(tr.Step(st, map[string]bool{"vip": false}, t0)); got != "resource: vip: the policy no longer wants it running (Stopped)" {
		t.Errorf("Step(unwanted) = %q", got)
	}
	// A tracker seeded from the log records nothing for an unchanged state.
	tr2 := NewTracker([]api.Event{{Kind: api.EventResource, Resource: "vip", To: "Started@n1", Wanted: new(true)}})
	if got := tr2.Step(status(t0, "n1"), nil, t0); len(got) != 0 {
		t.Errorf("Step(after restart, same) = %q, want nothing", messages(got))
	}
}

func TestWanted(t *testing.T) {
	src := `[cluster]
name = "c"
stonith_enabled = false

[[node]]
name = "n1"
addresses = ["10.0.0.1"]

[[primitive]]
id = "a"
agent = "dummy"

[[primitive]]
id = "b"
agent = "dummy"
target_role = "Stopped"

[[primitive]]
id = "c"
agent = "dummy"

[[group]]
id = "g"
members = ["c"]
is_managed = false
`
	w := Wanted(src)
	if !w["a"] || w["b"] || w["c"] {
		t.Errorf("Wanted() = %v, want a only", w)
	}
	if w := Wanted("not toml ["); len(w) != 0 {
		t.Errorf("Wanted(bad) = %v, want empty", w)
	}
}
