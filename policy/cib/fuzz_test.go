package cib

import (
	"bytes"
	"io"
	"os"
	"testing"
	"time"
)

// FuzzImport feeds arbitrary bytes to Import and the writers: they must
// never panic, and every import that succeeds must be writable.
func FuzzImport(f *testing.F) {
	if data, err := os.ReadFile("testdata/full.xml"); err == nil {
		f.Add(data)
	}
	f.Add(miniCIB(true, `<primitive id="r" class="ocf" provider="p" type="D"/>`, online, lrmOps("r", "start/0/0/0/0", "monitor/10000/1/0/0")))
	f.Add(miniCIB(false, `<clone id="c"><meta_attributes id="m"><nvpair id="p" name="promotable" value="true"/></meta_attributes><group id="g"><primitive id="a" class="lsb" type="x"/></group></clone>`, "-", ""))
	f.Add([]byte(`<cib><configuration><constraints><rsc_location id="l" rsc="x"><rule id="r" score="1"><date_expression id="d" operation="in_range" start="2005-020"><duration id="u" days="1"/></date_expression></rule></rsc_location></constraints></configuration></cib>`))
	f.Add([]byte(`<!DOCTYPE cib [<!ENTITY a "b">]><cib/>`))
	f.Add([]byte(`<cib><configuration/><status><node_state id="x" in_ccm="-1" crmd="7"/></status></cib>`))
	f.Fuzz(func(t *testing.T, data []byte) {
		res, err := Import("fuzz.xml", data, Options{Now: time.Unix(1767225600, 0)})
		if err != nil {
			return
		}
		if err := res.WritePolicy(io.Discard); err != nil {
			t.Fatalf("WritePolicy error %v", err)
		}
		var b bytes.Buffer
		if err := res.WriteStatus(&b); err != nil {
			t.Fatalf("WriteStatus error %v", err)
		}
		for _, is := range res.Issues {
			_ = is.String()
		}
	})
}
