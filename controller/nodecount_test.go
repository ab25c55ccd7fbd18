package controller

import (
	"strings"
	"testing"

	"github.com/ward-ha/ward/policy"
)

// TestCheckNodeCount: the DC lease is safe below 100 nodes only
// (controller.go, New); New and a policy apply refuse more.
func TestCheckNodeCount(t *testing.T) {
	for _, n := range []int{3, MaxNodes, MaxNodes + 1} {
		cfg, err := policy.Parse("test.toml", []byte(clusterPolicy(n, "")))
		if err != nil {
			t.Fatalf("%d nodes: %v", n, err)
		}
		err = checkNodeCount(cfg)
		if want := n > MaxNodes; (err != nil) != want {
			t.Errorf("checkNodeCount(%d nodes) = %v, want an error: %t", n, err, want)
		}
		if err != nil && !strings.Contains(err.Error(), "at most 99 nodes") {
			t.Errorf("checkNodeCount(%d nodes) = %v, want the limit named", n, err)
		}
		if _, err := New(Config{Node: "n1", Policy: cfg}); n > MaxNodes && (err == nil || !strings.Contains(err.Error(), "at most 99")) {
			t.Errorf("New(%d nodes) = %v, want the node-count error", n, err)
		}
	}
}

// TestCheckWitnessChange: a witness may be added or removed by a policy
// apply, not replaced by another in one step.
func TestCheckWitnessChange(t *testing.T) {
	w := func(addr string) *policy.Config { return &policy.Config{Cluster: policy.Cluster{Witness: addr}} }
	for _, tc := range []struct {
		from, to string
		err      bool
	}{{"", "", false}, {"", "192.0.2.1:7947", false}, {"192.0.2.1:7947", "", false}, {"192.0.2.1:7947", "192.0.2.1:7947", false}, {"192.0.2.1:7947", "192.0.2.2:7947", true}} {
		if err := checkWitnessChange(w(tc.from), w(tc.to)); (err != nil) != tc.err {
			t.Errorf("checkWitnessChange(%q -> %q) = %v, want an error: %t", tc.from, tc.to, err, tc.err)
		}
	}
}
