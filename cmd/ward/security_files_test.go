package main

import (
	"bytes"
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestSecurityStateDirChecks(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "state")
	if err := checkStateDir(dir, nil); err != nil {
		t.Errorf("checkStateDir(missing) = %v, want nil (created 0700 later)", err)
	}
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		mode os.FileMode
		want string // "" accepted
		warn bool
	}{
		{0o700, "", false}, {0o750, "", true}, {0o755, "", true}, {0o770, "0770", false}, {0o777, "0777", false}, {0o702, "0702", false},
	} {
		if err := os.Chmod(dir, tc.mode); err != nil {
			t.Fatal(err)
		}
		var logs bytes.Buffer
		err := checkStateDir(dir, slog.New(slog.NewTextHandler(&logs, nil)))
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("checkStateDir(mode %04o) = %v, want nil", tc.mode, err)
		case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "chmod 700")):
			t.Errorf("checkStateDir(mode %04o) = %v, want a refusal with the fix", tc.mode, err)
		}
		if got := strings.Contains(logs.String(), "chmod 700"); got != tc.warn {
			t.Errorf("checkStateDir(mode %04o) warned = %t, want %t (%s)", tc.mode, got, tc.warn, logs.String())
		}
	}
	os.Chmod(dir, 0o700)
	if os.Geteuid() == 0 {
		if err := os.Chown(dir, 4242, 4242); err != nil {
			t.Fatal(err)
		}
		if err := checkStateDir(dir, nil); err == nil || !strings.Contains(err.Error(), "uid 4242") {
			t.Errorf("checkStateDir(owned by uid 4242) = %v, want a refusal", err)
		}
		os.Chown(dir, 0, 0)
	}
	file := filepath.Join(t.TempDir(), "f")
	os.WriteFile(file, nil, 0o600)
	if err := checkStateDir(file, nil); err == nil || !strings.Contains(err.Error(), "not a folder") {
		t.Errorf("checkStateDir(a file) = %v, want not a folder", err)
	}
}

// TestSecurityDaemonRefusesOpenStateDir: the daemon does not start on a
// state directory others can write to.
func TestSecurityDaemonRefusesOpenStateDir(t *testing.T) {
	dir := t.TempDir()
	state := filepath.Join(dir, "state")
	if err := os.Mkdir(state, 0o700); err != nil {
		t.Fatal(err)
	}
	os.Chmod(state, 0o777)
	var out bytes.Buffer
	err := runDaemon(context.Background(), daemonOptions{node: "n1", stateDir: state, logLevel: "info",
		socket: filepath.Join(dir, "s.sock")}, &out)
	if err == nil || !strings.Contains(err.Error(), "chmod 700") {
		t.Fatalf("runDaemon with a 0777 state directory = %v, want a refusal", err)
	}
}
