package fencing

import (
	"fmt"
	"os"
	"strings"
	"testing"
)

func TestParseMetadataTestAgent(t *testing.T) {
	data, err := os.ReadFile("testdata/dummy_metadata.xml")
	if err != nil {
		t.Fatal(err)
	}
	m, err := ParseMetadata(data)
	if err != nil {
		t.Fatalf("ParseMetadata(fence_dummy) = %v", err)
	}
	if m.Name != "fence_dummy" || !m.Supports("off") || !m.Supports("monitor") || m.Supports("list") {
		t.Fatalf("ParseMetadata(fence_dummy) = %+v, want fence_dummy with off and monitor, no list", m)
	}
	if h := m.HostArgument(); h != "" {
		t.Errorf("HostArgument() = %q, want \"\" (fence_dummy fences one host)", h)
	}
	p, ok := m.Param("status_file")
	if !ok || p.Default != "/tmp/fence_dummy.status" || p.Required {
		t.Errorf("Param(status_file) = %+v, %v", p, ok)
	}
	if d, _ := m.Param("debug"); !d.Deprecated {
		t.Errorf("Param(debug).Deprecated = false, want true")
	}
}

func TestParseMetadataErrors(t *testing.T) {
	for _, in := range []string{
		"",
		"not xml",
		`<resource-agent name="x"><parameters><parameter name="a b"/></parameters><actions><action name="off"/></actions></resource-agent>`,
		`<resource-agent name="x"><parameters><parameter name=""/></parameters><actions><action name="off"/></actions></resource-agent>`,
		`<resource-agent name="x"><parameters/></resource-agent>`,
		`<other/>`,
		strings.Repeat(" ", maxMetadata+1),
	} {
		if m, err := ParseMetadata([]byte(in)); err == nil {
			t.Errorf("ParseMetadata(%.40q) = %+v, nil, want an error", in, m)
		}
	}
}

func TestCheckParams(t *testing.T) {
	m := &Metadata{Name: "fence_x", Actions: []string{"off"}, Params: []MetaParam{
		{Name: "action", Required: true}, {Name: "ip", Required: true}, {Name: "ipaddr", Obsoletes: "ip"},
		{Name: "username", Required: true}, {Name: "login", Obsoletes: "username"},
		{Name: "password"}, {Name: "port", Required: true}}}
	for _, tc := range []struct {
		params map[string]string
		want   []string // substrings of the error; none: no error
	}{
		{map[string]string{"ip": "10.0.0.1", "username": "a"}, nil},
		{map[string]string{"ipaddr": "10.0.0.1", "login": "a"}, nil},
		{map[string]string{"ip": "x"}, []string{`"username" is required`}},
		{map[string]string{"ip": "x", "username": "a", "pasword": "p"}, []string{`"pasword" is not a parameter of fence_x`}},
		{map[string]string{"ip": "x", "username": "a", "action": "on"}, []string{`"action" is set by ward`}},
		{map[string]string{"ip": "x", "username": "a", "port": "3"}, []string{`"port" is set by ward`}},
	} {
		err := m.CheckParams(tc.params)
		if len(tc.want) == 0 {
			if err != nil {
				t.Errorf("CheckParams(%v) = %v, want nil", tc.params, err)
			}
			continue
		}
		for _, w := range tc.want {
			if err == nil || !strings.Contains(err.Error(), w) {
				t.Errorf("CheckParams(%v) = %v, want an error with %q", tc.params, err, w)
			}
		}
	}
}

func TestEncodeArgs(t *testing.T) {
	got, err := EncodeArgs(map[string]string{"port": "7", "action": "off", "passwd": "a=b c"})
	if want := "action=off\npasswd=a=b c\nport=7\n"; err != nil || string(got) != want {
		t.Fatalf("EncodeArgs = %q, %v, want %q", got, err, want)
	}
	for _, bad := range []map[string]string{{"port": "7\naction=on"}, {"a b": "x"}, {"": "x"}, {"k": "a\x00"}, {"k": "a\rb"}} {
		if got, err := EncodeArgs(bad); err == nil {
			t.Errorf("EncodeArgs(%q) = %q, nil, want an error", bad, got)
		}
	}
	back, err := DecodeArgs(got)
	if err != nil || back["passwd"] != "a=b c" || back["port"] != "7" || len(back) != 3 {
		t.Fatalf("DecodeArgs(EncodeArgs(x)) = %v, %v", back, err)
	}
}

func FuzzParseMetadata(f *testing.F) {
	if data, err := os.ReadFile("testdata/dummy_metadata.xml"); err == nil {
		f.Add(data)
	}
	f.Add([]byte(`<resource-agent name="x"><parameters><parameter name="port" required="1"><content type="string"/></parameter></parameters><actions><action name="off"/></actions></resource-agent>`))
	f.Add([]byte(`<resource-agent`))
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := ParseMetadata(data)
		if err != nil {
			return
		}
		// Every accepted parameter name can be written on an agent's stdin.
		args := map[string]string{}
		for _, p := range m.Params {
			args[p.Name] = "v"
		}
		if _, err := EncodeArgs(args); err != nil {
			t.Fatalf("ParseMetadata accepted a parameter EncodeArgs refuses: %v", err)
		}
		_ = m.CheckParams(map[string]string{"x": "y"})
	})
}

func FuzzArgs(f *testing.F) {
	f.Add("port", "7", "passwd", "a=b")
	f.Add("k", "a\nb", "x", "")
	f.Fuzz(func(t *testing.T, k1, v1, k2, v2 string) {
		in := map[string]string{k1: v1, k2: v2}
		enc, err := EncodeArgs(in)
		if err != nil {
			return
		}
		// What ward writes is read back by an agent as exactly the same
		// arguments: no value can inject another key.
		out, err := DecodeArgs(enc)
		if err != nil {
			t.Fatalf("DecodeArgs(EncodeArgs(%q)) = %v", in, err)
		}
		for k, v := range in {
			if strings.TrimSpace(v) == "" && strings.HasPrefix(v, "#") {
				continue
			}
			if out[k] != v {
				t.Fatalf("round trip of %q: %q = %q, want %q", in, k, out[k], v)
			}
		}
		if len(out) != len(in) {
			t.Fatalf("round trip of %q gave %q", in, out)
		}
		_, _ = DecodeArgs([]byte(k1 + v1 + "\n" + k2 + "=" + v2))
	})
}

func TestParseMetadataTooManyParams(t *testing.T) {
	var b strings.Builder
	b.WriteString(`<resource-agent name="x"><parameters>`)
	for i := 0; i <= maxParams; i++ {
		fmt.Fprintf(&b, `<parameter name="p%d" required="1"/>`, i)
	}
	b.WriteString(`</parameters><actions><action name="off"/></actions></resource-agent>`)
	if _, err := ParseMetadata([]byte(b.String())); err == nil || !strings.Contains(err.Error(), "parameters") {
		t.Fatalf("ParseMetadata(%d params) = %v, want too many parameters", maxParams+1, err)
	}
}
