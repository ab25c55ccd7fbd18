package ocf

import (
	"strings"
	"testing"
)

func TestParseAttrs(t *testing.T) {
	got, err := parseAttrs([]byte("master-db=5\nnoise\n=x\nmaster-db=10\nother=\n"))
	if err != nil || len(got) != 2 || got["master-db"] != "10" || got["other"] != "" {
		t.Errorf("parseAttrs = %v, %v, want master-db=10 and other deleted", got, err)
	}
	if _, err := parseAttrs([]byte(strings.Repeat("a", maxAttrFile+1))); err == nil {
		t.Errorf("parseAttrs(oversized) error = nil")
	}
	var many strings.Builder
	for i := 0; i < maxAttrCount+5; i++ {
		many.WriteString("a" + strings.Repeat("x", i) + "=1\n")
	}
	if _, err := parseAttrs([]byte(many.String())); err == nil {
		t.Errorf("parseAttrs(%d attributes) error = nil", maxAttrCount+5)
	}
}

func FuzzParseAttrs(f *testing.F) {
	f.Add([]byte("master-db=5\n"))
	f.Add([]byte("a=b=c\n\n=\x00\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := parseAttrs(b)
		if err != nil {
			return
		}
		if len(m) > maxAttrCount {
			t.Fatalf("parseAttrs kept %d attributes, over %d", len(m), maxAttrCount)
		}
		for k := range m {
			if k == "" || strings.Contains(k, "\n") {
				t.Fatalf("parseAttrs kept name %q", k)
			}
		}
	})
}
