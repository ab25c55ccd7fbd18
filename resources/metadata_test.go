package resources

import (
	"strings"
	"testing"
	"time"
)

const dummyXML = `<?xml version="1.0"?>
<!DOCTYPE resource-agent SYSTEM "ra-api-1.dtd">
<resource-agent name="Dummy" version="1.0">
<version>1.0</version>
<longdesc lang="en">A dummy &amp; test agent</longdesc>
<shortdesc lang="en">Example stateless resource agent</shortdesc>
<parameters>
<parameter name="state" unique="1">
<longdesc lang="en">Location to store the resource state in.</longdesc>
<shortdesc lang="en">State file</shortdesc>
<content type="string" default="/run/Dummy.state" />
</parameter>
<parameter name="ip" required="1">
<content type="string"/>
</parameter>
</parameters>
<actions>
<action name="start"        timeout="20s" />
<action name="stop"         timeout="20" />
<action name="monitor"      timeout="20s" interval="10s" depth="0"/>
<action name="monitor"      timeout="1min" interval="11s" role="Promoted"/>
<action name="meta-data"    timeout="5000ms" />
</actions>
</resource-agent>`

func TestParseMetadata(t *testing.T) {
	m, err := ParseMetadata([]byte(dummyXML))
	if err != nil {
		t.Fatalf("ParseMetadata(Dummy) error: %v", err)
	}
	if m.Name != "Dummy" || m.Version != "1.0" || m.LongDesc != "A dummy & test agent" {
		t.Errorf("ParseMetadata(Dummy) = name %q version %q longdesc %q", m.Name, m.Version, m.LongDesc)
	}
	p, ok := m.Param("state")
	if !ok || p.Default != "/run/Dummy.state" || !p.Unique || p.Required {
		t.Errorf("Param(state) = %+v, %v, want default /run/Dummy.state, unique", p, ok)
	}
	if p, _ := m.Param("ip"); !p.Required {
		t.Errorf("Param(ip).Required = false, want true")
	}
	for action, want := range map[string]time.Duration{"start": 20 * time.Second, "stop": 20 * time.Second, "monitor": 20 * time.Second, "meta-data": 5 * time.Second, "promote": 0} {
		if got := m.ActionTimeout(action); got != want {
			t.Errorf("ActionTimeout(%s) = %v, want %v", action, got, want)
		}
	}
	if m.Actions[3].Role != "Promoted" || m.Actions[3].Timeout != time.Minute || m.Actions[3].Interval != 11*time.Second {
		t.Errorf("Actions[3] = %+v, want Promoted monitor 1m/11s", m.Actions[3])
	}
	// Round trip through XML().
	m2, err := ParseMetadata(m.XML())
	if err != nil {
		t.Fatalf("ParseMetadata(XML()) error: %v\n%s", err, m.XML())
	}
	if len(m2.Params) != 2 || len(m2.Actions) != 5 || m2.ActionTimeout("meta-data") != 5*time.Second || m2.Params[1].Required != true {
		t.Errorf("round trip = %+v, want the same params and actions", m2)
	}
}

func TestParseMetadataErrors(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", "not a valid"},
		{"<resource-agent>", "not a valid"},
		{`<resource-agent version="1"></resource-agent>`, "no name"},
		{`<other name="x"/>`, "not a valid"},
		{`<resource-agent name="x"><actions><action name="start" timeout="soon"/></actions></resource-agent>`, `action "start": timeout`},
		{`<resource-agent name="x"><parameters><parameter name="a"/><parameter name="a"/></parameters></resource-agent>`, "declared twice"},
		{`<resource-agent name="x">&xxe;</resource-agent>`, "not a valid"},
		{strings.Repeat(" ", MaxMetadataSize+1), "over the"},
		{`<resource-agent name="x"><actions>` + strings.Repeat(`<action name="a"/>`, 200) + `</actions></resource-agent>`, "over the limit"},
	}
	for _, tt := range tests {
		_, err := ParseMetadata([]byte(tt.in))
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			in := tt.in
			if len(in) > 60 {
				in = in[:60] + "..."
			}
			t.Errorf("ParseMetadata(%q) error = %v, want one containing %q", in, err, tt.want)
		}
	}
}

func TestCheckParams(t *testing.T) {
	m, err := ParseMetadata([]byte(dummyXML))
	if err != nil {
		t.Fatal(err)
	}
	if err := m.CheckParams("d1", map[string]string{"ip": "10.0.0.1", "state": "/x"}); err != nil {
		t.Errorf("CheckParams(valid) = %v, want nil", err)
	}
	err = m.CheckParams("d1", map[string]string{"colour": "blue"})
	if err == nil || !strings.Contains(err.Error(), `param "colour": agent Dummy has no such parameter`) ||
		!strings.Contains(err.Error(), `param "ip": required by agent Dummy but not set`) {
		t.Errorf("CheckParams(colour, no ip) = %v, want unknown colour and missing ip", err)
	}
}

func TestParseOCFDuration(t *testing.T) {
	for in, want := range map[string]time.Duration{"": 0, "20": 20 * time.Second, "20s": 20 * time.Second,
		"500ms": 500 * time.Millisecond, "2m": 2 * time.Minute, "2min": 2 * time.Minute, "1h": time.Hour, " 3 s ": 3 * time.Second} {
		got, err := ParseOCFDuration(in)
		if err != nil || got != want {
			t.Errorf("ParseOCFDuration(%q) = %v, %v, want %v", in, got, err, want)
		}
	}
	for _, in := range []string{"s", "-1s", "1.5s", "10 parsecs", "9999999999s", "2700000h", "366d"} {
		if _, err := ParseOCFDuration(in); err == nil {
			t.Errorf("ParseOCFDuration(%q) error = nil, want an error", in)
		}
	}
}

func FuzzParseMetadata(f *testing.F) {
	f.Add([]byte(dummyXML))
	f.Add([]byte(`<resource-agent name="x"><parameters><parameter name="p" required="1"><content default="&lt;"/></parameter></parameters></resource-agent>`))
	f.Add([]byte(`<!DOCTYPE x [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;">]><resource-agent name="&b;"/>`))
	f.Add([]byte(strings.Repeat("<a>", 5000)))
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := ParseMetadata(data)
		if err != nil {
			return
		}
		if m.Name == "" {
			t.Fatalf("ParseMetadata accepted a document without a name")
		}
		if len(m.Params) > maxMetaParams || len(m.Actions) > maxMetaActions {
			t.Fatalf("ParseMetadata kept %d params, %d actions, over the limits", len(m.Params), len(m.Actions))
		}
		_ = m.CheckParams("r", map[string]string{"a": "b"})
		if _, err := ParseMetadata(m.XML()); err != nil {
			t.Fatalf("ParseMetadata(XML()) of an accepted document: %v", err)
		}
	})
}

func FuzzParseOCFDuration(f *testing.F) {
	for _, s := range []string{"20s", "500ms", "2min", "1h", "", "999999999h", "10 parsecs"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := ParseOCFDuration(s)
		if err == nil && d < 0 {
			t.Fatalf("ParseOCFDuration(%q) = %v, a negative duration", s, d)
		}
	})
}
