package lab

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/ward-ha/ward/api"
)

// FaultOptions describe a fault-catalogue cluster.
type FaultOptions struct {
	// Prefix starts every namespace name ("wardfc-").
	Prefix string
	// Subnet is the lab's /24 (default DefaultSubnet).
	Subnet string
	// Nodes is the number of hosts (default 3).
	Nodes int
	// Exe is the ward binary.
	Exe string
	// Policy shapes the policy (FaultPolicy).
	Policy FaultPolicyOptions
	// TmpfsState lists hosts whose ward state folder is a small tmpfs
	// (TmpfsSize), so that a scenario can fill it.
	TmpfsState []int
	// Log receives the harness's progress; nil discards it.
	Log *slog.Logger
}

// TmpfsSize is the size of a TmpfsState folder.
const TmpfsSize = "2m"

// WriterPause is the pause after each acknowledged write of the
// catalogue's writer: at most about 100 writes a second, so that the
// writer does not load a shared 2-core machine (it also bounds the
// resolution of the measured write gaps to about 10 ms).
const WriterPause = 10 * time.Millisecond

// ClientTable is the table the catalogue's writer inserts into.
const ClientTable = "acked"

// FaultCluster is a running lab cluster (PostgreSQL + VIP policy, a ward
// daemon per host) with a writer through the VIP and the invariant
// checker running.
type FaultCluster struct {
	// L is the lab.
	L *Lab
	// Writer writes through the VIP from the client namespace.
	Writer *Writer
	// Inv checks the invariants all along.
	Inv *Invariants

	o    FaultOptions
	base string
	log  *slog.Logger
	stop context.CancelFunc
	done sync.WaitGroup

	// mu guards daemons.
	mu      sync.Mutex
	daemons map[int]*Daemon
}

// StartFaultCluster builds a lab in a fresh temporary folder, starts
// every daemon, waits for a primary behind the VIP (with a synchronous
// standby when the policy is synchronous), then starts the writer and
// the invariant checker. On error the lab is already removed.
func StartFaultCluster(ctx context.Context, o FaultOptions) (c *FaultCluster, err error) {
	if o.Nodes == 0 {
		o.Nodes = 3
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	base, err := os.MkdirTemp("", o.Prefix+"lab-")
	if err != nil {
		return nil, fmt.Errorf("lab: %w", err)
	}
	os.Chmod(base, 0o755)
	l, err := New(Config{Dir: filepath.Join(base, "lab"), Prefix: o.Prefix, Nodes: o.Nodes, Exe: o.Exe, Subnet: o.Subnet}, o.Log)
	if err != nil {
		os.RemoveAll(base)
		return nil, err
	}
	c = &FaultCluster{L: l, o: o, base: base, log: o.Log, daemons: map[int]*Daemon{}}
	defer func() {
		if err != nil {
			c.Close("")
			c = nil
		}
	}()
	if err := l.Down(ctx, false); err != nil { // left by a killed run
		return c, err
	}
	if err := l.Up(ctx); err != nil {
		return c, err
	}
	if err := l.InitPostgres(ctx); err != nil {
		return c, err
	}
	pol, err := l.FaultPolicy(o.Policy)
	if err != nil {
		return c, err
	}
	if err := l.WriteFiles(pol); err != nil {
		return c, err
	}
	for _, i := range o.TmpfsState {
		dir := filepath.Join(l.HostDir(i), "ward")
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return c, fmt.Errorf("lab: %w", err)
		}
		if err := run(ctx, "mount", "-t", "tmpfs", "-o", "size="+TmpfsSize+",mode=0700", "wardfc-state", dir); err != nil {
			return c, err
		}
	}
	for i := 1; i <= o.Nodes; i++ {
		if err := c.StartDaemon(ctx, i, nil); err != nil {
			return c, err
		}
	}
	if err := retry(ctx, 150*time.Second, "the VIP to answer as a primary", func() error {
		return l.CreateTables(ctx, l.VIP(), ClientTable)
	}); err != nil {
		return c, err
	}
	if o.Policy.Synchronous {
		wctx, cancel := context.WithTimeout(ctx, 90*time.Second)
		_, err := l.WaitSyncPrimary(wctx)
		cancel()
		if err != nil {
			return c, err
		}
	}
	w, err := l.NewWriter(l.VIP(), ClientTable, 3*time.Second)
	if err != nil {
		return c, err
	}
	w.Pause = WriterPause
	c.Writer = w
	c.Inv = l.NewInvariants(200 * time.Millisecond)
	rctx, stop := context.WithCancel(context.Background())
	c.stop = stop
	c.done.Go(func() { w.Run(rctx) })
	c.done.Go(func() { c.Inv.Run(rctx) })
	wctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if _, err := w.WaitAckAfter(wctx, time.Now()); err != nil {
		return c, err
	}
	return c, nil
}

// retry calls f every 200 ms until it succeeds, limit passes or ctx ends.
func retry(ctx context.Context, limit time.Duration, what string, f func() error) error {
	deadline := time.Now().Add(limit)
	for {
		err := f()
		if err == nil {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("lab: waited %s for %s: %w", limit, what, err)
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("lab: waiting for %s: %w (last error: %v)", what, ctx.Err(), err)
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// StopLoad stops the writer and the invariant checker (idempotent).
func (c *FaultCluster) StopLoad() {
	if c.stop != nil {
		c.stop()
		c.done.Wait()
		c.stop = nil
	}
}

// Close stops the load, and removes the lab. With keep != "" the
// daemons' and PostgreSQL's logs are first copied into folder keep.
func (c *FaultCluster) Close(keep string) {
	c.StopLoad()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if keep != "" {
		c.KeepLogs(keep)
	}
	c.L.Down(ctx, false)
	for _, i := range c.o.TmpfsState {
		exec.Command("umount", "-l", filepath.Join(c.L.HostDir(i), "ward")).Run()
	}
	os.RemoveAll(c.base)
}

// KeepLogs copies every host's daemon and PostgreSQL log, and the alert
// log, into dir.
func (c *FaultCluster) KeepLogs(dir string) {
	os.MkdirAll(dir, 0o755)
	for i := 1; i <= c.L.cfg.Nodes; i++ {
		if b, err := os.ReadFile(c.L.DaemonLog(i)); err == nil {
			os.WriteFile(filepath.Join(dir, c.L.Name(i)+".log"), b, 0o644)
		}
		if b, err := os.ReadFile(filepath.Join(c.L.HostDir(i), "postgresql.log")); err == nil {
			os.WriteFile(filepath.Join(dir, c.L.Name(i)+"-postgresql.log"), b, 0o644)
		}
	}
	if b, err := os.ReadFile(c.L.AlertLog()); err == nil {
		os.WriteFile(filepath.Join(dir, "alerts.log"), b, 0o644)
	}
}

// Daemon returns host i's current daemon (nil when none was started).
func (c *FaultCluster) Daemon(i int) *Daemon {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.daemons[i]
}

// StartDaemon starts host i's daemon, wrapped in wrap (e.g. unshare)
// when given, and waits for its API socket.
func (c *FaultCluster) StartDaemon(ctx context.Context, i int, wrap []string) error {
	os.Remove(c.L.Socket(i))
	d, err := c.L.startDaemonWrapped(i, wrap)
	if err != nil {
		return err
	}
	c.mu.Lock()
	c.daemons[i] = d
	c.mu.Unlock()
	wctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	return c.L.WaitSocket(wctx, i, d)
}

// startDaemonWrapped is StartDaemon with the command prefixed by wrap.
func (l *Lab) startDaemonWrapped(i int, wrap []string) (*Daemon, error) {
	if len(wrap) == 0 {
		return l.StartDaemon(i, false)
	}
	logf, err := os.OpenFile(l.DaemonLog(i), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, fmt.Errorf("lab: %w", err)
	}
	defer logf.Close()
	inner := l.Command(context.Background(), i, l.DaemonArgs(i)...)
	cmd := exec.Command(wrap[0], append(append(wrap[1:], inner.Path), inner.Args[1:]...)...)
	cmd.Dir = "/"
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("lab: start the daemon of %s: %w", l.Name(i), err)
	}
	d := &Daemon{Node: l.Name(i), Cmd: cmd, Exited: make(chan struct{})}
	go func() {
		cmd.Wait()
		close(d.Exited)
	}()
	return d, nil
}

// DaemonPid returns the pid of host i's ward daemon: the process whose
// command line is the daemon's in the host's namespace (a wrapper such
// as unshare forks it).
func (c *FaultCluster) DaemonPid(i int) (int, error) {
	pids, err := Pids(c.L.NS(i))
	if err != nil {
		return 0, err
	}
	for _, p := range pids {
		b, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(p), "cmdline"))
		if err != nil {
			continue
		}
		args := strings.Split(string(b), "\x00")
		if len(args) > 2 && args[0] == c.L.cfg.Exe && args[1] == "daemon" {
			return p, nil
		}
	}
	return 0, fmt.Errorf("lab: no ward daemon runs on %s", c.L.Name(i))
}

// SignalDaemon sends sig to host i's daemon and, for SIGKILL and
// SIGTERM, waits until it has exited.
func (c *FaultCluster) SignalDaemon(ctx context.Context, i int, sig syscall.Signal) error {
	pid, err := c.DaemonPid(i)
	if err != nil {
		return err
	}
	if err := syscall.Kill(pid, sig); err != nil {
		return fmt.Errorf("lab: signal the daemon of %s: %w", c.L.Name(i), err)
	}
	if sig != syscall.SIGKILL && sig != syscall.SIGTERM {
		return nil
	}
	return retry(ctx, 30*time.Second, "the daemon of "+c.L.Name(i)+" to exit", func() error {
		if _, err := c.DaemonPid(i); err == nil {
			return errors.New("still running")
		}
		return nil
	})
}

// PostmasterPid returns the pid in host i's postmaster.pid.
func (c *FaultCluster) PostmasterPid(i int) (int, error) {
	b, err := os.ReadFile(filepath.Join(c.L.HostDir(i), "pgdata", "postmaster.pid"))
	if err != nil {
		return 0, fmt.Errorf("lab: PostgreSQL of %s: %w", c.L.Name(i), err)
	}
	line, _, _ := strings.Cut(string(b), "\n")
	pid, err := strconv.Atoi(strings.TrimSpace(line))
	if err != nil {
		return 0, fmt.Errorf("lab: postmaster.pid of %s: %w", c.L.Name(i), err)
	}
	return pid, nil
}

// Boot powers host i on as a real reboot would find it: volatile state
// gone (the built-in agents' state files, which a real host keeps in
// /run, and the VIP on its interface), then port up and daemon started.
func (c *FaultCluster) Boot(ctx context.Context, i int, wrap []string) error {
	if err := c.powerOn(ctx, i); err != nil {
		return err
	}
	return c.StartDaemon(ctx, i, wrap)
}

// powerOn is Boot up to the daemon's start: it checks that host i runs
// nothing, forgets the agents' state, drops the VIP and heals the
// host's link.
func (c *FaultCluster) powerOn(ctx context.Context, i int) error {
	if pids, _ := Pids(c.L.NS(i)); len(pids) > 0 {
		return fmt.Errorf("lab: boot %s: it still runs %v", c.L.Name(i), pids)
	}
	m, _ := filepath.Glob(filepath.Join(c.L.AgentDir(i), "*.state"))
	for _, p := range m {
		os.Remove(p)
	}
	if err := c.L.DelAddr(ctx, i, c.L.VIP()); err != nil {
		return err
	}
	return c.L.Heal(ctx, i)
}

// Client returns an API client of host i's daemon.
func (c *FaultCluster) Client(i int) *api.Client { return api.NewClient(c.L.Socket(i)) }

// Status reads host i's status now.
func (c *FaultCluster) Status(ctx context.Context, i int) (api.ClusterStatus, error) {
	cl := c.Client(i)
	defer cl.CloseIdleConnections()
	qctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	return cl.Status(qctx)
}

// Running reports whether host i runs any process (it is not powered
// off).
func (c *FaultCluster) Running(i int) bool {
	pids, err := Pids(c.L.NS(i))
	return err == nil && len(pids) > 0
}

// Primary waits until exactly one host answers as primary, with the VIP
// on it alone, and returns it.
func (c *FaultCluster) Primary(ctx context.Context, limit time.Duration) (int, error) {
	var p int
	err := retry(ctx, limit, "exactly one primary holding the VIP", func() error {
		ps := c.L.Primaries(ctx)
		if len(ps) != 1 {
			return fmt.Errorf("primaries %v", ps)
		}
		for i := 1; i <= c.L.cfg.Nodes; i++ {
			if has := c.L.HasAddr(i, c.L.VIP()) && c.Running(i); has != (i == ps[0]) {
				return fmt.Errorf("primary %s, VIP on %s: %t", c.L.Name(ps[0]), c.L.Name(i), has)
			}
		}
		p = ps[0]
		return nil
	})
	return p, err
}

// Standby returns a running host other than p.
func (c *FaultCluster) Standby(p int) int {
	for i := 1; i <= c.L.cfg.Nodes; i++ {
		if i != p && c.Running(i) {
			return i
		}
	}
	return 0
}
