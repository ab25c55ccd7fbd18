package main

import (
	"bytes"
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ward-ha/ward/heartbeat"
)

func TestDaemonJoinFlagsChecked(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		o    daemonOptions
		want string
	}{
		{daemonOptions{join: "127.0.0.1:1"}, "--cluster"},
		{daemonOptions{cluster: "prod"}, "--cluster goes with --join"},
		{daemonOptions{join: "127.0.0.1:1", cluster: "prod", policy: "p.toml"}, "exclude each other"},
	} {
		o := tc.o
		o.node, o.stateDir, o.logLevel, o.socket = "n4", filepath.Join(dir, "state"), "info", filepath.Join(dir, "s.sock")
		var out bytes.Buffer
		err := runDaemon(context.Background(), o, &out)
		var ue *usageError
		if !errors.As(err, &ue) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("runDaemon(join %q, cluster %q, policy %q) = %v, want a usage error with %q", o.join, o.cluster, o.policy, err, tc.want)
		}
	}
}

func TestDaemonJoinRetriesUntilStopped(t *testing.T) {
	dir := t.TempDir()
	key := filepath.Join(dir, "key")
	k, err := heartbeat.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	if err := heartbeat.WriteKeyFile(key, false, k); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	var out bytes.Buffer
	o := daemonOptions{node: "n4", stateDir: filepath.Join(dir, "state"), logLevel: "info", key: key,
		socket: filepath.Join(dir, "s.sock"), join: "127.0.0.1:9", cluster: "prod"}
	// Nobody listens there: the daemon says why and retries until ctx ends.
	err = runDaemon(ctx, o, &out)
	if err == nil || !strings.Contains(err.Error(), "stopped before the live policy was fetched") {
		t.Errorf("runDaemon(--join to nobody) = %v, want it to stop without a policy", err)
	}
	if !strings.Contains(out.String(), "fetch the live policy from 127.0.0.1:9") || !strings.Contains(out.String(), "retrying") {
		t.Errorf("log of a join to nobody lacks the reason and the retry:\n%s", out.String())
	}
}
