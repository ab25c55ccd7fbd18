package api

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"syscall"
	"time"
)

// Socket file modes: the socket is for root and the ward group.
const (
	SocketMode    fs.FileMode = 0o660
	SocketDirMode fs.FileMode = 0o750
)

// DefaultSocket is where the daemon listens and the CLI connects unless
// told otherwise.
const DefaultSocket = "/run/ward/ward.sock"

// probeTimeout bounds the check for a live daemon on an existing socket.
const probeTimeout = time.Second

// ErrInUse is returned by Listen when another process answers on the
// socket.
var ErrInUse = errors.New("api: socket in use")

// Listen creates the unix socket at path for the server: it creates the
// directory (mode 0750) if missing, removes a stale socket left by a
// daemon that died, refuses with ErrInUse if another process answers on
// it, refuses to remove anything that is not a socket, and sets the
// socket's mode to 0660. The socket file is removed when the listener is
// closed.
func Listen(ctx context.Context, path string) (net.Listener, error) {
	if path == "" {
		return nil, errors.New("api: listen: empty socket path")
	}
	dir := filepath.Dir(path)
	if _, err := os.Stat(dir); errors.Is(err, fs.ErrNotExist) {
		if err := os.MkdirAll(dir, SocketDirMode); err != nil {
			return nil, fmt.Errorf("api: create socket directory %s: %w", dir, err)
		}
		// MkdirAll's mode is filtered by the umask; set it exactly.
		if err := os.Chmod(dir, SocketDirMode); err != nil {
			return nil, fmt.Errorf("api: chmod socket directory %s: %w", dir, err)
		}
	}
	// The lock makes check-remove-listen atomic between two daemons
	// starting at once on the same path.
	lock, err := lockSocket(path)
	if err != nil {
		return nil, err
	}
	if err := removeStale(ctx, path); err != nil {
		lock.Close()
		return nil, err
	}
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "unix", path)
	if err != nil {
		lock.Close()
		return nil, fmt.Errorf("api: listen on %s: %w", path, err)
	}
	if err := os.Chmod(path, SocketMode); err != nil {
		ln.Close()
		lock.Close()
		return nil, fmt.Errorf("api: chmod %s: %w", path, err)
	}
	return &lockedListener{Listener: ln, lock: lock}, nil
}

// lockSocket takes an exclusive lock on path+".lock", held as long as
// the socket is served. A second daemon on the same path gets ErrInUse.
func lockSocket(path string) (*os.File, error) {
	f, err := os.OpenFile(path+".lock", os.O_CREATE|os.O_RDWR|syscall.O_CLOEXEC, 0o600)
	if err != nil {
		return nil, fmt.Errorf("api: lock socket %s: %w", path, err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, fmt.Errorf("%w: another ward daemon holds %s.lock: stop it first or choose another --socket", ErrInUse, path)
		}
		return nil, fmt.Errorf("api: lock socket %s: %w", path, err)
	}
	return f, nil
}

// lockedListener releases the socket's lock after closing the socket.
type lockedListener struct {
	net.Listener
	lock *os.File
}

// Close closes the listener (removing the socket file), then releases
// the lock.
func (l *lockedListener) Close() error {
	err := l.Listener.Close()
	l.lock.Close()
	return err
}

// removeStale removes path if it is a socket nobody answers on. The
// caller holds the socket's lock.
func removeStale(ctx context.Context, path string) error {
	fi, err := os.Lstat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("api: check socket %s: %w", path, err)
	}
	if fi.Mode().Type() != fs.ModeSocket {
		return fmt.Errorf("api: %s exists and is not a socket (%s): move it away or choose another --socket", path, fi.Mode().Type())
	}
	dctx, cancel := context.WithTimeout(ctx, probeTimeout)
	defer cancel()
	var d net.Dialer
	conn, err := d.DialContext(dctx, "unix", path)
	if err == nil {
		conn.Close()
		return fmt.Errorf("%w: another process (a running ward daemon?) answers on %s: stop it first or choose another --socket", ErrInUse, path)
	}
	if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("api: remove stale socket %s: %w", path, err)
	}
	return nil
}
