package cib

import (
	"testing"
	"time"

	"github.com/ward-ha/ward/policy"
)

// A node whose "tier" changes on 2026-03-01: gold before, platinum after,
// with the static value "bronze" when no rule matches (lower priority).
const condAttrCIB = `<cib><configuration>
<crm_config><cluster_property_set id="o"><nvpair id="f" name="fencing-enabled" value="false"/></cluster_property_set></crm_config>
<nodes>
  <node id="1" uname="east"><instance_attributes id="e"><nvpair id="e1" name="tier" value="platinum"/></instance_attributes></node>
  <node id="2" uname="west">
    <instance_attributes id="w0" score="-10"><nvpair id="w01" name="tier" value="bronze"/></instance_attributes>
    <instance_attributes id="w1"><nvpair id="w11" name="tier" value="gold"/>
      <rule id="r1" score="0"><date_expression id="d1" operation="lt" end="2026-03-01"/></rule></instance_attributes>
    <instance_attributes id="w2"><nvpair id="w21" name="tier" value="platinum"/>
      <rule id="r2" score="0"><date_expression id="d2" operation="in_range" start="2026-03-01" end="2026-06-01"/></rule></instance_attributes>
  </node>
</nodes>
<resources><primitive id="app" class="ocf" provider="acme" type="app"/></resources>
<constraints>
  <rsc_location id="l" rsc="app"><rule id="lr" score="100"><expression id="le" attribute="tier" operation="eq" value="platinum"/></rule></rsc_location>
  <rsc_location id="l2" rsc="app"><rule id="lr2" score="5"><expression id="le2" attribute="tier" operation="defined"/><expression id="le3" attribute="#uname" operation="eq" value="west"/></rule></rsc_location>
</constraints></configuration><status/></cib>`

func TestConditionalNodeAttributes(t *testing.T) {
	res, err := Import("cond.xml", []byte(condAttrCIB), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if res.Lossy() {
		t.Errorf("Import(conditional node attributes) lossy issues: %v", res.Issues)
	}
	if len(res.Config.Locations) != 2 {
		t.Fatalf("locations = %+v, want 2", res.Config.Locations)
	}
	e, err := policy.ParseExpr(res.Config.Locations[0].Rule)
	if err != nil {
		t.Fatalf("policy.ParseExpr(%q) error %v", res.Config.Locations[0].Rule, err)
	}
	static := map[string]map[string]string{"east": {"tier": "platinum"}, "west": {"tier": "bronze"}}
	tests := []struct {
		node string
		at   string
		want bool
	}{
		{"east", "2026-01-15", true},
		{"west", "2026-01-15", false}, // gold
		{"west", "2026-04-15", true},  // platinum
		{"west", "2026-07-15", false}, // no rule matches: bronze
	}
	for _, tt := range tests {
		at, _ := time.Parse("2006-01-02", tt.at)
		env := policy.EvalEnv{Node: tt.node, Attrs: static[tt.node], Now: at}
		if got := e.Eval(env); got != tt.want {
			t.Errorf("Eval(%q, %s at %s) = %v, want %v", res.Config.Locations[0].Rule, tt.node, tt.at, got, tt.want)
		}
	}
	e2, err := policy.ParseExpr(res.Config.Locations[1].Rule)
	if err != nil {
		t.Fatalf("policy.ParseExpr(%q) error %v", res.Config.Locations[1].Rule, err)
	}
	at, _ := time.Parse("2006-01-02", "2026-07-15")
	if !e2.Eval(policy.EvalEnv{Node: "west", Attrs: static["west"], Now: at}) {
		t.Errorf("Eval(%q, west) = false, want true (the static value defines tier)", res.Config.Locations[1].Rule)
	}
}
