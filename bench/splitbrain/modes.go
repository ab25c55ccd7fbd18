package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/ward-ha/ward/fencing"
	"github.com/ward-ha/ward/internal/lab"
)

// This file holds what the witness and watchdog modes add to the fence
// mode: a ward witness in the lab's client namespace (reachable from
// both hosts when only the link between them is cut), the daemons'
// --witness and --watchdog-device flags, and the lab's simulated
// watchdog: a supervisor per host, run by this process outside the
// host, that powers the host off when its daemon stops feeding the
// watchdog file for watchdog_timeout/2.

// Modes.
const (
	modeFence    = "fence"
	modeWitness  = "witness"
	modeWatchdog = "watchdog"
)

// cutPeer drops only the frames between the two hosts, at the switch:
// each still reaches the witness (and the client). It is this
// campaign's default cut in the witness and watchdog modes.
const cutPeer = "peer"

// cutMixed cycles over runs: the link between the hosts (peer) with
// n1 then n2 as the victim, then n1 then n2 isolated from everything,
// witness included (drop), so that the side without the DC also gets
// the witness's vote and takes the resources over. It is the default of
// the witness and watchdog modes.
const cutMixed = "mixed"

// cutFor returns the cut of run r (from 1).
func (c *campaign) cutFor(r int) string {
	if c.cut != cutMixed {
		return c.cut
	}
	if (r-1)/2%2 == 0 {
		return cutPeer
	}
	return lab.CutDrop
}

// witnessPort is the witness's TCP port in the client namespace.
const witnessPort = 7947

// nftTable is internal/lab's switch table (family bridge).
const nftTable = "wardlab"

// watchdogTimeout is cluster.watchdog_timeout in watchdog mode: at
// least twice the lan profile's failure detection (about 1 s), plus
// room for a loaded machine.
const watchdogTimeout = 6 * time.Second

// witnessAddr is the witness's address.
func (c *campaign) witnessAddr() string {
	return fmt.Sprintf("%s:%d", c.l.ClientAddr(), witnessPort)
}

// startWitness runs `ward witness` in the client namespace.
func (c *campaign) startWitness() error {
	logf, err := os.OpenFile(filepath.Join(c.l.Config().Dir, "witness.log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	defer logf.Close()
	cmd := c.l.ClientCommand(context.Background(), c.l.Config().Exe, "witness", "--listen", c.witnessAddr(),
		"--cluster", "wardsb", "--key", c.l.KeyFile(), "--lease", "3s")
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start the witness: %w", err)
	}
	c.witness = cmd
	c.witnessDone = make(chan struct{})
	go func() {
		cmd.Wait()
		close(c.witnessDone)
	}()
	return nil
}

// stopWitness ends the witness.
func (c *campaign) stopWitness() {
	if c.witness == nil || c.witness.Process == nil {
		return
	}
	_ = c.witness.Process.Kill()
	select {
	case <-c.witnessDone:
	case <-time.After(5 * time.Second):
	}
}

// watchdogFile is host i's simulated watchdog.
func (c *campaign) watchdogFile(i int) string {
	return filepath.Join(c.l.HostDir(i), "watchdog")
}

// daemonArgs returns host i's `ward daemon` argv for the mode.
func (c *campaign) daemonArgs(i int) []string {
	args := c.l.DaemonArgs(i)
	if c.mode == modeWitness || c.mode == modeWatchdog {
		args = append(args, "--witness", c.witnessAddr())
	}
	if c.mode == modeWatchdog {
		args = append(args, "--watchdog-device", "file:"+c.watchdogFile(i))
	}
	return args
}

// startDaemon starts host i's daemon with the mode's flags, as
// lab.StartDaemon does, and in watchdog mode its watchdog supervisor.
func (c *campaign) startDaemon(i int) (*lab.Daemon, error) {
	l := c.l
	if c.mode == modeWatchdog {
		c.stopSupervisor(i)
		os.Remove(c.watchdogFile(i)) // the last boot's: not armed until the daemon feeds it
	}
	logf, err := os.OpenFile(l.DaemonLog(i), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, err
	}
	defer logf.Close()
	cmd := l.Command(context.Background(), i, c.daemonArgs(i)...)
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start the daemon of %s: %w", l.Name(i), err)
	}
	d := &lab.Daemon{Node: l.Name(i), Cmd: cmd, Exited: make(chan struct{})}
	go func() {
		cmd.Wait()
		close(d.Exited)
	}()
	if err := os.WriteFile(filepath.Join(l.HostDir(i), "daemon.pid"), []byte(strconv.Itoa(cmd.Process.Pid)+"\n"), 0o644); err != nil {
		return d, err
	}
	if c.mode == modeWatchdog {
		c.startSupervisor(i)
	}
	return d, nil
}

// startSupervisor runs host i's simulated watchdog: it powers the host
// off once the daemon has not fed the file for watchdog_timeout/2.
func (c *campaign) startSupervisor(i int) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	c.supervisors[i] = supervisor{cancel: cancel, done: done}
	go func() {
		defer close(done)
		err := fencing.SuperviseFile(ctx, c.watchdogFile(i), watchdogTimeout/2, nil, func() error {
			c.resets.Add(1)
			c.log.Warn("watchdog not fed: resetting the host", "host", c.l.Name(i))
			pctx, pcancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer pcancel()
			return c.l.PowerOff(pctx, i)
		})
		if err != nil && ctx.Err() == nil && !errors.Is(err, fencing.ErrWatchdogDisarmed) {
			c.log.Warn("watchdog supervisor", "host", c.l.Name(i), "err", err)
		}
	}()
}

// stopSupervisor ends host i's supervisor (before a planned power-off
// or a new boot).
func (c *campaign) stopSupervisor(i int) {
	s, ok := c.supervisors[i]
	if !ok {
		return
	}
	s.cancel()
	<-s.done
	delete(c.supervisors, i)
}

// supervisor is one host's simulated watchdog.
type supervisor struct {
	cancel context.CancelFunc
	done   chan struct{}
}

// cutLink cuts the link of host i in mode cut: cutPeer drops
// the frames between the two hosts only (tagged as host i's, so
// lab.Heal(i) removes them); any other mode is lab.Cut's.
func (c *campaign) cutLink(ctx context.Context, i int, cut string) error {
	if cut != cutPeer {
		return c.l.Cut(ctx, i, cut)
	}
	other := 3 - i
	a, b := c.l.Name(i), c.l.Name(other)
	tag := c.l.NS(i)
	script := fmt.Sprintf("add rule bridge %s fw iifname %q oifname %q drop comment %q\nadd rule bridge %s fw iifname %q oifname %q drop comment %q\n",
		nftTable, a, b, tag, nftTable, b, a, tag)
	cmd := exec.CommandContext(ctx, "ip", "netns", "exec", c.l.SwitchNS(), "nft", "-f", "-")
	cmd.Stdin = strings.NewReader(script)
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("cut %s from %s: nft: %w: %s", a, b, err, strings.TrimSpace(string(out)))
	}
	return nil
}

// modePolicy returns the cluster section and the fencing devices of the
// mode (the resources are the same in every mode).
func (c *campaign) modePolicy() (cluster, devices string) {
	l := c.l
	switch c.mode {
	case modeWitness:
		// Two nodes and the witness's vote (3 in all), no fencing: the
		// side without the witness's vote stops on its own.
		return `stonith_enabled = false
no_quorum_policy = "stop"
`, ""
	case modeWatchdog:
		// The witness for quorum, the watchdog for fencing: the side
		// without quorum stops within watchdog_timeout/2 or is reset,
		// and the other counts it fenced after watchdog_timeout.
		return fmt.Sprintf(`stonith_enabled = true
no_quorum_policy = "stop"
watchdog_timeout = %q
`, watchdogTimeout.String()), fmt.Sprintf("\n[[fencing.device]]\nid = \"watchdog\"\nplugin = \"watchdog\"\nnodes = [%q, %q]\n", l.Name(1), l.Name(2))
	}
	var b strings.Builder
	for i := 1; i <= 2; i++ {
		fmt.Fprintf(&b, "\n[[fencing.device]]\nid = \"power-%s\"\nplugin = \"lab\"\nparams = { prefix = %q }\nnodes = [%q]\naction = \"off\"\ntimeout = \"20s\"\nretries = 1\n",
			l.Name(i), l.Config().Prefix, l.Name(i))
		if i == 1 {
			// Longer than the detection asymmetry: right after a
			// rejoin one side may declare the other lost up to ~2 s
			// before the other does (2 s lost 1 race in 13).
			fmt.Fprintf(&b, "delay = %q\n", c.delay)
		}
	}
	return `stonith_enabled = true
no_quorum_policy = "stop"
two_node = true
wait_for_all = true
`, b.String()
}
