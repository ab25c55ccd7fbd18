package fencing

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/ward-ha/ward/internal/clock"
)

// FileWatchdog is a simulated watchdog device for machines without
// /dev/watchdog (the lab): Pet writes the current time to a file, Disarm
// writes "disarmed". A supervisor outside the daemon (SuperviseFile, run
// by `ward watchdog-sim`) powers the host off when the file goes stale.
type FileWatchdog struct {
	path string
	clk  clock.Clock
}

// NewFileWatchdog returns the file watchdog at path and feeds it once.
func NewFileWatchdog(path string, clk clock.Clock) (*FileWatchdog, error) {
	if clk == nil {
		clk = clock.Real()
	}
	w := &FileWatchdog{path: path, clk: clk}
	if err := w.Pet(); err != nil {
		return nil, err
	}
	return w, nil
}

// Pet writes the current time (unix nanoseconds) to the file.
func (w *FileWatchdog) Pet() error {
	return writeAtomic(w.path, strconv.FormatInt(w.clk.Now().UnixNano(), 10))
}

// Disarm writes "disarmed": the supervisor then does nothing.
func (w *FileWatchdog) Disarm() error { return writeAtomic(w.path, "disarmed") }

func writeAtomic(path, s string) error {
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, []byte(s), 0o644); err != nil {
		return fmt.Errorf("fencing: watchdog file: %w", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("fencing: watchdog file: %w", err)
	}
	return nil
}

// ErrWatchdogDisarmed is returned by SuperviseFile when the watchdog was
// disarmed (a clean stop of the daemon).
var ErrWatchdogDisarmed = errors.New("fencing: watchdog disarmed")

// SuperviseFile watches the file watchdog at path: once the time written
// in it is older than timeout, it calls reset and returns nil. It returns
// ErrWatchdogDisarmed when the file says "disarmed", and ctx's error when
// ctx ends. A missing file is not armed yet: it waits.
func SuperviseFile(ctx context.Context, path string, timeout time.Duration, clk clock.Clock, reset func() error) error {
	if clk == nil {
		clk = clock.Real()
	}
	poll := max(timeout/20, time.Millisecond)
	t := clk.NewTimer(0)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C():
		}
		b, err := os.ReadFile(filepath.Clean(path))
		switch s := strings.TrimSpace(string(b)); {
		case err != nil:
		case s == "disarmed":
			return ErrWatchdogDisarmed
		default:
			ns, perr := strconv.ParseInt(s, 10, 64)
			if perr == nil && clk.Now().Sub(time.Unix(0, ns)) > timeout {
				return reset()
			}
		}
		t.Reset(poll)
	}
}
