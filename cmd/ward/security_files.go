package main

import (
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"syscall"
)

// checkStateDir refuses a state directory other users could write to: it
// holds the live policy, whose agents and fence devices run as root, so
// whoever can replace a file in it can run commands as root. A folder
// others can read is only warned about (its files are 0600). A missing
// folder is fine: OpenStore creates it with mode 0700.
func checkStateDir(dir string, log *slog.Logger) error {
	fi, err := os.Stat(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("state directory: %w", err)
	}
	if !fi.IsDir() {
		return fmt.Errorf("state directory %s is not a folder", dir)
	}
	perm := fi.Mode().Perm()
	if perm&0o022 != 0 {
		return fmt.Errorf("state directory %s has mode %04o: other users could replace the live policy in it (its agents run as root); refusing to start. Run `chmod 700 %s`", dir, perm, dir)
	}
	if st, ok := fi.Sys().(*syscall.Stat_t); ok && st.Uid != 0 && int(st.Uid) != os.Geteuid() {
		return fmt.Errorf("state directory %s is owned by uid %d, neither root nor this process (uid %d): that user could replace the live policy; refusing to start. Run `chown root:root %s`", dir, st.Uid, os.Geteuid(), dir)
	}
	if perm&0o055 != 0 && log != nil {
		log.Warn("the state directory can be listed by other users; its files are private (0600) but chmod 700 is better", "dir", dir, "mode", fmt.Sprintf("%04o", perm))
	}
	return nil
}
