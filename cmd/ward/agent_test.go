package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ward-ha/ward/agents/registry"
)

// agentTestRoot makes an OCF root with one agent, Slow, whose start
// sleeps and whose monitor reports not running.
func agentTestRoot(t *testing.T) string {
	t.Helper()
	root := t.TempDir()
	dir := filepath.Join(root, "resource.d", "acme")
	os.MkdirAll(dir, 0o755)
	os.WriteFile(filepath.Join(dir, "Slow"), []byte(`#!/bin/sh
case "$1" in
meta-data) cat <<END
<resource-agent name="Slow"><shortdesc>slow agent</shortdesc>
<parameters><parameter name="need" required="1"><shortdesc>Needed</shortdesc><content type="string"/></parameter></parameters>
<actions><action name="start" timeout="1s"/><action name="stop" timeout="20s"/><action name="monitor" timeout="20s" interval="10s"/></actions>
</resource-agent>
END
exit 0;;
start) sleep 30; exit 0;;
monitor) echo "interval=$OCF_RESKEY_CRM_meta_interval need=$OCF_RESKEY_need"; exit 7;;
esac
exit 3
`), 0o755)
	return root
}

func TestAgentList(t *testing.T) {
	root := agentTestRoot(t)
	code, out, errOut := runWard(t, "agent", "list", "--ocf-root", root)
	if code != 0 {
		t.Fatalf("ward agent list = %d, %s", code, errOut)
	}
	for _, want := range []string{"dummy", "stateful", "exec", "ocf:acme:Slow"} {
		if !strings.Contains(out, want) {
			t.Errorf("ward agent list lacks %s:\n%s", want, out)
		}
	}
	code, out, _ = runWard(t, "agent", "list", "--ocf-root", root, "-o", "json")
	var list []struct{ Name, Kind string }
	want := len(registry.Builtins()) + 1 // every built-in, then the one OCF agent
	if code != 0 || json.Unmarshal([]byte(out), &list) != nil || len(list) != want || list[want-1].Kind != "ocf" {
		t.Errorf("ward agent list -o json = %d %s, want %d entries, the last OCF", code, out, want)
	}
	if code, _, _ := runWard(t, "agent", "list", "-o", "yaml"); code != 2 {
		t.Errorf("ward agent list -o yaml = %d, want 2", code)
	}
}

func TestAgentDescribe(t *testing.T) {
	root := agentTestRoot(t)
	code, out, errOut := runWard(t, "agent", "describe", "stateful", "--ocf-root", root)
	if code != 0 || !strings.Contains(out, "score") || !strings.Contains(out, "promote") || !strings.Contains(out, "Promoted") {
		t.Errorf("ward agent describe stateful = %d\n%s%s\nwant params and promote", code, out, errOut)
	}
	code, out, _ = runWard(t, "agent", "describe", "ocf:acme:Slow", "--ocf-root", root, "-o", "json")
	var md struct {
		Name   string
		Params []struct {
			Name     string
			Required bool
		} `json:"parameters"`
	}
	if code != 0 || json.Unmarshal([]byte(out), &md) != nil || md.Name != "Slow" || len(md.Params) != 1 || !md.Params[0].Required {
		t.Errorf("ward agent describe ocf:acme:Slow -o json = %d %s", code, out)
	}
	if code, _, errOut := runWard(t, "agent", "describe", "nosuch"); code != 1 || !strings.Contains(errOut, "unknown agent") {
		t.Errorf("ward agent describe nosuch = %d %s, want 1 and unknown agent", code, errOut)
	}
	if code, _, _ := runWard(t, "agent", "describe"); code != 2 {
		t.Errorf("ward agent describe (no agent) = %d, want 2", code)
	}
}

func TestAgentExecDummyLifecycle(t *testing.T) {
	state := t.TempDir()
	steps := []struct {
		action string
		code   int
		text   string
	}{
		{"monitor", 7, "not-running (7, OCF_NOT_RUNNING)"},
		{"start", 0, "success (0, OCF_SUCCESS)"},
		{"monitor", 0, "success (0, OCF_SUCCESS)"},
		{"stop", 0, "success"},
		{"monitor", 7, "not-running"},
		{"frobnicate", 3, "unimplemented (3, OCF_ERR_UNIMPLEMENTED)"},
	}
	for _, s := range steps {
		code, out, errOut := runWard(t, "agent", "exec", "dummy", s.action, "--state-dir", state, "--resource", "t1")
		if code != s.code || !strings.Contains(out, s.text) {
			t.Errorf("ward agent exec dummy %s = %d\n%s%s\nwant %d and %q", s.action, code, out, errOut, s.code, s.text)
		}
	}
	code, out, _ := runWard(t, "agent", "exec", "stateful", "start", "--state-dir", state, "--resource", "pg", "-o", "json", "--param", "score=3")
	var rep execReport
	if code != 0 || json.Unmarshal([]byte(out), &rep) != nil || rep.RC != 0 || rep.Result != "success" || rep.Attributes["master-pg"] != "3" {
		t.Errorf("ward agent exec stateful start -o json = %d %s, want rc 0 and master-pg=3", code, out)
	}
}

func TestAgentExecOCFValidationTimeoutAndErrors(t *testing.T) {
	root := agentTestRoot(t)
	// The missing required param stops it before the agent runs.
	code, _, errOut := runWard(t, "agent", "exec", "ocf:acme:Slow", "monitor", "--ocf-root", root)
	if code != 6 || !strings.Contains(errOut, `param "need": required`) {
		t.Errorf("ward agent exec (missing required) = %d %s, want 6 naming the param", code, errOut)
	}
	code, out, _ := runWard(t, "agent", "exec", "ocf:acme:Slow", "monitor", "--ocf-root", root, "-p", "need=x", "--interval", "10s")
	if code != 7 || !strings.Contains(out, "interval=10000 need=x") {
		t.Errorf("ward agent exec monitor --interval 10s = %d %s, want 7 with interval 10000 in the env", code, out)
	}
	// start advises a 1 s timeout; the agent sleeps 30 s.
	code, out, errOut = runWard(t, "agent", "exec", "ocf:acme:Slow", "start", "--ocf-root", root, "-p", "need=x", "-o", "json")
	var rep execReport
	if code != 124 || json.Unmarshal([]byte(out), &rep) != nil || rep.Kind != "timeout" || !strings.Contains(errOut, "timed out after 1s") {
		t.Errorf("ward agent exec (hanging start) = %d %s %s, want 124, kind timeout", code, out, errOut)
	}
	if code, _, errOut := runWard(t, "agent", "exec", "ocf:acme:Gone", "start", "--ocf-root", root); code != 5 || !strings.Contains(errOut, "meta-data") {
		t.Errorf("ward agent exec (missing agent) = %d %s, want 5", code, errOut)
	}
	if code, _, _ := runWard(t, "agent", "exec", "ocf:acme:Gone", "start", "--ocf-root", root, "--no-validate", "--timeout", "5s"); code != 5 {
		t.Errorf("ward agent exec --no-validate (missing agent) = %d, want 5", code)
	}
	for _, args := range [][]string{
		{"agent", "exec", "dummy"},
		{"agent", "exec", "dummy", "start", "--param", "novalue"},
		{"agent", "exec", "dummy", "start", "--interval", "5s"},
		{"agent", "exec", "dummy", "start", "--timeout", "-1s"},
	} {
		if code, _, _ := runWard(t, args...); code != 2 {
			t.Errorf("ward %v = %d, want 2 (usage)", args, code)
		}
	}
}
