package lab

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"time"

	"github.com/ward-ha/ward/heartbeat"
)

// hostScript runs in a host's namespace: it gives the host a private
// view of its own folder at Mount (ip netns exec already made a mount
// namespace of its own, a slave of the machine's), then runs the command.
const hostScript = `mount --bind "$1" "$2" || exit 1; shift 2; exec "$@"`

// Command returns the command argv run as on host i: in its network
// namespace, with its folder at Mount. The caller sets I/O and runs it.
func (l *Lab) Command(ctx context.Context, i int, argv ...string) *exec.Cmd {
	args := append([]string{"netns", "exec", l.NS(i), "sh", "-c", hostScript, "wardlab-host", l.HostDir(i), l.Mount()}, argv...)
	cmd := exec.CommandContext(ctx, "ip", args...)
	cmd.Dir = "/"
	return cmd
}

// ClientCommand returns the command argv run in the client namespace.
func (l *Lab) ClientCommand(ctx context.Context, argv ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, "ip", append([]string{"netns", "exec", l.ClientNS()}, argv...)...)
	cmd.Dir = "/"
	return cmd
}

// WriteFiles writes the gossip key (if none exists) and the bootstrap
// policy.
func (l *Lab) WriteFiles(policy string) error {
	if _, err := os.Stat(l.KeyFile()); errors.Is(err, os.ErrNotExist) {
		k, err := heartbeat.GenerateKey()
		if err != nil {
			return fmt.Errorf("lab: %w", err)
		}
		if err := heartbeat.WriteKeyFile(l.KeyFile(), false, k); err != nil {
			return fmt.Errorf("lab: %w", err)
		}
	}
	if err := os.WriteFile(l.PolicyFile(), []byte(policy), 0o600); err != nil {
		return fmt.Errorf("lab: write the policy: %w", err)
	}
	return nil
}

// Daemon is a ward daemon started on a lab host.
type Daemon struct {
	// Node is the host's node name.
	Node string
	// Cmd is the process (ip netns exec, which becomes the daemon).
	Cmd *exec.Cmd
	// Exited is closed once the process has been reaped.
	Exited chan struct{}
}

// DaemonArgs returns the argv of host i's `ward daemon`.
func (l *Lab) DaemonArgs(i int) []string {
	return []string{l.cfg.Exe, "daemon",
		"--policy", l.PolicyFile(),
		"--node", l.Name(i),
		"--state-dir", filepath.Join(l.HostDir(i), "ward"),
		"--key", l.KeyFile(),
		"--socket", l.Socket(i),
		"--agent-state-dir", filepath.Join(l.HostDir(i), "agents"),
		"--log-level", "info",
	}
}

// StartDaemon starts host i's ward daemon, logging to DaemonLog(i).
// With detach the daemon gets a session of its own and outlives the
// caller's terminal (ward lab up); otherwise it stays in a process group
// of its own in the caller's session. Either way Down ends it. The
// returned Daemon is reaped by a goroutine of this process.
func (l *Lab) StartDaemon(i int, detach bool) (*Daemon, error) {
	logf, err := os.OpenFile(l.DaemonLog(i), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, fmt.Errorf("lab: %w", err)
	}
	defer logf.Close()
	cmd := l.Command(context.Background(), i, l.DaemonArgs(i)...)
	cmd.Stdout, cmd.Stderr = logf, logf
	// Lab hosts share this machine's kernel: a self-fence
	// (no_quorum_policy = suicide) must end the host's daemon, never
	// reboot the machine under every other host.
	cmd.Env = append(os.Environ(), "WARD_SELF_FENCE=exit")
	// No Pdeathsig: it fires when the OS thread that forked the child
	// exits, and Go discards threads (DialIn's among them) at will. Down
	// kills whatever a crashed caller left; detach only decides whether
	// the daemon leaves the caller's session.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: detach, Setpgid: !detach}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("lab: start the daemon of %s: %w", l.Name(i), err)
	}
	d := &Daemon{Node: l.Name(i), Cmd: cmd, Exited: make(chan struct{})}
	go func() {
		cmd.Wait()
		close(d.Exited)
	}()
	pidf := filepath.Join(l.HostDir(i), "daemon.pid")
	if err := os.WriteFile(pidf, []byte(strconv.Itoa(cmd.Process.Pid)+"\n"), 0o644); err != nil {
		return d, fmt.Errorf("lab: %w", err)
	}
	return d, nil
}

// WaitSocket waits until host i's API socket exists.
func (l *Lab) WaitSocket(ctx context.Context, i int, d *Daemon) error {
	for {
		if _, err := os.Stat(l.Socket(i)); err == nil {
			return nil
		}
		if d != nil {
			select {
			case <-d.Exited:
				return fmt.Errorf("lab: the daemon of %s exited at start: see %s", l.Name(i), l.DaemonLog(i))
			default:
			}
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("lab: the daemon of %s did not open %s: %w (see %s)", l.Name(i), l.Socket(i), ctx.Err(), l.DaemonLog(i))
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// Boot powers host i back on: its switch port goes up and its daemon
// starts again (its disk is as the power-off left it).
func (l *Lab) Boot(ctx context.Context, i int, detach bool) (*Daemon, error) {
	if err := l.Heal(ctx, i); err != nil {
		return nil, err
	}
	os.Remove(l.Socket(i)) // left by the killed daemon
	return l.StartDaemon(i, detach)
}
