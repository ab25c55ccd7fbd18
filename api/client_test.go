package api

import (
	"context"
	"errors"
	"net"
	"os"
	"path/filepath"
	"reflect"
	"syscall"
	"testing"

	"go.uber.org/goleak"
)

// startServer runs a server for f on a socket in a temporary directory
// and returns its path; the server stops when the test ends.
func startServer(t testing.TB, f Backend) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "run", "ward.sock")
	ctx, cancel := context.WithCancel(context.Background())
	ln, err := Listen(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- NewServer(f, nil).Serve(ctx, ln) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Serve() = %v, want nil after cancel", err)
		}
	})
	return path
}

func TestClientRoundTrip(t *testing.T) {
	checkLeaks(t)
	f := &fakeBackend{
		status: ClusterStatus{Cluster: "c1", Node: "n1", Quorum: Quorum{Quorate: true, Votes: 3, Needed: 2, Expected: 3}},
		policy: PolicyInfo{Epoch: 5, Source: "[cluster]\n"},
		apply:  ApplyResult{Epoch: 6, Applied: true},
	}
	path := startServer(t, f)
	c := NewClient(path)
	defer c.CloseIdleConnections()
	ctx := context.Background()
	st, err := c.Status(ctx)
	if err != nil || !reflect.DeepEqual(st, f.status) {
		t.Errorf("Status() = %+v, %v, want %+v", st, err, f.status)
	}
	p, err := c.Policy(ctx)
	if err != nil || !reflect.DeepEqual(p, f.policy) {
		t.Errorf("Policy() = %+v, %v, want %+v", p, err, f.policy)
	}
	res, err := c.ApplyPolicy(ctx, ApplyRequest{Source: "x", DryRun: true})
	if err != nil || !reflect.DeepEqual(res, f.apply) {
		t.Errorf("ApplyPolicy() = %+v, %v, want %+v", res, err, f.apply)
	}
	if err := c.SetNode(ctx, NodeRequest{Node: "n2", Action: ActionStandby}); err != nil {
		t.Errorf("SetNode() = %v, want nil", err)
	}
	if want := []NodeRequest{{Node: "n2", Action: ActionStandby}}; !reflect.DeepEqual(f.nodeCalls, want) {
		t.Errorf("backend SetNode calls = %+v, want %+v", f.nodeCalls, want)
	}
	fi, err := os.Stat(path)
	if err != nil || fi.Mode().Perm() != SocketMode {
		t.Errorf("socket mode = %v, %v, want %v", fi.Mode().Perm(), err, SocketMode)
	}
	di, err := os.Stat(filepath.Dir(path))
	if err != nil || di.Mode().Perm() != SocketDirMode {
		t.Errorf("socket directory mode = %v, %v, want %v", di.Mode().Perm(), err, SocketDirMode)
	}
}

func TestClientErrors(t *testing.T) {
	checkLeaks(t)
	f := &fakeBackend{err: Errorf(CodeNoQuorum, "1 of 3 votes")}
	c := NewClient(startServer(t, f))
	defer c.CloseIdleConnections()
	_, err := c.ApplyPolicy(context.Background(), ApplyRequest{Source: "x"})
	var ae *Error
	if !errors.As(err, &ae) || ae.Status != 503 || ae.Code != CodeNoQuorum || ae.Message != "1 of 3 votes" {
		t.Errorf("ApplyPolicy() = %#v, want *Error 503 no_quorum", err)
	}
	err = c.SetNode(context.Background(), NodeRequest{Node: "a/b", Action: ActionStandby})
	if !errors.As(err, &ae) || ae.Code != CodeBadRequest {
		t.Errorf("SetNode(a/b) = %v, want bad_request", err)
	}
}

func TestClientUnreachable(t *testing.T) {
	checkLeaks(t)
	path := filepath.Join(t.TempDir(), "none.sock")
	c := NewClient(path)
	_, err := c.Status(context.Background())
	var ue *UnreachableError
	if !errors.As(err, &ue) || ue.Socket != path || !errors.Is(err, os.ErrNotExist) {
		t.Errorf("Status() on a missing socket = %v, want *UnreachableError wrapping ErrNotExist", err)
	}
}

func TestClientContextCancel(t *testing.T) {
	checkLeaks(t)
	f := &fakeBackend{block: make(chan struct{})}
	c := NewClient(startServer(t, f))
	defer c.CloseIdleConnections()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := c.Status(ctx); !errors.Is(err, context.Canceled) {
		t.Errorf("Status(canceled ctx) = %v, want context.Canceled", err)
	}
}

func TestListenStaleAndInUse(t *testing.T) {
	checkLeaks(t)
	dir := t.TempDir()
	path := filepath.Join(dir, "ward.sock")
	ctx := context.Background()

	// A stale socket (bound, nobody listening) is removed.
	fd, err := syscall.Socket(syscall.AF_UNIX, syscall.SOCK_STREAM, 0)
	if err != nil {
		t.Fatal(err)
	}
	if err := syscall.Bind(fd, &syscall.SockaddrUnix{Name: path}); err != nil {
		t.Fatal(err)
	}
	syscall.Close(fd)
	ln, err := Listen(ctx, path)
	if err != nil {
		t.Fatalf("Listen(stale socket) = %v, want nil", err)
	}

	// A second daemon on a live socket is refused, and the socket stays.
	if _, err := Listen(ctx, path); !errors.Is(err, ErrInUse) {
		t.Errorf("Listen(live socket) = %v, want ErrInUse", err)
	}
	if _, err := os.Stat(path); err != nil {
		t.Errorf("live socket was removed: %v", err)
	}
	ln.Close()
	if _, err := os.Lstat(path); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("socket after Close: %v, want removed", err)
	}

	// A regular file is never removed.
	file := filepath.Join(dir, "file.sock")
	if err := os.WriteFile(file, []byte("keep"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := Listen(ctx, file); err == nil {
		t.Errorf("Listen(regular file) = nil, want an error")
	}
	if b, err := os.ReadFile(file); err != nil || string(b) != "keep" {
		t.Errorf("regular file after Listen = %q, %v, want it untouched", b, err)
	}
}

func TestServerRunReturnsAfterCancel(t *testing.T) {
	checkLeaks(t)
	path := filepath.Join(t.TempDir(), "ward.sock")
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- NewServer(&fakeBackend{}, nil).Run(ctx, path) }()
	// Wait until it answers (the client retries nothing: poll by dialing).
	c := NewClient(path)
	for {
		if _, err := c.Status(context.Background()); err == nil {
			break
		}
		select {
		case err := <-done:
			t.Fatalf("Run() = %v before cancel", err)
		default:
		}
		conn, err := net.Dial("unix", path)
		if err == nil {
			conn.Close()
		}
	}
	c.CloseIdleConnections()
	cancel()
	if err := <-done; err != nil {
		t.Errorf("Run() = %v, want nil", err)
	}
	if _, err := os.Lstat(path); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("socket after Run returned: %v, want removed", err)
	}
}

// checkLeaks verifies, after every other cleanup of t has run, that no
// goroutine was left behind.
func checkLeaks(t *testing.T) {
	t.Helper()
	t.Cleanup(func() { goleak.VerifyNone(t) })
}

func TestListenRefusesWhileLocked(t *testing.T) {
	checkLeaks(t)
	path := filepath.Join(t.TempDir(), "ward.sock")
	// Another daemon between its lock and its listen: no socket yet.
	lock, err := lockSocket(path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Listen(context.Background(), path); !errors.Is(err, ErrInUse) {
		t.Errorf("Listen(locked path) = %v, want ErrInUse", err)
	}
	lock.Close()
	ln, err := Listen(context.Background(), path)
	if err != nil {
		t.Fatalf("Listen after unlock = %v", err)
	}
	ln.Close()
	// Closing released the lock: listening again works.
	ln, err = Listen(context.Background(), path)
	if err != nil {
		t.Fatalf("Listen after Close = %v", err)
	}
	ln.Close()
}
