package cib

import (
	"strings"
	"testing"

	"github.com/ward-ha/ward/policy"
)

// ruleFrom converts the first <rule> of a location constraint.
func ruleFrom(t *testing.T, ruleXML string) (string, error) {
	t.Helper()
	doc := `<cib><configuration><constraints><rsc_location id="l" rsc="r">` + ruleXML + `</rsc_location></constraints></configuration></cib>`
	root, err := parseXML("rule.xml", []byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	im := &importer{ids: map[string]*element{}, res: &Result{comments: map[string][]string{}}}
	im.indexIDs(root)
	r := root.child("configuration").child("constraints").child("rsc_location").child("rule")
	return im.ruleText(r)
}

func TestRuleText(t *testing.T) {
	tests := []struct{ in, want string }{
		{`<rule id="r"><expression id="e" attribute="#uname" operation="eq" value="node1"/></rule>`, "#uname eq node1"},
		{`<rule id="r"><expression id="e" attribute="cpu" operation="gte" type="integer" value="4"/></rule>`, "cpu gte integer 4"},
		{`<rule id="r"><expression id="e" attribute="ver" operation="lt" type="version" value="2.1.5"/></rule>`, "ver lt version 2.1.5"},
		{`<rule id="r"><expression id="e" attribute="desc" operation="eq" value="two words"/></rule>`, `desc eq "two words"`},
		{`<rule id="r"><expression id="e" attribute="x" operation="ne" value="and"/></rule>`, `x ne "and"`},
		{`<rule id="r" boolean-op="or"><expression id="e" attribute="a" operation="defined"/><expression id="f" attribute="b" operation="not_defined"/></rule>`, "defined a or not_defined b"},
		{`<rule id="r" boolean-op="and"><expression id="e" attribute="a" operation="eq" value="1"/><rule id="n" boolean-op="or"><expression id="f" attribute="b" operation="eq" value="2"/><expression id="g" attribute="c" operation="eq" value="3"/></rule></rule>`, "a eq 1 and (b eq 2 or c eq 3)"},
		{`<rule id="r"><date_expression id="d" operation="gt" start="2026-01-01"/></rule>`, "date gt 2026-01-01"},
		{`<rule id="r"><date_expression id="d" operation="lt" end="2019-09-20 15:10:52 +00:00"/></rule>`, "date lt 2019-09-20T15:10:52Z"},
		{`<rule id="r"><date_expression id="d" operation="in_range" start="2026-01-01" end="2026-02-01"/></rule>`, "date in_range 2026-01-01 to 2026-02-01"},
		{`<rule id="r"><date_expression id="d" operation="in_range" start="2026-01-01"><duration id="u" months="1" days="2"/></date_expression></rule>`, "date in_range 2026-01-01 to duration months=1 days=2"},
		{`<rule id="r"><date_expression id="d" operation="date_spec"><date_spec id="s" hours="9-16" weekdays="1-5"/></date_expression></rule>`, "date-spec weekdays=1-5 hours=9-16"},
		{`<rule id="r"><date_expression id="d" operation="in_range" end="2005-001"/></rule>`, "date in_range to 2005-01-01"},
		{`<rule id="r"><date_expression id="d" operation="in_range" start="2005-001"/></rule>`, "not (date lt 2005-01-01)"},
		{`<rule id="r"><date_expression id="d" operation="gt" start="2005-020"/></rule>`, "date gt 2005-01-20"},
		{`<rule id="r"><date_expression id="d" operation="gt" start="2005-W03-4T12:30:00"/></rule>`, "date gt 2005-01-20T12:30:00"},
		{`<rule id="r"><expression id="e" attribute="#uname" operation="eq" value="n1"/></rule><rule id-ref="r"/>`, "#uname eq n1"},
	}
	for _, tt := range tests {
		got, err := ruleFrom(t, tt.in)
		if err != nil || got != tt.want {
			t.Errorf("ruleText(%s) = %q, %v, want %q", tt.in, got, err, tt.want)
			continue
		}
		if _, err := policy.ParseExpr(got); err != nil {
			t.Errorf("policy.ParseExpr(%q) error %v", got, err)
		}
	}
}

func TestRuleTextUnrepresentable(t *testing.T) {
	tests := []struct{ in, want string }{
		{`<rule id="r"><expression id="e" attribute="ip" operation="eq" value="ip" value-source="param"/></rule>`, "value-source=param"},
		{`<rule id="r"><expression id="e" attribute="a" operation="matches" value="x"/></rule>`, "operation"},
		{`<rule id="r"></rule>`, "empty rule"},
		{`<rule id="r" boolean-op="xor"><expression id="e" attribute="a" operation="defined"/></rule>`, "boolean-op"},
		{`<rule id="r"><rsc_expression id="x" type="Dummy"/></rule>`, "rsc_expression"},
		{`<rule id="r"><date_expression id="d" operation="date_spec"><date_spec id="s" moon="1"/></date_expression></rule>`, "moon"},
		{`<rule id="r"><date_expression id="d" operation="gt" start="yesterday"/></rule>`, "start"},
	}
	for _, tt := range tests {
		_, err := ruleFrom(t, tt.in)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("ruleText(%s) error = %v, want one containing %q", tt.in, err, tt.want)
		}
	}
}

func TestRuleTextSelfReference(t *testing.T) {
	_, err := ruleFrom(t, `<rule id="r"><expression id="e" attribute="a" operation="defined"/><rule id-ref="r"/></rule>`)
	if err == nil || !strings.Contains(err.Error(), "refers to itself") {
		t.Errorf("ruleText(self-referencing rule) error = %v, want a nesting error", err)
	}
}
