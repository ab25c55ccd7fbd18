package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"

	"github.com/spf13/cobra"
)

// newDemoFenceCmd builds the hidden `ward demo fence --dir DIR NODE`: the
// demo cluster's fencing device (plugin exec). It "powers off" NODE: it
// kills the node's daemon and its process group if they still run, then
// drops every resource the node held (the demo's resources are files).
func newDemoFenceCmd() *cobra.Command {
	var dir string
	c := &cobra.Command{
		Use:    "fence --dir DIR NODE",
		Short:  "The demo cluster's fencing device (used by ward demo itself)",
		Hidden: true,
		Args:   argsUsage(cobra.ExactArgs(1)),
		RunE: func(c *cobra.Command, args []string) error {
			if dir == "" {
				return &usageError{cmd: c.CommandPath(), err: errors.New("--dir is required")}
			}
			if err := demoFence(c.OutOrStdout(), dir, args[0]); err != nil {
				return &exitError{code: 1, msg: err.Error()}
			}
			return nil
		},
	}
	c.Flags().StringVar(&dir, "dir", "", "the demo's folder")
	return c
}

// demoFence powers off node of the demo cluster in dir.
func demoFence(w io.Writer, dir, node string) error {
	if node == "" || strings.ContainsAny(node, "/\x00") || node == "." || node == ".." {
		return fmt.Errorf("demo fence: bad node name %q", node)
	}
	data, err := os.ReadFile(pidFile(dir, node))
	if err != nil {
		return fmt.Errorf("demo fence: %s: %w (is %s a node of the demo in %s?)", node, err, node, dir)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(data)))
	if err != nil || pid <= 1 {
		return fmt.Errorf("demo fence: %s: bad pid file %s", node, pidFile(dir, node))
	}
	switch ours, err := isDemoDaemon(pid, node); {
	case err != nil:
		return fmt.Errorf("demo fence: %s: %w", node, err)
	case ours:
		// Kill the whole process group: the daemon and whatever agent
		// it was running, as a power cut would.
		if err := syscall.Kill(-pid, syscall.SIGKILL); err != nil && !errors.Is(err, syscall.ESRCH) {
			return fmt.Errorf("demo fence: %s: kill process group %d: %w", node, pid, err)
		}
		fmt.Fprintf(w, "%s: killed daemon pid %d\n", node, pid)
	default:
		fmt.Fprintf(w, "%s: daemon pid %d is already gone\n", node, pid)
	}
	// Power off: what ran on the node is no longer running.
	matches, err := filepath.Glob(filepath.Join(dir, "resources", "*."+node))
	if err != nil {
		return fmt.Errorf("demo fence: %s: %w", node, err)
	}
	for _, m := range matches {
		if err := os.Remove(m); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("demo fence: %s: %w", node, err)
		}
		fmt.Fprintf(w, "%s: resource %s is down\n", node, strings.TrimSuffix(filepath.Base(m), "."+node))
	}
	return nil
}

// isDemoDaemon reports whether pid is a live (not zombie) `ward daemon
// --node NODE` process. A pid that no longer exists, or belongs to
// another program, is not ours.
func isDemoDaemon(pid int, node string) (bool, error) {
	proc := filepath.Join("/proc", strconv.Itoa(pid))
	stat, err := os.ReadFile(filepath.Join(proc, "stat"))
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	// The state follows the ")" closing the command name.
	if i := bytes.LastIndexByte(stat, ')'); i >= 0 && len(stat) > i+2 && (stat[i+2] == 'Z' || stat[i+2] == 'X') {
		return false, nil
	}
	cmdline, err := os.ReadFile(filepath.Join(proc, "cmdline"))
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	args := strings.Split(strings.TrimSuffix(string(cmdline), "\x00"), "\x00")
	daemon, named := false, false
	for i, a := range args {
		if a == "daemon" {
			daemon = true
		}
		if a == "--node" && i+1 < len(args) && args[i+1] == node || a == "--node="+node {
			named = true
		}
	}
	return daemon && named, nil
}
