package cib

import (
	"strings"
	"testing"
)

func TestParseXMLRejectsHostileInput(t *testing.T) {
	deep := strings.Repeat("<a>", MaxDepth+1) + strings.Repeat("</a>", MaxDepth+1)
	var attrs strings.Builder
	for i := 0; i <= MaxAttrs; i++ {
		attrs.WriteString(" a")
		attrs.WriteString(strings.Repeat("x", i%7+1))
		attrs.WriteString(strings.Repeat("y", i/7))
		attrs.WriteString(`="1"`)
	}
	tests := []struct {
		name, in, want string
	}{
		{"entity", `<!DOCTYPE cib [<!ENTITY a "aaaa">]><cib>&a;</cib>`, "DOCTYPE"},
		{"billion laughs", `<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;">]><cib>&lol2;</cib>`, "DOCTYPE"},
		{"external entity", `<!DOCTYPE cib [<!ENTITY x SYSTEM "file:///etc/passwd">]><cib>&x;</cib>`, "DOCTYPE"},
		{"undeclared entity", `<cib a="&x;"/>`, "malformed XML"},
		{"deep nesting", deep, "nested"},
		{"many attributes", "<cib" + attrs.String() + "/>", "attributes"},
		{"malformed", "<cib>\n<configuration>\n</cib>", "test.xml:3: malformed XML"},
		{"empty", "", "no XML element"},
		{"text outside root", "hello <cib/>", "text outside"},
		{"two roots", "<cib/><cib/>", "second root"},
		{"encoding", `<?xml version="1.0" encoding="ISO-8859-1"?><cib/>`, "encoding"},
	}
	for _, tt := range tests {
		_, err := parseXML("test.xml", []byte(tt.in))
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("parseXML(%s) error = %v, want one containing %q", tt.name, err, tt.want)
		}
	}
	big := make([]byte, MaxInputSize+1)
	if _, err := parseXML("big.xml", big); err == nil || !strings.Contains(err.Error(), "bytes") {
		t.Errorf("parseXML(%d bytes) error = %v, want a size error", len(big), err)
	}
}

func TestImportRejectsNonCIB(t *testing.T) {
	_, err := Import("x.xml", []byte("<html/>"), Options{})
	if err == nil || !strings.Contains(err.Error(), "want <cib>") {
		t.Errorf("Import(<html/>) error = %v, want a root element error", err)
	}
	_, err = Import("x.xml", []byte("<cib/>"), Options{})
	if err == nil || !strings.Contains(err.Error(), "configuration") {
		t.Errorf("Import(<cib/>) error = %v, want a missing configuration error", err)
	}
}

func TestElementPath(t *testing.T) {
	root, err := parseXML("t.xml", []byte(`<cib><configuration><resources><primitive id="db"/></resources></configuration></cib>`))
	if err != nil {
		t.Fatal(err)
	}
	p := root.child("configuration").child("resources").child("primitive")
	if got, want := p.path(), "/cib/configuration/resources/primitive[@id='db']"; got != want {
		t.Errorf("path() = %q, want %q", got, want)
	}
	if p.line != 1 {
		t.Errorf("line = %d, want 1", p.line)
	}
}
