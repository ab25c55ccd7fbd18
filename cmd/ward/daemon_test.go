package main

import (
	"bytes"
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"
)

func TestDaemonRefusesBadLogLevel(t *testing.T) {
	c := newDaemonCmd()
	var out bytes.Buffer
	c.SetOut(&out)
	c.SetErr(&out)
	c.SetArgs([]string{"--log-level", "loud", "--node", "n1", "--state-dir", t.TempDir()})
	err := c.Execute()
	var ue *usageError
	if !errors.As(err, &ue) || !strings.Contains(err.Error(), "--log-level") {
		t.Fatalf("ward daemon --log-level loud = %v, want a usage error naming --log-level", err)
	}
}

func TestDaemonNeedsPolicyFirstTime(t *testing.T) {
	dir := t.TempDir()
	var out bytes.Buffer
	err := runDaemon(context.Background(), daemonOptions{node: "n1", stateDir: filepath.Join(dir, "state"),
		logLevel: "info", socket: filepath.Join(dir, "s.sock")}, &out)
	if err == nil || !strings.Contains(err.Error(), "--policy") {
		t.Fatalf("runDaemon without a saved policy or --policy = %v, want an error asking for --policy", err)
	}
}

func TestDaemonRefusesInvalidBootstrapPolicy(t *testing.T) {
	dir := t.TempDir()
	bad := writeFile(t, dir, "p.toml", "[cluster]\nname = 3\n")
	var out bytes.Buffer
	err := runDaemon(context.Background(), daemonOptions{node: "n1", stateDir: filepath.Join(dir, "state"), policy: bad,
		logLevel: "info", socket: filepath.Join(dir, "s.sock")}, &out)
	if err == nil || !strings.Contains(err.Error(), "p.toml") {
		t.Fatalf("runDaemon with an invalid policy = %v, want an error naming the file", err)
	}
}
