package controller

import (
	"testing"

	"github.com/ward-ha/ward/heartbeat"
	"github.com/ward-ha/ward/policy"
)

// A promote the DC sends names the policy's nodes that are not members
// (meta down_nodes), so the postgres agent's peer check need not wait
// out a connection timeout for the node just fenced; other actions do
// not carry it.
func TestPromoteCarriesDownNodes(t *testing.T) {
	cfg, err := policy.Parse("t.toml", []byte(clusterPolicy(4, promotablePolicy)))
	if err != nil {
		t.Fatal(err)
	}
	l := &loopState{mem: heartbeat.Membership{Self: "n3", Members: []heartbeat.Member{
		{Name: "n1", State: heartbeat.StateDead},
		{Name: "n2", State: heartbeat.StateSuspect},
		{Name: "n3", State: heartbeat.StateAlive},
	}}} // n4: never seen, not in the membership
	m, ok := l.actionFor(cfg, policy.Action{Kind: policy.ActionPromote, Resource: "db", Node: "n3"})
	if !ok {
		t.Fatal("no message for the promote")
	}
	if got := m.Meta[MetaDownNodes]; got != "n1,n4" {
		t.Errorf("promote meta %s = %q, want \"n1,n4\"", MetaDownNodes, got)
	}
	m, _ = l.actionFor(cfg, policy.Action{Kind: policy.ActionStart, Resource: "db", Node: "n3"})
	if _, ok := m.Meta[MetaDownNodes]; ok {
		t.Errorf("start carries %s = %q; only promotes should", MetaDownNodes, m.Meta[MetaDownNodes])
	}
}
