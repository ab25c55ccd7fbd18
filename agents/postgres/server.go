package postgres

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"time"
)

// secondsLeft is what remains of ctx's deadline, minus a margin, in
// whole seconds (at least min); def without a deadline.
func secondsLeft(ctx context.Context, margin time.Duration, min, def int) int {
	dl, ok := ctx.Deadline()
	if !ok {
		return def
	}
	s := int((time.Until(dl) - margin) / time.Second)
	if s < min {
		return min
	}
	return s
}

// prepareDirs makes sure the socket folder and the log file exist and
// belong to the OS user.
func (r *run) prepareDirs() error {
	if _, err := os.Stat(r.cfg.SocketDir); err != nil {
		if err := os.MkdirAll(r.cfg.SocketDir, 0o2775); err != nil {
			return fmt.Errorf("create socket_dir %s: %w", r.cfg.SocketDir, err)
		}
		if err := os.Chown(r.cfg.SocketDir, int(r.ids.uid), int(r.ids.gid)); err != nil {
			return fmt.Errorf("chown socket_dir %s: %w", r.cfg.SocketDir, err)
		}
	}
	if err := os.MkdirAll(filepath.Dir(r.cfg.LogFile), 0o755); err != nil {
		return fmt.Errorf("create the log file's folder: %w", err)
	}
	f, err := os.OpenFile(r.cfg.LogFile, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o640)
	if err != nil {
		return fmt.Errorf("open logfile %s: %w", r.cfg.LogFile, err)
	}
	f.Close()
	if err := os.Chown(r.cfg.LogFile, int(r.ids.uid), int(r.ids.gid)); err != nil {
		return fmt.Errorf("chown logfile %s: %w", r.cfg.LogFile, err)
	}
	return nil
}

// startServer runs pg_ctl start and waits until the server accepts
// connections (a standby: once it is consistent).
func (r *run) startServer(ctx context.Context) error {
	if err := r.prepareDirs(); err != nil {
		return err
	}
	secs := secondsLeft(ctx, 2*time.Second, 5, 60)
	_, _, err := r.tool(ctx, "pg_ctl", nil, "start", "-D", r.cfg.PGData, "-l", r.cfg.LogFile, "-w", "-t", strconv.Itoa(secs),
		"-o", "-p "+strconv.Itoa(r.cfg.Port)+" -k "+r.cfg.SocketDir)
	if err != nil {
		return fmt.Errorf("start the server (log: %s): %w", r.cfg.LogFile, err)
	}
	return nil
}

// stopServer stops the server: a fast shutdown, then an immediate one if
// the fast one did not finish within fast_stop_timeout. It returns once
// the postmaster is gone.
func (r *run) stopServer(ctx context.Context) error {
	fast := int(r.cfg.FastStopTimeout / time.Second)
	if left := secondsLeft(ctx, 5*time.Second, 1, fast); left < fast {
		fast = left
	}
	_, _, err := r.tool(ctx, "pg_ctl", nil, "stop", "-D", r.cfg.PGData, "-m", "fast", "-w", "-t", strconv.Itoa(fast))
	if err != nil {
		if ctx.Err() != nil {
			return err
		}
		r.log.Warn("postgres: fast shutdown did not finish, shutting down immediately", "err", err)
		if _, _, err2 := r.tool(ctx, "pg_ctl", nil, "stop", "-D", r.cfg.PGData, "-m", "immediate", "-w",
			"-t", strconv.Itoa(secondsLeft(ctx, time.Second, 1, 30))); err2 != nil {
			if pid, _ := postmasterPID(r.cfg.PGData); pid != 0 {
				return fmt.Errorf("stop the server: fast: %v; immediate: %w", err, err2)
			}
		}
	}
	if pid, err := postmasterPID(r.cfg.PGData); err != nil || pid != 0 {
		return fmt.Errorf("stop the server: postmaster %d still running after pg_ctl stop (%v)", pid, err)
	}
	return nil
}
