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

// TestIntegrationDemo builds ward and runs `ward demo -o json`: three real
// daemons, a kill -9, fencing and recovery. About 5 to 10 s.
func TestIntegrationDemo(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "ward")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	before := demoFolders(t)
	cmd := exec.Command(bin, "demo", "-o", "json")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	var res demoResult
	if jerr := json.Unmarshal(stdout.Bytes(), &res); jerr != nil {
		t.Fatalf("ward demo -o json = %v, stdout %q is not one JSON object (%v); stderr:\n%s", err, stdout.String(), jerr, stderr.String())
	}
	if err != nil || !res.OK {
		t.Fatalf("ward demo -o json = %v, %+v; stderr:\n%s", err, res, stderr.String())
	}
	if len(res.ActiveNodes) != 1 || res.ActiveNodes[0] != res.To || res.To == res.From || res.From == "" {
		t.Errorf("ward demo: from %q to %q, active on %v; want exactly [to] with to != from", res.From, res.To, res.ActiveNodes)
	}
	if res.DetectMS <= 0 || res.FencedMS < res.DetectMS || res.RecoverMS < res.FencedMS {
		t.Errorf("ward demo: detect %d ms, fenced %d ms, recover %d ms; want 0 < detect <= fenced <= recover", res.DetectMS, res.FencedMS, res.RecoverMS)
	}
	if after := demoFolders(t); len(after) > len(before) {
		t.Errorf("ward demo left folders behind: %v (before: %v)", after, before)
	}
	if strings.Contains(stderr.String(), "panic") {
		t.Errorf("ward demo stderr has a panic:\n%s", stderr.String())
	}
}

// demoFolders lists the demo's temporary folders.
func demoFolders(t *testing.T) []string {
	m, err := filepath.Glob(filepath.Join(os.TempDir(), "ward-demo-*"))
	if err != nil {
		t.Fatal(err)
	}
	return m
}
