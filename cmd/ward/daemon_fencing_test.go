package main

import (
	"bytes"
	"errors"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/spf13/pflag"

	"github.com/ward-ha/ward/fencing"
	"github.com/ward-ha/ward/heartbeat"
	"github.com/ward-ha/ward/policy"
)

func TestFencingAids(t *testing.T) {
	dir := t.TempDir()
	src := `[cluster]
name = "t"
watchdog_timeout = "4s"

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
id = "wd"
plugin = "watchdog"
nodes = ["a", "b", "c"]
`
	cfg, err := policy.Parse("t.toml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.DiscardHandler)
	wd := filepath.Join(dir, "wd")
	runs, err := fencingAids(fencingAidOptions{watchdog: "file:" + wd, witness: "127.0.0.1:1"}, cfg, "a", []byte("k"), nil, nil, nil, log)
	if err != nil || len(runs) != 2 {
		t.Fatalf("fencingAids(watchdog + witness) = %d runs, %v; want 2", len(runs), err)
	}
	if _, err := os.Stat(wd); err != nil {
		t.Fatalf("the file watchdog was not armed: %v", err)
	}
	if _, err := fencingAids(fencingAidOptions{watchdog: filepath.Join(dir, "no-such-watchdog")}, cfg, "a", nil, nil, nil, nil, log); err == nil {
		t.Fatal("fencingAids with a missing watchdog device = nil error, want one")
	}
	cfg.Fencing.Devices[0].Plugin = "exec"
	if runs, err := fencingAids(fencingAidOptions{watchdog: "/dev/null/none"}, cfg, "a", nil, nil, nil, nil, log); err != nil || len(runs) != 0 {
		t.Fatalf("fencingAids(no watchdog device, no witness) = %d runs, %v; want none", len(runs), err)
	}
}

func TestWitnessView(t *testing.T) {
	m := heartbeat.Membership{Members: []heartbeat.Member{
		{Name: "a", Self: true}, {Name: "b", State: heartbeat.StateAlive}, {Name: "c"}, {Name: "w", Witness: true, State: heartbeat.StateAlive}}}
	if got := strings.Join(witnessView(m), ","); got != "a,b" {
		t.Fatalf("witnessView = %s, want a,b", got)
	}
}

func TestWatchdogSimRunsCommandWhenStarved(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "wd")
	if _, err := fencing.NewFileWatchdog(file, nil); err != nil {
		t.Fatal(err)
	}
	marker := filepath.Join(dir, "reset")
	c := newWatchdogSimCmd()
	c.SetArgs([]string{"--file", file, "--timeout", "100ms", "--", "/bin/sh", "-c", "echo off > " + marker})
	var errb bytes.Buffer
	c.SetOut(io.Discard)
	c.SetErr(&errb)
	start := time.Now()
	if err := c.Execute(); err != nil {
		t.Fatalf("ward watchdog-sim = %v", err)
	}
	if b, err := os.ReadFile(marker); err != nil || strings.TrimSpace(string(b)) != "off" {
		t.Fatalf("the reset command did not run: %q, %v (stderr %q)", b, err, errb.String())
	}
	if took := time.Since(start); took < 100*time.Millisecond {
		t.Fatalf("reset after %v, want at least the 100ms timeout", took)
	}
	bad := newWatchdogSimCmd()
	bad.SetArgs([]string{"--", "true"})
	bad.SetErr(io.Discard)
	var ue *usageError
	if err := bad.Execute(); err == nil || !errors.As(err, &ue) {
		t.Fatalf("ward watchdog-sim without --file = %v, want a usage error", err)
	}
}

func TestFencingAidFlags(t *testing.T) {
	var o fencingAidOptions
	f := pflag.NewFlagSet("daemon", pflag.ContinueOnError)
	addFencingAidFlags(f, &o)
	if err := f.Parse([]string{"--witness", "192.0.2.10:7947"}); err != nil {
		t.Fatal(err)
	}
	if o.watchdog != "/dev/watchdog" || o.witness != "192.0.2.10:7947" {
		t.Fatalf("flags = %+v, want /dev/watchdog and the witness address", o)
	}
}
