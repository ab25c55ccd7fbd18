//go:build integration

package api

import (
	"context"
	"errors"
	"io"
	"io/fs"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
)

// TestSecuritySocketAccess runs a client as an unprivileged user (uid
// 65534) against the API socket: refused by the folder (0750), refused
// by the socket's own mode (0660) when the folder is open, and served
// when the user is in the socket's group. Needs root.
func TestSecuritySocketAccess(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Fatal("TestSecuritySocketAccess needs root (it runs a client as uid 65534): run the integration suite as root")
	}
	dir, err := os.MkdirTemp("", "ward-sock-")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(dir)
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	// The test binary, where the unprivileged user may run it.
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(dir, "api.test")
	data, err := os.ReadFile(self)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(bin, data, 0o755); err != nil {
		t.Fatal(err)
	}
	sock := filepath.Join(dir, "run", "ward.sock")
	ln, err := Listen(context.Background(), sock)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	s := NewServer(&fakeBackend{status: ClusterStatus{Node: "n1"}}, nil)
	done := make(chan error, 1)
	go func() { done <- s.Serve(ctx, ln) }()
	defer func() {
		cancel()
		<-done
	}()
	probe := func(gid uint32) int {
		cmd := exec.Command(bin, "-test.run=^TestSecuritySocketProbeHelper$")
		cmd.Env = []string{"WARD_SOCKET_PROBE=" + sock}
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: gid}}
		out, err := cmd.CombinedOutput()
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			return ee.ExitCode()
		}
		if err != nil {
			t.Fatalf("run the probe as uid 65534: %v: %s", err, out)
		}
		return 0
	}
	if code := probe(65534); code != 3 {
		t.Errorf("an unprivileged user through the 0750 folder: probe exit %d, want 3 (permission denied)", code)
	}
	if err := os.Chmod(filepath.Dir(sock), 0o755); err != nil {
		t.Fatal(err)
	}
	if code := probe(65534); code != 3 {
		t.Errorf("an unprivileged user on the 0660 socket: probe exit %d, want 3 (permission denied)", code)
	}
	const group = 4242
	if err := os.Chown(sock, 0, group); err != nil {
		t.Fatal(err)
	}
	if code := probe(group); code != 0 {
		t.Errorf("a user in the socket's group: probe exit %d, want 0 (served)", code)
	}
}

// TestSecuritySocketProbeHelper is the client TestSecuritySocketAccess
// runs as another user: exit 0 served, 3 permission denied, 4 other.
func TestSecuritySocketProbeHelper(t *testing.T) {
	path := os.Getenv("WARD_SOCKET_PROBE")
	if path == "" {
		return // only run as TestSecuritySocketAccess's child
	}
	hc := &http.Client{Transport: &http.Transport{DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
		return (&net.Dialer{}).DialContext(ctx, "unix", path)
	}}}
	resp, err := hc.Get("http://ward/v1/status")
	switch {
	case errors.Is(err, fs.ErrPermission):
		os.Exit(3)
	case err != nil:
		os.Exit(4)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		os.Exit(4)
	}
	os.Exit(0)
}
