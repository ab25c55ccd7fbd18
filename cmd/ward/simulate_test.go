package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const simPolicy = `[cluster]
name = "t"
[[node]]
name = "n1"
addresses = ["10.0.0.1"]
[[node]]
name = "n2"
addresses = ["10.0.0.2"]
[[fencing.device]]
id = "ipmi"
plugin = "lab"
nodes = ["n1", "n2"]
[[primitive]]
id = "db"
agent = "dummy"
[[location]]
id = "prefer-n1"
resource = "db"
node = "n1"
score = 100
`

const simStatus = `{"quorate": true, "nodes": [
 {"name": "n1", "state": "unclean", "resources": [{"id": "db", "role": "Started"}]},
 {"name": "n2", "state": "online", "resources": [{"id": "ipmi", "role": "Started"}]}]}`

func simFiles(t *testing.T) (string, string) {
	t.Helper()
	dir := t.TempDir()
	p, s := filepath.Join(dir, "policy.toml"), filepath.Join(dir, "status.json")
	if err := os.WriteFile(p, []byte(simPolicy), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(s, []byte(simStatus), 0o600); err != nil {
		t.Fatal(err)
	}
	return p, s
}

func runSim(args ...string) (int, string, string) {
	var out, errb bytes.Buffer
	code := run(args, &out, &errb)
	return code, out.String(), errb.String()
}

func TestSimulateJSON(t *testing.T) {
	p, s := simFiles(t)
	code, out, errs := runSim("simulate", "--policy", p, "--status", s, "--at", "2026-01-01T00:00:00Z", "-o", "json")
	if code != 0 {
		t.Fatalf("simulate -o json = exit %d, stderr %q", code, errs)
	}
	var got struct {
		Placements [][3]string       `json:"placements"`
		Fenced     []string          `json:"fenced"`
		Nodes      map[string]string `json:"nodes"`
		Failed     [][2]string       `json:"failed"`
		Actions    []map[string]any  `json:"actions"`
	}
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatalf("simulate -o json output is not JSON: %v\n%s", err, out)
	}
	want := [][3]string{{"db", "Started", "n2"}, {"ipmi", "Started", "n2"}}
	if len(got.Placements) != 2 || got.Placements[0] != want[0] || got.Placements[1] != want[1] {
		t.Errorf("placements = %v, want %v", got.Placements, want)
	}
	if len(got.Fenced) != 1 || got.Fenced[0] != "n1" {
		t.Errorf("fenced = %v, want [n1]", got.Fenced)
	}
	if got.Nodes["n1"] != "offline" || got.Nodes["n2"] != "online" {
		t.Errorf("nodes = %v, want n1 offline, n2 online", got.Nodes)
	}
	if len(got.Actions) == 0 || got.Actions[0]["kind"] != "fence" {
		t.Errorf("first action = %v, want the fence", got.Actions)
	}
}

func TestSimulateText(t *testing.T) {
	p, s := simFiles(t)
	code, out, errs := runSim("simulate", "--policy", p, "--status", s, "--node-down", "n2")
	if code != 0 {
		t.Fatalf("simulate = exit %d, stderr %q", code, errs)
	}
	for _, want := range []string{"the current time", "Fence n1", "Afterwards:"} {
		if !strings.Contains(out, want) {
			t.Errorf("simulate text output lacks %q:\n%s", want, out)
		}
	}
}

func TestSimulateErrors(t *testing.T) {
	p, s := simFiles(t)
	bad := filepath.Join(t.TempDir(), "bad.json")
	os.WriteFile(bad, []byte("{\n  \"nodes\": [,]\n}"), 0o600)
	for _, c := range []struct {
		args []string
		code int
		msg  string
	}{
		{[]string{"simulate", "--status", s}, 2, "--policy is required"},
		{[]string{"simulate", "--policy", p, "--status", s, "-o", "yaml"}, 2, "use text or json"},
		{[]string{"simulate", "--policy", p, "--status", s, "--at", "yesterday"}, 2, "is not a time"},
		{[]string{"simulate", "--policy", p, "--status", s, "--fail", "db"}, 2, "RESOURCE@NODE"},
		{[]string{"simulate", "--policy", p, "--status", s, "--node-down", "n9"}, 2, "n9"},
		{[]string{"simulate", "--policy", p, "--status", bad}, 1, "bad.json:2"},
		{[]string{"simulate", "--policy", p + ".missing", "--status", s}, 1, "policy"},
		{[]string{"explain", "nope", "--policy", p, "--status", s}, 1, `"nope" is not in the policy`},
		{[]string{"explain", "--policy", p, "--status", s}, 2, "arg"},
	} {
		code, _, errs := runSim(c.args...)
		if code != c.code || !strings.Contains(errs, c.msg) {
			t.Errorf("ward %v = exit %d, stderr %q; want exit %d mentioning %q", c.args, code, errs, c.code, c.msg)
		}
	}
}

func TestExplainText(t *testing.T) {
	p, s := simFiles(t)
	code, out, errs := runSim("explain", "db", "--policy", p, "--status", s, "--at", "2026-01-01T00:00:00Z")
	if code != 0 {
		t.Fatalf("explain = exit %d, stderr %q", code, errs)
	}
	for _, want := range []string{"db (primitive) will run on n2", "n1: cannot run here: node is unclean", "+100 from location 'prefer-n1'"} {
		if !strings.Contains(out, want) {
			t.Errorf("explain output lacks %q:\n%s", want, out)
		}
	}
}

func TestSimulateFailures(t *testing.T) {
	p, s := simFiles(t)
	code, out, errs := runSim("simulate", "--policy", p, "--status", s, "--at", "2026-01-01T00:00:00Z", "--failures", "1")
	if code != 0 {
		t.Fatalf("simulate --failures 1 = exit %d, stderr %q", code, errs)
	}
	// After fencing n1 only n2 is online: losing it stops db and ipmi.
	for _, want := range []string{"1 set(s) examined, 0 lose nothing", "losing n2: cannot run: db, ipmi"} {
		if !strings.Contains(out, want) {
			t.Errorf("simulate --failures output lacks %q:\n%s", want, out)
		}
	}
	code, _, errs = runSim("simulate", "--policy", p, "--status", s, "--failures", "5")
	if code != 2 || !strings.Contains(errs, "nodes are online") {
		t.Errorf("simulate --failures 5 = exit %d, stderr %q; want exit 2 about online nodes", code, errs)
	}
}
