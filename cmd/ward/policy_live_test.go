package main

import (
	"encoding/json"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/ward-ha/ward/api"
	"github.com/ward-ha/ward/api/apitest"
)

func TestPolicyApply(t *testing.T) {
	dir := t.TempDir()
	file := writeFile(t, dir, "policy.toml", validPolicy)
	b := &apitest.Backend{ApplyAnswer: api.ApplyResult{Applied: true, Epoch: 8,
		Diff:    " a\n b\n c\n d\n-stickiness = 0\n+stickiness = 100\n e\n",
		Actions: []api.PlannedAction{{ID: 1, Kind: "stop", Resource: "db", Node: "alpha"}, {ID: 2, Kind: "start", Resource: "db", Node: "beta", Reason: "location"}},
	}}
	socket := apitest.Serve(t, b)
	code, out, errs := runWardLive(t, "policy", "apply", file, "--socket", socket)
	if code != 0 {
		t.Fatalf("ward policy apply = %d, %q", code, errs)
	}
	for _, want := range []string{"+stickiness = 100", "Transition (2 actions):", "1  stop db on alpha", "2  start db on beta  (location)", "Applied " + file + " as policy epoch 8."} {
		if !strings.Contains(out, want) {
			t.Errorf("ward policy apply lacks %q:\n%s", want, out)
		}
	}
	if len(b.Applied) != 1 || b.Applied[0].Source != validPolicy || b.Applied[0].DryRun {
		t.Errorf("daemon got %+v, want the file's source, not a dry run", b.Applied)
	}

	code, out, _ = runWardLive(t, "policy", "apply", "--dry-run", file, "--socket", socket, "-o", "json")
	var res api.ApplyResult
	if err := json.Unmarshal([]byte(out), &res); code != 0 || err != nil || !reflect.DeepEqual(res, b.ApplyAnswer) {
		t.Errorf("ward policy apply --dry-run -o json = %d, %+v (%v), want %+v", code, res, err, b.ApplyAnswer)
	}
	if len(b.Applied) != 2 || !b.Applied[1].DryRun {
		t.Errorf("daemon got %+v, want a dry run second", b.Applied)
	}
}

func TestPolicyApplyInvalidNotSent(t *testing.T) {
	dir := t.TempDir()
	file := writeFile(t, dir, "bad.toml", invalidPolicy)
	b := &apitest.Backend{}
	socket := apitest.Serve(t, b)
	code, _, errs := runWardLive(t, "policy", "apply", file, "--socket", socket)
	if code != 1 || !strings.Contains(errs, "nothing was sent to the daemon") || !strings.Contains(errs, "bad.toml") || len(b.Applied) != 0 {
		t.Errorf("ward policy apply (invalid) = %d, %q, sent %d; want 1, the errors, nothing sent", code, errs, len(b.Applied))
	}
}

func TestPolicyApplyRefused(t *testing.T) {
	file := writeFile(t, t.TempDir(), "policy.toml", validPolicy)
	socket := apitest.Serve(t, &apitest.Backend{Err: api.Errorf(api.CodeNoQuorum, "this partition has 1 of 3 votes, 2 needed: nothing was changed")})
	code, out, errs := runWardLive(t, "policy", "apply", file, "--socket", socket)
	if code != 1 || out != "" || !strings.Contains(errs, "ward: the daemon refused: this partition has 1 of 3 votes, 2 needed: nothing was changed (no_quorum)") {
		t.Errorf("ward policy apply (no quorum) = %d, %q, %q", code, out, errs)
	}
	code, _, errs = runWardLive(t, "policy", "apply", file, "--socket", filepath.Join(t.TempDir(), "none.sock"))
	if code != 1 || !strings.Contains(errs, "cannot reach the ward daemon") {
		t.Errorf("ward policy apply (no daemon) = %d, %q", code, errs)
	}
}

func TestPolicyShowLive(t *testing.T) {
	b := &apitest.Backend{PolicyAnswer: api.PolicyInfo{Epoch: 3, SHA256: "0123456789abcdef", Source: "[cluster]\nname = \"demo\"\n"}}
	socket := apitest.Serve(t, b)
	code, out, errs := runWardLive(t, "policy", "show", "--live", "--socket", socket)
	if want := "# live policy, epoch 3, sha256 0123456789ab\n[cluster]\nname = \"demo\"\n"; code != 0 || out != want {
		t.Errorf("ward policy show --live = %d, %q, %q; want %q", code, out, errs, want)
	}
	code, out, _ = runWardLive(t, "policy", "show", "--live", "--socket", socket, "-o", "json")
	var got api.PolicyInfo
	if err := json.Unmarshal([]byte(out), &got); code != 0 || err != nil || got != b.PolicyAnswer {
		t.Errorf("ward policy show --live -o json = %d, %+v (%v)", code, got, err)
	}
	// Without --live, show still wants exactly one FILE; with it, none.
	for _, args := range [][]string{{"policy", "show"}, {"policy", "show", "--live", "x.toml"}, {"policy", "apply"}, {"policy", "apply", "a", "b"}} {
		if code, _, errs := runWardLive(t, args...); code != 2 {
			t.Errorf("ward %v = %d, %q; want 2", args, code, errs)
		}
	}
	file := writeFile(t, t.TempDir(), "policy.toml", validPolicy)
	if code, out, _ := runWardLive(t, "policy", "show", file); code != 0 || !strings.Contains(out, "<redacted>") {
		t.Errorf("ward policy show FILE (with --live added) = %d, %q", code, out)
	}
}

func TestPolicyDiffContext(t *testing.T) {
	diff := " 1\n 2\n 3\n 4\n-5\n+5x\n 6\n 7\n 8\n 9\n 10\n+11\n 12\n 13\n 14\n"
	want := []string{"  ...", " 3", " 4", "-5", "+5x", " 6", " 7", "  ...", " 9", " 10", "+11", " 12", " 13", "  ..."}
	if got := diffContext(diff, 2); !slices.Equal(got, want) {
		t.Errorf("diffContext(%q, 2) = %q, want %q", diff, got, want)
	}
	if got := diffContext(" a\n b\n", 2); len(got) != 0 {
		t.Errorf("diffContext(no change) = %q, want nothing", got)
	}
}
