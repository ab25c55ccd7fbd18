package policy_test

import (
	"encoding/json"
	"testing"

	"github.com/ward-ha/ward/policy"
	"github.com/ward-ha/ward/policy/policytest"
)

const fuzzPolicy = `[cluster]
name = "f"
stonith_enabled = false
[[node]]
name = "n1"
addresses = ["a"]
[[node]]
name = "n2"
addresses = ["b"]
[[primitive]]
id = "a"
agent = "dummy"
[[primitive]]
id = "b"
agent = "dummy"
[[group]]
id = "g"
members = ["b"]
[[primitive]]
id = "m"
agent = "stateful"
[[clone]]
id = "mc"
resource = "m"
promotable = true
[[colocation]]
id = "c"
resource = "a"
with = "mc"
with_role = "Promoted"
score = "INFINITY"
[[order]]
id = "o"
first = "mc"
first_action = "promote"
then = "g"
`

// FuzzSchedule feeds arbitrary policies and statuses (line syntax or
// JSON) to Schedule: it must never panic, and its outcome must apply and
// explain without panicking either.
func FuzzSchedule(f *testing.F) {
	f.Add(fuzzPolicy, "node n1 online master-m=5\nnode n2 unclean\nrsc a n2 Started\nrsc m n1 Promoted failed")
	f.Add(fuzzPolicy, "quorate false\nnode n1 online\nrsc b n1 Started failed-stop")
	f.Add(fuzzPolicy, `{"quorate":true,"nodes":[{"name":"n1","state":"online","resources":[{"id":"a","role":"Started","failed":true,"fail_count":1000000}]}]}`)
	f.Fuzz(func(t *testing.T, pol, status string) {
		if len(pol) > 8192 || len(status) > 8192 {
			return
		}
		cfg, err := policy.Parse("fuzz.toml", []byte(pol))
		if err != nil {
			return
		}
		st, err := policytest.ParseStatus(status)
		if err != nil {
			return
		}
		tr := policy.Schedule(cfg, st, defaultNow)
		next := tr.Apply(st)
		policy.Schedule(cfg, next, defaultNow)
		for _, rs := range tr.Scores() {
			if _, err := tr.Explain(rs.Resource); err != nil {
				t.Fatalf("Explain(%q) = %v for a resource of the table", rs.Resource, err)
			}
		}
		if _, err := json.Marshal(tr); err != nil {
			t.Fatalf("json.Marshal(transition) = %v", err)
		}
	})
}

// FuzzParseStatus checks that the status line syntax never panics.
func FuzzParseStatus(f *testing.F) {
	f.Add("node n1 online standby x=1\nrsc a n1 Started failed failcount=INFINITY fail-op=stop/0s rc=5")
	f.Add("quorate false\ndc n1\ndate 2026-01-01T00:00:00Z")
	f.Fuzz(func(t *testing.T, s string) {
		policytest.ParseStatus(s)
	})
}
