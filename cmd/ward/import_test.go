package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ward-ha/ward/policy"
)

const importCIB = `<cib have-quorum="1" dc-uuid="1">
  <configuration>
    <crm_config><cluster_property_set id="o">
      <nvpair id="o1" name="stonith-enabled" value="false"/>
      <nvpair id="o2" name="cluster-name" value="lab"/>
    </cluster_property_set></crm_config>
    <nodes><node id="1" uname="n1"/><node id="2" uname="n2"/></nodes>
    <resources>
      <primitive id="web" class="ocf" provider="heartbeat" type="apache">
        <operations><op id="m" name="monitor" interval="30"/></operations>
      </primitive>
    </resources>
    <constraints>
      <rsc_location id="pref" rsc="web" node="n1" score="50"/>
    </constraints>
  </configuration>
  <status>
    <node_state id="1" uname="n1" in_ccm="true" crmd="online" join="member" expected="member">
      <lrm id="1"><lrm_resources><lrm_resource id="web">
        <lrm_rsc_op id="web_last_0" operation="start" interval="0" rc-code="0" op-status="0" call-id="3" transition-key="1:1:0:u"/>
      </lrm_resource></lrm_resources></lrm>
    </node_state>
    <node_state id="2" uname="n2" in_ccm="true" crmd="online" join="member" expected="member"/>
  </status>
</cib>`

func writeTemp(t *testing.T, name, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestImportCIBWritesPolicyAndStatus(t *testing.T) {
	in := writeTemp(t, "cib.xml", importCIB)
	out := filepath.Join(t.TempDir(), "out", "nested")
	code, stdout, stderr := runWard(t, "import", "cib", in, "--out", out)
	if code != 0 {
		t.Fatalf("ward import cib = %d, want 0; stderr:\n%s", code, stderr)
	}
	if !strings.Contains(stdout, "policy.toml") || !strings.Contains(stdout, "1 resources") {
		t.Errorf("ward import cib stdout = %q, want a summary", stdout)
	}
	cfg, err := policy.Load(filepath.Join(out, "policy.toml"))
	if err != nil {
		t.Fatalf("policy.Load(imported policy) error %v", err)
	}
	if cfg.Cluster.Name != "lab" || len(cfg.Primitives) != 1 || cfg.Primitives[0].Ops[0].Interval.String() != "30s" {
		t.Errorf("imported policy = %+v", cfg)
	}
	code, _, stderr = runWard(t, "policy", "check", filepath.Join(out, "policy.toml"))
	if code != 0 {
		t.Errorf("ward policy check (imported) = %d, want 0; stderr:\n%s", code, stderr)
	}
	raw, err := os.ReadFile(filepath.Join(out, "status.json"))
	if err != nil {
		t.Fatal(err)
	}
	var st policy.Status
	if err := json.Unmarshal(raw, &st); err != nil {
		t.Fatalf("status.json: %v", err)
	}
	if !st.Quorate || st.DC != "n1" || len(st.Nodes) != 2 || len(st.Nodes[0].Resources) != 1 || st.Nodes[0].Resources[0].Role != policy.RoleStarted {
		t.Errorf("status.json = %s", raw)
	}
}

func TestImportCIBStrict(t *testing.T) {
	lossy := strings.Replace(importCIB, "<constraints>", `<constraints><rsc_ticket id="t" rsc="web" ticket="x"/>`, 1)
	in := writeTemp(t, "cib.xml", lossy)
	out := t.TempDir()
	code, _, stderr := runWard(t, "import", "cib", in, "--out", out, "--strict")
	if code != 1 || !strings.Contains(stderr, "rsc_ticket[@id='t']") || !strings.Contains(stderr, "--strict") {
		t.Errorf("ward import cib --strict (ticket) = %d, stderr %q; want 1 naming the element", code, stderr)
	}
	if _, err := os.Stat(filepath.Join(out, "policy.toml")); err == nil {
		t.Errorf("ward import cib --strict wrote policy.toml despite failing")
	}
	code, _, stderr = runWard(t, "import", "cib", in, "--out", out)
	if code != 0 || !strings.Contains(stderr, "warning:") {
		t.Errorf("ward import cib (ticket, not strict) = %d, stderr %q; want 0 with a warning", code, stderr)
	}
	clean := writeTemp(t, "clean.xml", importCIB)
	if code, _, stderr := runWard(t, "import", "cib", clean, "--out", t.TempDir(), "--strict"); code != 0 {
		t.Errorf("ward import cib --strict (clean) = %d, want 0; stderr %s", code, stderr)
	}
}

func TestImportCIBErrors(t *testing.T) {
	tests := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"no out", []string{"import", "cib", "x.xml"}, 2, "--out"},
		{"no file", []string{"import", "cib", "--out", "d"}, 2, "arg"},
		{"missing file", []string{"import", "cib", filepath.Join(t.TempDir(), "nope.xml"), "--out", t.TempDir()}, 1, "no such file"},
		{"malformed", []string{"import", "cib", writeTemp(t, "bad.xml", "<cib>\n<configuration>\n"), "--out", t.TempDir()}, 1, "bad.xml"},
		{"entity", []string{"import", "cib", writeTemp(t, "ent.xml", `<!DOCTYPE cib [<!ENTITY a "b">]><cib/>`), "--out", t.TempDir()}, 1, "DOCTYPE"},
		{"bad at", []string{"import", "cib", "x.xml", "--out", "d", "--at", "yesterday"}, 2, "RFC 3339"},
		{"no subcommand", []string{"import"}, 2, "cib"},
	}
	for _, tt := range tests {
		code, _, stderr := runWard(t, tt.args...)
		if code != tt.code || !strings.Contains(stderr, tt.want) {
			t.Errorf("ward %v = %d, stderr %q; want %d containing %q", tt.args, code, stderr, tt.code, tt.want)
		}
	}
}
