package lab

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"syscall"
	"time"
)

// NetnsDir is where named network namespaces are bound (ip netns).
const NetnsDir = "/run/netns"

// killWait bounds how long PowerOff waits for killed processes to go.
const killWait = 10 * time.Second

// Pids lists the processes living in network namespace ns (as `ip netns
// pids` does), leaving out zombies: a killed process whose parent has
// not reaped it yet no longer runs.
func Pids(ns string) ([]int, error) {
	var want syscall.Stat_t
	if err := syscall.Stat(filepath.Join(NetnsDir, ns), &want); err != nil {
		return nil, fmt.Errorf("lab: namespace %s: %w", ns, err)
	}
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return nil, fmt.Errorf("lab: %w", err)
	}
	self := os.Getpid()
	var pids []int
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid == self {
			continue
		}
		var st syscall.Stat_t
		if syscall.Stat(filepath.Join("/proc", e.Name(), "ns", "net"), &st) != nil {
			continue // gone, or a kernel thread
		}
		if st.Ino != want.Ino || st.Dev != want.Dev {
			continue
		}
		if zombie(pid) {
			continue
		}
		pids = append(pids, pid)
	}
	return pids, nil
}

// zombie reports whether pid is a zombie (or already gone).
func zombie(pid int) bool {
	b, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "stat"))
	if err != nil {
		return true
	}
	i := bytes.LastIndexByte(b, ')')
	if i < 0 || i+2 >= len(b) {
		return true
	}
	s := b[i+2]
	return s == 'Z' || s == 'X'
}

// signalAll sends sig to every pid, ignoring those already gone.
func signalAll(pids []int, sig syscall.Signal) {
	for _, p := range pids {
		syscall.Kill(p, sig)
	}
}

// killNamespace freezes, then kills every process of ns, and waits until
// none runs any more (zombies aside). Processes forked meanwhile are
// caught by the next round.
func killNamespace(ctx context.Context, ns string) error {
	deadline := time.Now().Add(killWait)
	for {
		pids, err := Pids(ns)
		if err != nil {
			if errors.Is(err, os.ErrNotExist) {
				return nil
			}
			return err
		}
		if len(pids) == 0 {
			return nil
		}
		// STOP first so none of them acts (or forks) between our kills;
		// SIGKILL also ends stopped processes.
		signalAll(pids, syscall.SIGSTOP)
		signalAll(pids, syscall.SIGKILL)
		if time.Now().After(deadline) {
			return fmt.Errorf("lab: %s: processes %v still running %s after SIGKILL", ns, pids, killWait)
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("lab: kill the processes of %s: %w", ns, ctx.Err())
		case <-time.After(10 * time.Millisecond):
		}
	}
}

// PowerOff "pulls the power" of the host whose namespace is prefix+node:
// its switch port (named node, in namespace prefix+"sw") goes down, then
// every process of the host is frozen and killed, and PowerOff returns
// once none runs any more. Its disk (folder) is left as it was. The lab
// fence plugin calls it; it is safe to call on a host already off.
func PowerOff(ctx context.Context, prefix, node string) error {
	ns := prefix + node
	if _, err := os.Stat(filepath.Join(NetnsDir, ns)); err != nil {
		return fmt.Errorf("lab: power off %s: no namespace %s: %w", node, ns, err)
	}
	// Freeze first: a host must not act between the cut and the kill.
	if pids, err := Pids(ns); err == nil {
		signalAll(pids, syscall.SIGSTOP)
	}
	if err := run(ctx, "ip", "-n", prefix+"sw", "link", "set", node, "down"); err != nil {
		return fmt.Errorf("lab: power off %s: %w", node, err)
	}
	if err := killNamespace(ctx, ns); err != nil {
		return fmt.Errorf("lab: power off %s: %w", node, err)
	}
	return nil
}

// PowerOff powers host i off (see the package function PowerOff).
func (l *Lab) PowerOff(ctx context.Context, i int) error {
	return PowerOff(ctx, l.cfg.Prefix, l.Name(i))
}

// Freeze stops (SIGSTOP) every process of host i: it keeps its link and
// addresses but neither answers nor acts, like a hung kernel.
func (l *Lab) Freeze(i int) ([]int, error) {
	pids, err := Pids(l.NS(i))
	if err != nil {
		return nil, err
	}
	signalAll(pids, syscall.SIGSTOP)
	return pids, nil
}

// Thaw continues (SIGCONT) every process of host i.
func (l *Lab) Thaw(i int) ([]int, error) {
	pids, err := Pids(l.NS(i))
	if err != nil {
		return nil, err
	}
	signalAll(pids, syscall.SIGCONT)
	return pids, nil
}
