package cib

import (
	"bytes"
	"strings"
	"testing"

	"github.com/ward-ha/ward/policy"
)

// TestImportDamagedCIBStillLoads feeds CIBs that Pacemaker would reject or
// that ward cannot represent: the import must report the element and still
// write a policy that ward's loader accepts.
func TestImportDamagedCIBStillLoads(t *testing.T) {
	dummy := `<primitive id="r" class="ocf" provider="pacemaker" type="Dummy"/>`
	tests := []struct {
		name, resources, constraints, want string
	}{
		{"ocf without provider", `<primitive id="x" class="ocf" type="Dummy"/>` + dummy, "", "provider"},
		{"no type", `<primitive id="x" class="ocf" provider="p"/>` + dummy, "", "class and type"},
		{"unknown op", `<primitive id="x" class="ocf" provider="p" type="D"><operations><op id="o" name="frobnicate" interval="0"/></operations></primitive>`, "", "frobnicate"},
		{"promoted-max on a plain clone", `<clone id="c"><meta_attributes id="m"><nvpair id="p" name="promoted-max" value="2"/></meta_attributes>` + dummy + `</clone>`, "", ""},
		{"promoted target-role on a plain clone", `<clone id="c"><meta_attributes id="m"><nvpair id="p" name="target-role" value="Master"/></meta_attributes>` + dummy + `</clone>`, "", "target-role"},
		{"duplicate constraint id", dummy, `<rsc_location id="l" rsc="r" node="n1" score="1"/><rsc_location id="l" rsc="r" node="n2" score="1"/>`, "used twice"},
		{"empty rule value", dummy, `<rsc_location id="l" rsc="r"><rule id="x" score="1"><expression id="e" attribute="a" operation="ne" value=""/></rule></rsc_location>`, "empty string"},
		{"constraint on a clone's child", `<clone id="c">` + dummy + `</clone>`, `<rsc_location id="l" rsc="r" node="n1" score="1"/>`, ""},
		{"colocation loop", dummy + `<primitive id="s" class="ocf" provider="p" type="D"/>`, `<rsc_colocation id="a" rsc="r" with-rsc="s" score="INFINITY"/><rsc_colocation id="b" rsc="s" with-rsc="r" score="INFINITY"/>`, "loop"},
		{"order loop", dummy + `<primitive id="s" class="ocf" provider="p" type="D"/>`, `<rsc_order id="a" first="r" then="s"/><rsc_order id="b" first="s" then="r"/>`, "loop"},
		{"unknown resource", dummy, `<rsc_order id="a" first="r" then="nope"/>`, "not an imported resource"},
		{"device without type", `<primitive id="f" class="stonith"/>` + dummy, "", "without a type"},
		{"role on a plain resource", dummy, `<rsc_location id="l" rsc="r" role="Promoted" node="n1" score="1"/>`, "not a promotable clone"},
	}
	for _, tt := range tests {
		data := bytes.Replace(miniCIB(true, tt.resources, online, ""), []byte("<constraints/>"), []byte("<constraints>"+tt.constraints+"</constraints>"), 1)
		res, err := Import("t.xml", data, Options{})
		if err != nil {
			t.Errorf("%s: Import error %v", tt.name, err)
			continue
		}
		if tt.want != "" {
			found := false
			for _, is := range res.Issues {
				found = found || strings.Contains(is.Why, tt.want)
			}
			if !found {
				t.Errorf("%s: issues %v, want one about %q", tt.name, res.Issues, tt.want)
			}
		}
		var b bytes.Buffer
		if err := res.WritePolicy(&b); err != nil {
			t.Fatal(err)
		}
		if _, err := policy.Parse("policy.toml", b.Bytes()); err != nil {
			t.Errorf("%s: written policy does not load: %v\n%s", tt.name, err, b.String())
		}
	}
}
