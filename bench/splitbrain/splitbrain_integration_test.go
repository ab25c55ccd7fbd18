//go:build integration

package main

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// runCampaign builds ward and runs a short campaign in mode (root, lab):
// every run must end with a single survivor.
func runCampaign(t *testing.T, mode string, runs int, extra ...string) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Fatal("the split-brain campaign needs root (network namespaces)")
	}
	exe := filepath.Join(t.TempDir(), "ward")
	if out, err := exec.Command("go", "build", "-o", exe, "github.com/ward-ha/ward/cmd/ward").CombinedOutput(); err != nil {
		t.Fatalf("build ward: %v\n%s", err, out)
	}
	var out, errb bytes.Buffer
	n := strconv.Itoa(runs)
	code := run(append([]string{"--ward", exe, "--runs", n, "--mode", mode, "--dir", filepath.Join(t.TempDir(), "lab")}, extra...), &out, &errb)
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	var s summary
	if err := json.Unmarshal([]byte(lines[len(lines)-1]), &s); err != nil {
		t.Fatalf("last line %q is not the JSON summary: %v\nstderr:\n%s", lines[len(lines)-1], err, errb.String())
	}
	if code != 0 || s.Runs != runs || s.SingleSurvivor != runs || s.Mode != mode {
		t.Fatalf("splitbrain --mode %s --runs %s = exit %d, %+v\n%s\nstderr:\n%s", mode, n, code, s, out.String(), errb.String())
	}
}

// TestIntegrationSplitBrainFence: two_node with power fencing, 3 cuts.
func TestIntegrationSplitBrainFence(t *testing.T) { runCampaign(t, "fence", 3) }

// TestIntegrationSplitBrainWitness: two nodes and a witness, no fencing;
// the link between the hosts cut twice (n1, then n2 as the victim): both
// still reach the witness, which keeps its vote for the DC's side.
func TestIntegrationSplitBrainWitness(t *testing.T) { runCampaign(t, "witness", 2, "--cut", "peer") }

// TestIntegrationSplitBrainWatchdog: a witness for quorum and watchdog
// fencing through the lab's simulated watchdog; each host isolated from
// everything once (n1, the DC, first: n2 takes over after counting it
// fenced at watchdog_timeout).
func TestIntegrationSplitBrainWatchdog(t *testing.T) { runCampaign(t, "watchdog", 2, "--cut", "drop") }

// TestSplitBrainRefusesUnknownMode: a mode that does not exist is a usage
// error.
func TestSplitBrainRefusesUnknownMode(t *testing.T) {
	var out, errb bytes.Buffer
	if code := run([]string{"--ward", "/bin/true", "--mode", "quorum"}, &out, &errb); code != 2 {
		t.Fatalf("splitbrain --mode quorum = exit %d, want 2 (%s)", code, errb.String())
	}
}
