package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// runWard runs the CLI in-process and checks that it never panics.
func runWard(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = run(args, &out, &errb)
	for _, s := range []string{out.String(), errb.String()} {
		if strings.Contains(s, "panic") || strings.Contains(s, "goroutine ") {
			t.Fatalf("ward %v printed a panic:\n%s", args, s)
		}
	}
	return code, out.String(), errb.String()
}

const validPolicy = `[cluster]
name = "demo"

[[node]]
name = "alpha"
addresses = ["10.0.0.1"]

[[node]]
name = "beta"
addresses = ["10.0.0.2"]

[[primitive]]
id = "db"
agent = "postgres"
params = { pgdata = "/srv/pg" }
secret_params = { repl_password = "hunter2" }

[[primitive.op]]
name = "monitor"
interval = "10s"

[[location]]
id = "db-on-alpha"
resource = "db"
node = "alpha"
score = 100

[[fencing.device]]
id = "ipmi"
plugin = "agent"
agent = "fence_ipmilan"
nodes = ["alpha", "beta"]
secret_params = { password = "topsecret" }
`

const invalidPolicy = `[cluster]
name = "demo"
stonith_enabled = false

[[node]]
name = "alpha"
addresses = ["10.0.0.1"]

[[primitive]]
id = "db"
agent = "postgres"
stickyness = 10

[[primitive.op]]
name = "monitor"
interval = "5"
`

func writeFile(t *testing.T, dir, name, content string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestPolicyCheck(t *testing.T) {
	dir := t.TempDir()
	good := writeFile(t, dir, "good.toml", validPolicy)
	bad := writeFile(t, dir, "bad.toml", invalidPolicy)

	code, out, errs := runWard(t, "policy", "check", good)
	if code != 0 || out != good+": ok (2 nodes, 1 resources, 1 constraints)\n" || errs != "" {
		t.Errorf("ward policy check good = %d, %q, %q; want 0 and ok", code, out, errs)
	}

	code, out, errs = runWard(t, "policy", "check", bad)
	wantErrs := bad + `:12: primitive "db": stickyness: unknown key "stickyness"; did you mean "stickiness"?
   12 | stickyness = 10
      | ^
` + bad + `:16: primitive "db": op "monitor": interval: duration "5" has no unit; write "5s"
   16 | interval = "5"
      | ^
`
	if code != 1 || out != "" || errs != wantErrs {
		t.Errorf("ward policy check bad = %d, %q,\n%s\nwant 1 and\n%s", code, out, errs, wantErrs)
	}

	code, out, errs = runWard(t, "policy", "check", good, bad, filepath.Join(dir, "missing.toml"))
	if code != 1 || !strings.Contains(out, "good.toml: ok") || !strings.Contains(errs, "missing.toml: cannot read the policy file: no such file or directory") ||
		!strings.HasSuffix(errs, "ward: 2 of 3 policy files are invalid\n") {
		t.Errorf("ward policy check good bad missing = %d, %q, %q", code, out, errs)
	}
}

func TestPolicyUsage(t *testing.T) {
	for _, args := range [][]string{
		{"policy", "check"},
		{"policy", "show"},
		{"policy", "show", "a.toml", "b.toml"},
		{"policy", "show", "-o", "yaml", "a.toml"},
		{"policy", "check", "--bogus", "a.toml"},
		{"policy"},
	} {
		if code, _, errs := runWard(t, args...); code != 2 || !strings.Contains(errs, "--help' for usage") {
			t.Errorf("ward %v = %d, %q; want exit 2 with a usage hint", args, code, errs)
		}
	}
}

func TestPolicyHelp(t *testing.T) {
	for _, args := range [][]string{{"policy", "--help"}, {"policy", "check", "--help"}, {"policy", "show", "--help"}} {
		code, out, _ := runWard(t, args...)
		if code != 0 || !strings.Contains(out, "Examples:\n  ward policy") {
			t.Errorf("ward %v = %d, %q; want 0 and an example", args, code, out)
		}
	}
}

func TestPolicyShowRoundTrip(t *testing.T) {
	dir := t.TempDir()
	good := writeFile(t, dir, "good.toml", validPolicy)
	code, out, errs := runWard(t, "policy", "show", good)
	if code != 0 || errs != "" {
		t.Fatalf("ward policy show = %d, %q", code, errs)
	}
	for _, want := range []string{`repl_password = "<redacted>"`, `stonith_enabled = true`, `timeout = "20s"`, `retries = 2`} {
		if !strings.Contains(out, want) {
			t.Errorf("ward policy show lacks %s:\n%s", want, out)
		}
	}
	if strings.Contains(out, "hunter2") || strings.Contains(out, "topsecret") {
		t.Errorf("ward policy show prints a secret:\n%s", out)
	}
	shown := writeFile(t, dir, "shown.toml", out)
	if code, out, errs := runWard(t, "policy", "check", shown); code != 0 {
		t.Errorf("ward policy check (show output) = %d, %q, %q", code, out, errs)
	}
	code2, out2, _ := runWard(t, "policy", "show", shown)
	if code2 != 0 || out2 != out {
		t.Errorf("show(show(x)) != show(x):\n%s\nthen\n%s", out, out2)
	}
}

func TestPolicyShowJSON(t *testing.T) {
	dir := t.TempDir()
	good := writeFile(t, dir, "good.toml", validPolicy)
	code, out, errs := runWard(t, "policy", "show", "-o", "json", good)
	if code != 0 || errs != "" {
		t.Fatalf("ward policy show -o json = %d, %q", code, errs)
	}
	var v struct {
		Cluster struct {
			Name string `json:"name"`
		} `json:"cluster"`
		Primitives []struct {
			SecretParams map[string]string `json:"secret_params"`
		} `json:"primitives"`
	}
	if err := json.Unmarshal([]byte(out), &v); err != nil {
		t.Fatalf("ward policy show -o json: %v\n%s", err, out)
	}
	if v.Cluster.Name != "demo" || v.Primitives[0].SecretParams["repl_password"] != "<redacted>" || strings.Contains(out, "hunter2") {
		t.Errorf("ward policy show -o json = %s", out)
	}
}

func TestPolicyShowInvalid(t *testing.T) {
	bad := writeFile(t, t.TempDir(), "bad.toml", invalidPolicy)
	code, out, errs := runWard(t, "policy", "show", bad)
	if code != 1 || out != "" || !strings.Contains(errs, `did you mean "stickiness"?`) {
		t.Errorf("ward policy show bad = %d, %q, %q; want 1 and the errors", code, out, errs)
	}
}

// TestPolicyCheckAgentParams: parameters are checked against the
// agents' meta-data (the built-in vip agent requires ip): a missing
// required one is an error, an undeclared one a warning with a
// suggestion; an agent not installed here is named and not checked;
// --no-agents skips the check.
func TestPolicyCheckAgentParams(t *testing.T) {
	dir := t.TempDir()
	src := `[cluster]
name = "demo"
stonith_enabled = false

[[node]]
name = "alpha"
addresses = ["10.0.0.1"]

[[primitive]]
id = "addr"
agent = "vip"
params = { ipp = "10.0.0.9" }

[[primitive]]
id = "web"
agent = "ocf:heartbeat:NoSuchAgent"
`
	f := writeFile(t, dir, "p.toml", src)
	code, out, errs := runWard(t, "policy", "check", "--ocf-root", dir, f)
	for _, want := range []string{
		f + `:12: warning: primitive "addr": params.ipp: agent vip does not declare parameter "ipp"; did you mean "ip"?`,
		f + `:12: primitive "addr": params: agent vip requires parameter "ip"`,
		f + `: note: the parameters of web were not checked: agent ocf:heartbeat:NoSuchAgent`,
	} {
		if !strings.Contains(errs, want) {
			t.Errorf("ward policy check (bad params) stderr lacks %q:\n%s", want, errs)
		}
	}
	if code != 1 || out != "" {
		t.Errorf("ward policy check (bad params) = %d, %q; want 1, nothing on stdout", code, out)
	}
	if code, out, errs := runWard(t, "policy", "check", "--no-agents", f); code != 0 || !strings.Contains(out, "ok") || errs != "" {
		t.Errorf("ward policy check --no-agents = %d, %q, %q; want 0 and ok", code, out, errs)
	}
	fixed := writeFile(t, dir, "fixed.toml", strings.Replace(src, "ipp =", "ip =", 1))
	if code, out, errs := runWard(t, "policy", "check", "--ocf-root", dir, fixed); code != 0 || !strings.Contains(out, "ok") || strings.Contains(errs, "addr") {
		t.Errorf("ward policy check (fixed) = %d, %q, %q; want 0, ok, nothing about addr", code, out, errs)
	}
}
