package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spf13/cobra"

	"github.com/ward-ha/ward/controller"
)

// runFenceCmd runs `ward fence ARGS` the way run does, with stdin.
func runFenceCmd(t *testing.T, stdin string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	root := &cobra.Command{Use: "ward", SilenceUsage: true, SilenceErrors: true}
	root.AddCommand(newFenceCmd())
	root.SetOut(&out)
	root.SetErr(&errb)
	root.SetIn(strings.NewReader(stdin))
	root.SetArgs(append([]string{"fence"}, args...))
	err := root.Execute()
	var ee *exitError
	var ue *usageError
	switch {
	case err == nil:
	case errors.As(err, &ee):
		code = ee.code
		fmt.Fprintln(&errb, "ward:", ee.msg)
	case errors.As(err, &ue):
		code = 2
	default:
		code = 1
	}
	return code, out.String(), errb.String()
}

// fencePolicyFile writes a policy whose exec device "powers off" a node
// by writing its name to a file in dir; node b's device fails.
func fencePolicyFile(t *testing.T) (file, dir string) {
	t.Helper()
	dir = t.TempDir()
	script := filepath.Join(dir, "power.sh")
	if err := os.WriteFile(script, []byte("#!/bin/sh\n[ \"$1\" = c ] && { echo 'no answer from pdu' >&2; exit 1; }\necho \"$WARD_FENCE_ACTION $1\" >> "+dir+"/fenced\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	file = writeFile(t, dir, "policy.toml", `[cluster]
name = "t"

[[node]]
name = "a"
addresses = ["10.0.0.1"]

[[node]]
name = "b"
addresses = ["10.0.0.2"]

[[node]]
name = "c"
addresses = ["10.0.0.3"]

[[fencing.device]]
id = "pdu"
plugin = "exec"
command = ["`+script+`"]
nodes = ["a", "b", "c"]
retries = 0
`)
	return file, dir
}

func TestFenceCommand(t *testing.T) {
	file, dir := fencePolicyFile(t)
	code, out, errs := runFenceCmd(t, "", "b", "--node", "a", "--policy", file, "--off", "--yes")
	if code != 0 || !strings.Contains(out, "node b fenced (off) by device pdu") {
		t.Fatalf("ward fence b --off --yes = %d, %q, %q; want 0 and fenced", code, out, errs)
	}
	if got, _ := os.ReadFile(filepath.Join(dir, "fenced")); string(got) != "off b\n" {
		t.Fatalf("device saw %q, want \"off b\\n\"", got)
	}
	// Not confirmed: nothing done.
	code, _, errs = runFenceCmd(t, "bb\n", "b", "--node", "a", "--policy", file)
	if code != 1 || !strings.Contains(errs, "not confirmed") {
		t.Fatalf("ward fence b (typed bb) = %d, %q; want 1, not confirmed", code, errs)
	}
	// Confirmed by typing the name.
	code, _, errs = runFenceCmd(t, "b\n", "b", "--node", "a", "--policy", file, "--reboot")
	if code != 0 {
		t.Fatalf("ward fence b (typed b) = %d, %q; want 0", code, errs)
	}
	if got, _ := os.ReadFile(filepath.Join(dir, "fenced")); string(got) != "off b\nreboot b\n" {
		t.Fatalf("device saw %q after two fences", got)
	}
	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"a", "--node", "a", "--yes"}, 1, "never fences itself"},
		{[]string{"zz", "--node", "a", "--yes"}, 1, `node "zz" is not in the policy`},
		{[]string{"c", "--node", "a", "--yes"}, 1, "FENCING c FAILED"},
		{[]string{"b", "--off", "--reboot"}, 2, ""},
		{[]string{}, 2, ""},
	} {
		args := tc.args
		if len(args) > 0 {
			args = append(args, "--policy", file)
		}
		code, _, errs := runFenceCmd(t, "", args...)
		if code != tc.code || !strings.Contains(errs, tc.want) {
			t.Errorf("ward fence %v = %d, %q; want %d with %q", tc.args, code, errs, tc.code, tc.want)
		}
	}
}

func TestFenceCommandStateDirHistory(t *testing.T) {
	file, _ := fencePolicyFile(t)
	state := t.TempDir()
	// Bootstrap the state directory's live policy as the daemon does.
	if code, _, errs := runFenceCmd(t, "", "b", "--node", "a", "--state-dir", state, "--yes"); code != 1 || !strings.Contains(errs, "no policy yet") {
		t.Fatalf("ward fence with an empty state dir = %d, %q; want 1, no policy yet", code, errs)
	}
	src, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	saveTestPolicy(t, state, src)
	if code, _, errs := runFenceCmd(t, "", "b", "--node", "a", "--state-dir", state, "--yes"); code != 0 {
		t.Fatalf("ward fence b --state-dir = %d, %q", code, errs)
	}
	if code, _, _ := runFenceCmd(t, "", "c", "--node", "a", "--state-dir", state, "--yes"); code != 1 {
		t.Fatalf("ward fence c (failing device) = %d, want 1", code)
	}
	code, out, errs := runFenceCmd(t, "", "history", "--socket", filepath.Join(state, "none.sock"), "--state-dir", state, "-o", "json")
	if code != 0 {
		t.Fatalf("ward fence history = %d, %q", code, errs)
	}
	var events []struct {
		Node        string `json:"node"`
		Result      string `json:"result"`
		RequestedBy string `json:"requested_by"`
	}
	if err := json.Unmarshal([]byte(out), &events); err != nil {
		t.Fatalf("ward fence history -o json = %q: %v", out, err)
	}
	if len(events) != 2 || events[0].Node != "b" || events[0].Result != "ok" || events[0].RequestedBy != "operator on a" || events[1].Node != "c" || !strings.Contains(events[1].Result, "no answer from pdu") {
		t.Fatalf("ward fence history = %+v, want b ok then c failed", events)
	}
	code, out, _ = runFenceCmd(t, "", "history", "--socket", filepath.Join(state, "none.sock"), "--state-dir", state, "--node", "c")
	if code != 0 || !strings.Contains(out, "FAILED: ") || strings.Contains(out, " b ") {
		t.Fatalf("ward fence history --node c = %d, %q", code, out)
	}
}

// saveTestPolicy saves src as the live policy (epoch 1) of state.
func saveTestPolicy(t *testing.T, state string, src []byte) {
	t.Helper()
	store, err := controller.OpenStore(state, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	if err := store.SavePolicy(1, src); err != nil {
		t.Fatal(err)
	}
}
