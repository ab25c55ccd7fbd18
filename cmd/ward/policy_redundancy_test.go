package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestPolicyCheckRedundancy(t *testing.T) {
	// Three nodes, two services kept apart, no fencing needed for the
	// question. The spare's score decides whether the design is N+1.
	const base = `[cluster]
name = "r"
stonith_enabled = false

[[node]]
name = "n1"
addresses = ["10.0.0.1"]

[[node]]
name = "n2"
addresses = ["10.0.0.2"]

[[node]]
name = "n3"
addresses = ["10.0.0.3"]

[[primitive]]
id = "a"
agent = "dummy"

[[primitive]]
id = "b"
agent = "dummy"

[[location]]
id = "a-home"
resource = "a"
node = "n1"
score = 100

[[location]]
id = "b-home"
resource = "b"
node = "n2"
score = 100

[[colocation]]
id = "apart"
resource = "b"
with = "a"
score = "-INFINITY"
`
	const banSpare = `
[[location]]
id = "a-not-n3"
resource = "a"
node = "n3"
score = "-INFINITY"

[[location]]
id = "b-not-n3"
resource = "b"
node = "n3"
score = "-INFINITY"
`
	for _, tc := range []struct {
		name, policy string
		want         []string
	}{
		{"spare usable", base, []string{"N+1: any 1 of 3 nodes", "losing n1, n2: the remaining nodes have no quorum"}},
		{"spare banned", base + banSpare, []string{"N+0", "losing n1: cannot run: b", "losing n2: cannot run: b"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := filepath.Join(t.TempDir(), "policy.toml")
			if err := os.WriteFile(f, []byte(tc.policy), 0o644); err != nil {
				t.Fatal(err)
			}
			code, out, errOut := runWard(t, "policy", "check", "--redundancy", f)
			if code != 0 {
				t.Fatalf("ward policy check --redundancy = %d, stderr:\n%s", code, errOut)
			}
			for _, w := range tc.want {
				if !strings.Contains(out, w) {
					t.Errorf("ward policy check --redundancy output lacks %q:\n%s", w, out)
				}
			}
		})
	}
}

func TestPolicyCheckRedundancyPromotable(t *testing.T) {
	// The PostgreSQL pair survives one failure: the standby can be
	// promoted and the VIP follows it.
	code, out, errOut := runWard(t, "policy", "check", "--redundancy", "../../examples/pg-pair.toml")
	if code != 0 || !strings.Contains(out, "N+1") {
		t.Errorf("ward policy check --redundancy pg-pair = %d\n%s%s\nwant N+1", code, out, errOut)
	}
}
