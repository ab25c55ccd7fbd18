package policy_test

import (
	"reflect"
	"testing"

	"github.com/ward-ha/ward/policy"
	"github.com/ward-ha/ward/policy/policytest"
)

const redundancyPolicy = `[cluster]
name = "r"
[[node]]
name = "n1"
addresses = ["a"]
[[node]]
name = "n2"
addresses = ["b"]
[[node]]
name = "n3"
addresses = ["c"]
[[fencing.device]]
id = "ipmi"
plugin = "lab"
nodes = ["n1", "n2", "n3"]
[[primitive]]
id = "db"
agent = "dummy"
[[location]]
id = "not-n3"
resource = "db"
node = "n3"
score = "-INFINITY"
[[primitive]]
id = "web"
agent = "dummy"
`

func TestRedundancy(t *testing.T) {
	cfg, err := policy.Parse("policy.toml", []byte(redundancyPolicy))
	if err != nil {
		t.Fatal(err)
	}
	st, err := policytest.ParseStatus("node n1 online\nnode n2 online\nnode n3 online\nrsc db n1 Started\nrsc web n2 Started")
	if err != nil {
		t.Fatal(err)
	}
	one, err := policy.Redundancy(cfg, st, defaultNow, 1)
	if err != nil {
		t.Fatalf("Redundancy(1) = %v", err)
	}
	if one.Examined != 3 || one.Safe != 3 || len(one.AtRisk) != 0 {
		t.Errorf("Redundancy(1) = %+v, want 3 sets examined, all safe", one)
	}
	two, err := policy.Redundancy(cfg, st, defaultNow, 2)
	if err != nil {
		t.Fatalf("Redundancy(2) = %v", err)
	}
	want := []policy.RedundancyCase{{Lost: []string{"n1", "n2"}, Down: []string{"db"}}}
	if two.Examined != 3 || two.Safe != 2 || !reflect.DeepEqual(two.Cases, want) || !reflect.DeepEqual(two.AtRisk, []string{"db"}) {
		t.Errorf("Redundancy(2) = %+v, want only losing n1 and n2 to stop db", two)
	}
	for _, k := range []int{0, 4} {
		if _, err := policy.Redundancy(cfg, st, defaultNow, k); err == nil {
			t.Errorf("Redundancy(%d) = nil error, want an error", k)
		}
	}
}
