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
