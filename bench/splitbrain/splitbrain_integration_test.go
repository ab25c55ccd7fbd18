//go:build integration

package main

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestIntegrationSplitBrainFence runs a short campaign (root, lab): every
// run must end with a single survivor.
func TestIntegrationSplitBrainFence(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Fatal("the split-brain campaign needs root (network namespaces)")
	}
	exe := filepath.Join(t.TempDir(), "ward")
	if out, err := exec.Command("go", "build", "-o", exe, "github.com/ward-ha/ward/cmd/ward").CombinedOutput(); err != nil {
		t.Fatalf("build ward: %v\n%s", err, out)
	}
	var out, errb bytes.Buffer
	code := run([]string{"--ward", exe, "--runs", "3", "--mode", "fence", "--dir", filepath.Join(t.TempDir(), "lab")}, &out, &errb)
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	var s summary
	if err := json.Unmarshal([]byte(lines[len(lines)-1]), &s); err != nil {
		t.Fatalf("last line %q is not the JSON summary: %v\nstderr:\n%s", lines[len(lines)-1], err, errb.String())
	}
	if code != 0 || s.Runs != 3 || s.SingleSurvivor != 3 {
		t.Fatalf("splitbrain --runs 3 = exit %d, %+v\n%s\nstderr:\n%s", code, s, out.String(), errb.String())
	}
	if code := run([]string{"--ward", exe, "--mode", "witness"}, &out, &errb); code != 1 {
		t.Errorf("splitbrain --mode witness = exit %d, want 1 (not wired in the daemon yet)", code)
	}
}
