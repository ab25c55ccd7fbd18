package cib

import (
	"fmt"
	"io"
	"strings"
	"testing"
)

// bigCIB builds a CIB with nodes nodes, prims primitives (each with a
// location, a colocation and an order with the previous one) and a full
// operation history of every primitive on its node.
func bigCIB(nodes, prims int) []byte {
	var b strings.Builder
	b.WriteString(`<cib have-quorum="1"><configuration><crm_config><cluster_property_set id="o"><nvpair id="f" name="fencing-enabled" value="false"/></cluster_property_set></crm_config><nodes>`)
	for i := 0; i < nodes; i++ {
		fmt.Fprintf(&b, `<node id="%d" uname="n%d"><instance_attributes id="na%d"><nvpair id="nv%d" name="rack" value="r%d"/></instance_attributes></node>`, i, i, i, i, i%10)
	}
	b.WriteString(`</nodes><resources>`)
	for i := 0; i < prims; i++ {
		fmt.Fprintf(&b, `<primitive id="p%d" class="ocf" provider="heartbeat" type="Dummy"><instance_attributes id="pa%d"><nvpair id="pv%d" name="state" value="/run/p%d"/></instance_attributes><operations><op id="po%d" name="monitor" interval="10s" timeout="20s"/></operations></primitive>`, i, i, i, i, i)
	}
	b.WriteString(`</resources><constraints>`)
	for i := 0; i < prims; i++ {
		fmt.Fprintf(&b, `<rsc_location id="l%d" rsc="p%d"><rule id="lr%d" score="10"><expression id="le%d" attribute="rack" operation="eq" value="r%d"/></rule></rsc_location>`, i, i, i, i, i%10)
		if i > 0 {
			fmt.Fprintf(&b, `<rsc_colocation id="c%d" rsc="p%d" with-rsc="p%d" score="100"/><rsc_order id="o%d" first="p%d" then="p%d"/>`, i, i, i-1, i, i-1, i)
		}
	}
	b.WriteString(`</constraints></configuration><status>`)
	for i := 0; i < nodes; i++ {
		fmt.Fprintf(&b, `<node_state id="%d" uname="n%d" in_ccm="true" crmd="online" join="member" expected="member"><lrm id="%d"><lrm_resources>`, i, i, i)
		for j := i; j < prims; j += nodes {
			fmt.Fprintf(&b, `<lrm_resource id="p%d"><lrm_rsc_op id="p%d_last_0" operation="start" interval="0" rc-code="0" op-status="0" call-id="%d" transition-key="1:1:0:u"/><lrm_rsc_op id="p%d_monitor_10000" operation="monitor" interval="10000" rc-code="0" op-status="0" call-id="%d" transition-key="1:1:0:u"/></lrm_resource>`, j, j, 2*j, j, 2*j+1)
		}
		b.WriteString(`</lrm_resources></lrm></node_state>`)
	}
	b.WriteString(`</status></cib>`)
	return []byte(b.String())
}

// BenchmarkImport imports a CIB of 32 nodes and 2,000 primitives with
// 6,000 constraints and their history, and writes the policy.
func BenchmarkImport(b *testing.B) {
	data := bigCIB(32, 2000)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		res, err := Import("big.xml", data, Options{})
		if err != nil {
			b.Fatal(err)
		}
		if err := res.WritePolicy(io.Discard); err != nil {
			b.Fatal(err)
		}
	}
}

// TestImportLargeCIB checks that a large CIB imports (and loads) in one
// piece.
func TestImportLargeCIB(t *testing.T) {
	res, err := Import("big.xml", bigCIB(16, 500), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Config.Primitives) != 500 || len(res.Config.Colocations) != 499 || len(res.Status.Nodes) != 16 {
		t.Errorf("Import(big) = %d primitives, %d colocations, %d nodes", len(res.Config.Primitives), len(res.Config.Colocations), len(res.Status.Nodes))
	}
	if res.Lossy() {
		t.Errorf("Import(big) issues: %v", res.Issues)
	}
}
