package ocf

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ward-ha/ward/resources"
	"github.com/ward-ha/ward/resources/agenttest"
)

// A small OCF agent in shell, so the package's unit tests need no
// installed package; the integration tests run Debian's agents.
const fakeRA = `#!/bin/sh
: ${OCF_RESKEY_state:=$OCF_ROOT/state-$OCF_RESOURCE_INSTANCE}
case "$1" in
meta-data) cat <<END
<?xml version="1.0"?>
<resource-agent name="Fake" version="1.0">
<shortdesc lang="en">fake</shortdesc>
<parameters>
<parameter name="state"><content type="string" default="x"/></parameter>
<parameter name="must" required="1"><content type="string"/></parameter>
</parameters>
<actions>
<action name="start" timeout="20s"/><action name="stop" timeout="20s"/>
<action name="monitor" timeout="20s" interval="10s"/><action name="meta-data" timeout="5s"/>
</actions>
</resource-agent>
END
echo "log noise" >&2; exit 0;;
start) echo "$OCF_RESOURCE_PROVIDER:$OCF_RESOURCE_TYPE $OCF_RESKEY_must $OCF_RESKEY_CRM_meta_clone" > "$OCF_RESKEY_state"; exit 0;;
stop) rm -f "$OCF_RESKEY_state"; exit 0;;
monitor) test -f "$OCF_RESKEY_state" || exit 7; cat "$OCF_RESKEY_state"; exit 0;;
*) exit 3;;
esac
`

func fakeRoot(t *testing.T) string {
	t.Helper()
	root := t.TempDir()
	dir := filepath.Join(root, "resource.d", "test")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "Fake"), []byte(fakeRA), 0o755); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(dir, "notexec"), []byte("#!/bin/sh\n"), 0o644)
	os.WriteFile(filepath.Join(dir, ".hidden"), []byte("#!/bin/sh\n"), 0o755)
	return root
}

func TestConformanceFakeRA(t *testing.T) {
	agenttest.Run(t, func(t *testing.T) agenttest.Setup {
		a, err := New("ocf:test:Fake", Options{Root: fakeRoot(t)})
		if err != nil {
			t.Fatal(err)
		}
		return agenttest.Setup{Agent: a, Params: map[string]string{"must": "yes"}}
	})
}

func TestAgentEnvironmentAndMetadata(t *testing.T) {
	root := fakeRoot(t)
	a, err := New("ocf:test:Fake", Options{Root: root})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	c := resources.Call{Resource: "f:0", Action: "start", Params: map[string]string{"must": "m"}, Meta: map[string]string{"clone": "0"}}
	if o := a.Do(ctx, c); o.Code != resources.OK {
		t.Fatalf("start = %v %s", o.Code, o.Output)
	}
	c.Action = "monitor"
	if o := a.Do(ctx, c); o.Code != resources.OK || o.Output != "test:Fake m 0" {
		t.Errorf("monitor = %v %q, want success \"test:Fake m 0\"", o.Code, o.Output)
	}
	md, err := a.Metadata(ctx)
	if err != nil {
		t.Fatalf("Metadata: %v", err)
	}
	if md.Name != "Fake" || len(md.Params) != 2 {
		t.Errorf("Metadata = %+v, want Fake with 2 params (stderr noise ignored)", md)
	}
	err = a.ValidateParams(ctx, "f", map[string]string{"nope": "1"})
	if err == nil || !strings.Contains(err.Error(), `"nope"`) || !strings.Contains(err.Error(), `"must"`) {
		t.Errorf("ValidateParams(nope, no must) = %v, want both named", err)
	}
	runDir := filepath.Join(t.TempDir(), "run", "resource-agents")
	withRun, _ := New("ocf:test:Fake", Options{Root: root, RunDir: runDir})
	withRun.Do(ctx, resources.Call{Resource: "f", Action: "monitor", Params: map[string]string{"must": "m"}})
	if fi, err := os.Stat(runDir); err != nil || !fi.IsDir() {
		t.Errorf("RunDir %s after an action: %v, want it created", runDir, err)
	}
	missing, _ := New("ocf:test:Gone", Options{Root: root})
	if o := missing.Do(ctx, c); o.Code != resources.ErrNotInstalled || o.Err == nil {
		t.Errorf("Do on a missing agent = %v %v, want not-installed", o.Code, o.Err)
	}
	if _, err := missing.Metadata(ctx); err == nil {
		t.Errorf("Metadata of a missing agent = nil error")
	}
	notExec, _ := New("ocf:test:notexec", Options{Root: root})
	if o := notExec.Do(ctx, c); o.Code != resources.ErrNotInstalled {
		t.Errorf("Do on a non-executable agent = %v, want not-installed", o.Code)
	}
}

func TestParseNameAndList(t *testing.T) {
	for _, bad := range []string{"Dummy", "ocf:heartbeat", "lsb:x:y", "ocf::Dummy", "ocf:../..:x", "ocf:a:b/c", "ocf:a:b:c"} {
		if _, err := New(bad, Options{}); err == nil {
			t.Errorf("New(%q) error = nil, want one", bad)
		}
	}
	got, err := List(fakeRoot(t))
	if err != nil || len(got) != 1 || got[0] != "ocf:test:Fake" {
		t.Errorf("List = %v, %v, want [ocf:test:Fake]", got, err)
	}
	if got, err := List(filepath.Join(t.TempDir(), "none")); err != nil || len(got) != 0 {
		t.Errorf("List(missing root) = %v, %v, want empty", got, err)
	}
}

func TestAttributeShims(t *testing.T) {
	root := t.TempDir()
	dir := filepath.Join(root, "resource.d", "test")
	os.MkdirAll(dir, 0o755)
	os.WriteFile(filepath.Join(dir, "Prom"), []byte(`#!/bin/sh
case "$1" in
start) $HA_SBIN_DIR/crm_attribute -p -v 5 ;;
promote) $HA_SBIN_DIR/crm_master -l reboot -v 10; $HA_SBIN_DIR/crm_attribute -n other --update x -l reboot ;;
stop) $HA_SBIN_DIR/crm_attribute -p -D ;;
monitor) $HA_SBIN_DIR/crm_attribute -G -n x -q && exit 0; exit 7 ;;
esac
exit 0
`), 0o755)
	sbin, err := InstallShims(filepath.Join(t.TempDir(), "sbin"))
	if err != nil {
		t.Fatal(err)
	}
	a, _ := New("ocf:test:Prom", Options{Root: root, SbinDir: sbin})
	tests := []struct {
		action string
		code   resources.Code
		attrs  map[string]string
	}{
		{"start", resources.OK, map[string]string{"master-pg": "5"}},
		{"promote", resources.OK, map[string]string{"master-pg": "10", "other": "x"}},
		{"monitor", resources.NotRunning, nil},
		{"stop", resources.OK, map[string]string{"master-pg": ""}},
	}
	for _, tt := range tests {
		o := a.Do(context.Background(), resources.Call{Resource: "pg:1", Action: tt.action})
		if o.Code != tt.code || len(o.Attributes) != len(tt.attrs) {
			t.Errorf("Do(%s) = %v attrs %v, want %v attrs %v", tt.action, o.Code, o.Attributes, tt.code, tt.attrs)
			continue
		}
		for k, v := range tt.attrs {
			if got, ok := o.Attributes[k]; !ok || got != v {
				t.Errorf("Do(%s) attribute %s = %q, %v, want %q", tt.action, k, got, ok, v)
			}
		}
	}
}
