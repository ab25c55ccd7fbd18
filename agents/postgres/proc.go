package postgres

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// maxToolOutput bounds what is kept of a tool's output (its tail).
const maxToolOutput = 8 << 10

// ids are the uid and gid of the OS user PostgreSQL runs as.
type ids struct{ uid, gid uint32 }

func lookupIDs(name string) (ids, error) {
	u, err := user.Lookup(name)
	if err != nil {
		return ids{}, fmt.Errorf("OS user %s: %w", name, err)
	}
	uid, err1 := strconv.ParseUint(u.Uid, 10, 32)
	gid, err2 := strconv.ParseUint(u.Gid, 10, 32)
	if err1 != nil || err2 != nil {
		return ids{}, fmt.Errorf("OS user %s: non-numeric uid %q or gid %q", name, u.Uid, u.Gid)
	}
	return ids{uint32(uid), uint32(gid)}, nil
}

// tailBuffer keeps the last maxToolOutput bytes written to it.
type tailBuffer struct{ b []byte }

func (t *tailBuffer) Write(p []byte) (int, error) {
	t.b = append(t.b, p...)
	if len(t.b) > maxToolOutput {
		t.b = append(t.b[:0], t.b[len(t.b)-maxToolOutput:]...)
	}
	return len(p), nil
}

// tool runs a PostgreSQL program (pg_ctl, pg_rewind, ...) from the bin
// folder as the OS user, in its own process group killed when ctx ends,
// with a minimal environment (plus env). It returns the output (stdout
// and stderr, tail-capped, with the password redacted) and an error
// naming the program when it did not exit 0.
func (r *run) tool(ctx context.Context, name string, env []string, args ...string) (string, int, error) {
	path := filepath.Join(r.cfg.BinDir, name)
	cmd := exec.CommandContext(ctx, path, args...)
	cmd.Env = append([]string{"PATH=/usr/bin:/bin", "LC_ALL=C", "HOME=" + filepath.Dir(r.cfg.PGData), "PGCONNECT_TIMEOUT=5"}, env...)
	cmd.Dir = "/"
	var out tailBuffer
	cmd.Stdout = &out
	cmd.Stderr = &out
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Credential: &syscall.Credential{Uid: r.ids.uid, Gid: r.ids.gid}}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = 500 * time.Millisecond
	err := cmd.Run()
	text := r.redact(strings.TrimSpace(string(out.b)))
	code := 0
	if cmd.ProcessState != nil {
		code = cmd.ProcessState.ExitCode()
	}
	if err != nil && !errors.Is(err, exec.ErrWaitDelay) {
		if ctx.Err() != nil {
			return text, -1, fmt.Errorf("%s: killed because %w", name, context.Cause(ctx))
		}
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			return text, code, fmt.Errorf("%s exited with status %d: %s", name, code, lastLines(text, 3))
		}
		return text, -1, fmt.Errorf("%s: %w", name, err)
	}
	return text, code, nil
}

// lastLines returns the last n lines of s, joined with " | ".
func lastLines(s string, n int) string {
	l := strings.Split(strings.TrimSpace(s), "\n")
	if len(l) > n {
		l = l[len(l)-n:]
	}
	return strings.Join(l, " | ")
}

// redact replaces the replication password wherever it appears.
func (r *run) redact(s string) string {
	if pw := r.cfg.ReplPassword; pw != "" {
		s = strings.ReplaceAll(s, pw, "<redacted>")
	}
	return s
}

// postmasterPID returns the pid of the running postmaster of the data
// folder, or 0 when none runs (no pid file, or a stale one whose process
// is gone or a zombie).
func postmasterPID(pgdata string) (int, error) {
	b, err := os.ReadFile(filepath.Join(pgdata, "postmaster.pid"))
	if errors.Is(err, fs.ErrNotExist) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("read postmaster.pid: %w", err)
	}
	first, _, _ := strings.Cut(string(b), "\n")
	pid, err := strconv.Atoi(strings.TrimSpace(first))
	if err != nil || pid <= 0 {
		// Being written right now, or garbage: not a running server we
		// can talk about.
		return 0, nil
	}
	if !alive(pid) || !isPostgres(pid) {
		return 0, nil
	}
	return pid, nil
}

// isPostgres reports whether pid runs the postgres program (a pid file
// left by a crash may name a pid reused by something else since).
func isPostgres(pid int) bool {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/comm")
	if err != nil {
		return false
	}
	c := strings.TrimSpace(string(b))
	return c == "postgres" || c == "postmaster"
}

// waitReaped waits, while ctx allows, until the pid in a leftover
// postmaster.pid no longer exists even as a zombie: PostgreSQL refuses
// to start (or pg_rewind to recover) while kill(pid, 0) succeeds, and a
// killed postmaster whose parent is a slow init stays a zombie for a
// while. It returns at once when there is no pid file.
func waitReaped(ctx context.Context, pgdata string) error {
	b, err := os.ReadFile(filepath.Join(pgdata, "postmaster.pid"))
	if err != nil {
		return nil
	}
	first, _, _ := strings.Cut(string(b), "\n")
	pid, err := strconv.Atoi(strings.TrimSpace(first))
	if err != nil || pid <= 0 {
		return nil
	}
	for {
		if err := syscall.Kill(pid, 0); errors.Is(err, syscall.ESRCH) {
			return nil
		}
		if alive(pid) && isPostgres(pid) {
			return fmt.Errorf("postmaster %d of %s is still running", pid, pgdata)
		}
		if !alive(pid) && !isZombie(pid) {
			// Reused by another live process: PostgreSQL's own check
			// handles that (it compares more than the pid).
			return nil
		}
		// Polls an external process state, on real time.
		t := time.NewTimer(50 * time.Millisecond)
		select {
		case <-ctx.Done():
			t.Stop()
			return fmt.Errorf("the killed postmaster %d was not reaped in time (a zombie keeps its pid file valid): %w", pid, context.Cause(ctx))
		case <-t.C:
		}
	}
}

// isZombie reports whether pid is a zombie.
func isZombie(pid int) bool {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return false
	}
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	return i >= 0 && i+2 < len(s) && s[i+2] == 'Z'
}

// alive reports whether pid is a live (not zombie) process.
func alive(pid int) bool {
	if err := syscall.Kill(pid, 0); err != nil && !errors.Is(err, syscall.EPERM) {
		return false
	}
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return false
	}
	// pid (comm) S ...: the state follows the last ')'.
	s := string(b)
	if i := strings.LastIndexByte(s, ')'); i >= 0 && i+2 < len(s) {
		return s[i+2] != 'Z' && s[i+2] != 'X'
	}
	return true
}

// writeOwned writes a file in the data folder owned by the OS user.
func (r *run) writeOwned(path string, data []byte) error {
	tmp := path + ".ward-tmp"
	if err := os.WriteFile(tmp, data, 0o600); err != nil {
		return err
	}
	if err := os.Chown(tmp, int(r.ids.uid), int(r.ids.gid)); err != nil {
		os.Remove(tmp)
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return err
	}
	return nil
}
