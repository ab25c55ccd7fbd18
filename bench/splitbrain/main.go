// Command splitbrain is ward's split-brain campaign: a two-node pair
// running a promotable resource and a VIP, the link between them cut,
// the outcome observed, then healed; repeated. It needs root: it builds
// its own lab (network namespaces prefixed wardsb-, addresses
// 10.217.0.0/24 used only inside them) with internal/lab and runs the
// ward binary given by --ward on each host.
//
// It prints one line per run and, last, one JSON object with runs,
// single_survivor, both_alive_with_resources and none_with_resources; it
// exits 0 only if every run had a single survivor.
//
//	go build -o /tmp/ward ./cmd/ward && go run ./bench/splitbrain --ward /tmp/ward --runs 10 --mode fence
//
// Modes:
//   - fence: two_node, power fencing through the lab plugin, a delay on
//     n1's device (n1 wins a race); the cut isolates one host (drop).
//   - witness: two nodes and `ward witness` in the lab's client
//     namespace (3 votes), no fencing; the cut drops only the frames
//     between the hosts (peer), so both still reach the witness, which
//     gives its vote to one side; the other loses quorum and stops.
//   - watchdog: the same witness for quorum, and the watchdog plugin for
//     fencing: each daemon feeds a file watchdog that a supervisor run by
//     this program (the lab's simulated watchdog) turns into a power-off
//     when not fed for watchdog_timeout/2; the quorate side counts the
//     other fenced after watchdog_timeout.
//
// In every mode a run that shows both hosts holding resources at any
// sample (every 100 ms) counts as both_alive_with_resources.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"time"

	"github.com/ward-ha/ward/api"
	"github.com/ward-ha/ward/internal/lab"
)

// summary is the last line.
type summary struct {
	Mode                   string  `json:"mode"`
	Runs                   int     `json:"runs"`
	SingleSurvivor         int     `json:"single_survivor"`
	BothAliveWithResources int     `json:"both_alive_with_resources"`
	NoneWithResources      int     `json:"none_with_resources"`
	MedianResolveMS        float64 `json:"median_resolve_ms"`
	MaxResolveMS           float64 `json:"max_resolve_ms"`
	// WatchdogResets counts hosts the simulated watchdog powered off.
	WatchdogResets int64 `json:"watchdog_resets,omitempty"`
}

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("splitbrain", flag.ContinueOnError)
	fs.SetOutput(stderr)
	runs := fs.Int("runs", 5, "number of cut/heal cycles")
	mode := fs.String("mode", "fence", "fence, witness or watchdog")
	ward := fs.String("ward", "", "the ward binary each lab host runs (required)")
	dir := fs.String("dir", "/run/wardsb", "the lab's state folder")
	cut := fs.String("cut", "", "how the link is cut: "+strings.Join(append(append([]string(nil), lab.CutModes...), cutPeer, cutMixed), ", ")+" (default: drop in fence mode, mixed otherwise)")
	settle := fs.Duration("settle", 30*time.Second, "how long a run may take to resolve")
	delay := fs.Duration("delay", 5*time.Second, "the fencing delay of n1's device (n1 wins a race)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *ward == "" || *runs < 1 {
		fmt.Fprintln(stderr, "splitbrain: --ward PATH is required and --runs must be 1 or more")
		return 2
	}
	switch *mode {
	case modeFence, modeWitness, modeWatchdog:
	default:
		fmt.Fprintf(stderr, "splitbrain: --mode %q: want fence, witness or watchdog\n", *mode)
		return 2
	}
	if *cut == "" {
		*cut = cutMixed
		if *mode == modeFence {
			*cut = lab.CutDrop
		}
	}
	exe, err := filepath.Abs(*ward)
	if err != nil {
		fmt.Fprintln(stderr, "splitbrain:", err)
		return 1
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	c := &campaign{out: stdout, log: log, cut: *cut, settle: *settle, delay: *delay, mode: *mode, supervisors: map[int]supervisor{}}
	if err := lab.CheckRoot(); err != nil {
		fmt.Fprintln(stderr, "splitbrain:", err)
		return 1
	}
	c.l, err = lab.New(lab.Config{Dir: *dir, Prefix: "wardsb-", Subnet: "10.217.0", Nodes: 2, Exe: exe}, log)
	if err != nil {
		fmt.Fprintln(stderr, "splitbrain:", err)
		return 1
	}
	ctx := context.Background()
	defer func() {
		for i := range c.supervisors {
			c.stopSupervisor(i)
		}
		c.stopWitness()
		c.stopDaemons()
		if err := c.l.Down(context.Background(), true); err != nil {
			fmt.Fprintln(stderr, "splitbrain: lab down:", err)
		}
	}()
	s, err := c.run(ctx, *runs)
	s.Mode = *mode
	s.WatchdogResets = c.resets.Load()
	if err != nil {
		fmt.Fprintln(stderr, "splitbrain:", err)
		c.dumpLogs(stderr)
	}
	b, _ := json.Marshal(s)
	fmt.Fprintln(stdout, string(b))
	if err != nil || s.SingleSurvivor != s.Runs {
		return 1
	}
	return 0
}

// campaign is one lab and its daemons.
type campaign struct {
	l       *lab.Lab
	out     io.Writer
	log     *slog.Logger
	cut     string
	delay   time.Duration
	settle  time.Duration
	daemons map[int]*lab.Daemon
	mode    string

	witness     *exec.Cmd
	witnessDone chan struct{}
	supervisors map[int]supervisor
	resets      atomic.Int64
}

// policy is the pair's policy: a promotable stateful resource and a VIP
// colocated with its primary, lab power fencing with a 2 s delay on n1's
// device (n1 wins a race).
func (c *campaign) policy() string {
	l := c.l
	var b strings.Builder
	cluster, devices := c.modePolicy()
	fmt.Fprintf(&b, `[cluster]
name = "wardsb"
%stiming = "lan"

[cluster.resource_defaults]
stickiness = 100

[[node]]
name = "n1"
addresses = [%q]

[[node]]
name = "n2"
addresses = [%q]

[[primitive]]
id = "db"
agent = "stateful"

[[primitive.op]]
name = "monitor"
interval = "1s"
timeout = "5s"
role = "Promoted"

[[primitive.op]]
name = "monitor"
interval = "2s"
timeout = "5s"
role = "Unpromoted"

[[clone]]
id = "db-ha"
resource = "db"
promotable = true
promoted_max = 1

[[primitive]]
id = "vip"
agent = "vip"
params = { ip = %q, cidr_netmask = "24", nic = %q }

[[primitive.op]]
name = "monitor"
interval = "1s"
timeout = "5s"

[[colocation]]
id = "vip-with-primary"
resource = "vip"
with = "db-ha"
with_role = "Promoted"
score = "INFINITY"

[[order]]
id = "promote-then-vip"
first = "db-ha"
first_action = "promote"
then = "vip"
then_action = "start"
`, cluster, l.Addr(1), l.Addr(2), l.VIP(), lab.HostIf)
	b.WriteString(devices)
	return b.String()
}

func (c *campaign) run(ctx context.Context, runs int) (summary, error) {
	s := summary{}
	l := c.l
	if err := l.Down(ctx, true); err != nil { // a lab left by a crashed run
		return s, err
	}
	uctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	if err := l.Up(uctx); err != nil {
		return s, err
	}
	if err := l.WriteFiles(c.policy()); err != nil {
		return s, err
	}
	if c.mode != modeFence {
		if err := c.startWitness(); err != nil {
			return s, err
		}
	}
	c.daemons = map[int]*lab.Daemon{}
	for i := 1; i <= 2; i++ {
		if err := c.boot(uctx, i, false); err != nil {
			return s, err
		}
	}
	if _, err := c.converge(ctx, 90*time.Second); err != nil {
		return s, fmt.Errorf("the pair never converged at start: %w", err)
	}
	var resolve []time.Duration
	for r := 1; r <= runs; r++ {
		victim := 1 + (r+1)%2 // alternate the host whose cable is cut
		cut := c.cutFor(r)
		if err := c.cutLink(ctx, victim, cut); err != nil {
			return s, err
		}
		o, took, sawBoth := c.observe(ctx)
		s.Runs++
		switch {
		case sawBoth:
			s.BothAliveWithResources++
			fmt.Fprintf(c.out, "run %d: BOTH HOSTS HELD RESOURCES at one sample\n", r)
		case o.single():
			s.SingleSurvivor++
		case o.both():
			s.BothAliveWithResources++
		case o.none():
			s.NoneWithResources++
		}
		resolve = append(resolve, took)
		fmt.Fprintf(c.out, "run %d: cut %s (%s): %s; resolved in %v\n", r, l.Name(victim), cut, o, took.Round(time.Millisecond))
		// Heal: the cable back, the fenced host booted (a reboot empties
		// its agents' state), the pair converged again.
		if err := l.Heal(ctx, victim); err != nil {
			return s, err
		}
		for i := 1; i <= 2; i++ {
			if !o.alive[i] {
				// A host whose power-off was cut short (its fencer was
				// itself fenced mid-way) may be frozen: finish it.
				c.stopSupervisor(i)
				if err := l.PowerOff(ctx, i); err != nil {
					return s, err
				}
				if err := c.boot(ctx, i, true); err != nil {
					return s, err
				}
			}
		}
		if _, err := c.converge(ctx, 90*time.Second); err != nil {
			return s, fmt.Errorf("run %d: the pair did not converge after the heal: %w", r, err)
		}
	}
	s.MedianResolveMS, s.MaxResolveMS = stats(resolve)
	return s, nil
}

// boot starts host i's daemon; after a power-off (reboot) it first
// empties the host's agent state, as a reboot empties /run.
func (c *campaign) boot(ctx context.Context, i int, reboot bool) error {
	l := c.l
	if reboot {
		if err := os.RemoveAll(filepath.Join(l.HostDir(i), "agents")); err != nil {
			return err
		}
		if err := l.Heal(ctx, i); err != nil {
			return err
		}
		os.Remove(l.Socket(i)) // left by the killed daemon
	}
	d, err := c.startDaemon(i)
	if err != nil {
		return err
	}
	c.daemons[i] = d
	wctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	return l.WaitSocket(wctx, i, c.daemons[i])
}

func (c *campaign) stopDaemons() {
	for _, d := range c.daemons {
		if d != nil && d.Cmd.Process != nil {
			_ = d.Cmd.Process.Kill()
		}
	}
	for _, d := range c.daemons {
		if d != nil {
			select {
			case <-d.Exited:
			case <-time.After(5 * time.Second):
			}
		}
	}
}

// outcome is what each host runs once a run resolved.
type outcome struct {
	alive, vip, promoted map[int]bool
}

func (o outcome) holds(i int) bool { return o.alive[i] && (o.vip[i] || o.promoted[i]) }

// single: one host runs db promoted and the VIP, the other holds
// neither (it is off, or up and running nothing).
func (o outcome) single() bool {
	for _, p := range [][2]int{{1, 2}, {2, 1}} {
		a, b := p[0], p[1]
		if o.alive[a] && o.vip[a] && o.promoted[a] && !o.holds(b) {
			return true
		}
	}
	return false
}
func (o outcome) both() bool { return o.holds(1) && o.holds(2) }
func (o outcome) none() bool { return !o.holds(1) && !o.holds(2) }

func (o outcome) String() string {
	var parts []string
	for i := 1; i <= 2; i++ {
		switch {
		case !o.alive[i]:
			parts = append(parts, fmt.Sprintf("n%d off", i))
		case o.holds(i):
			var what []string
			if o.promoted[i] {
				what = append(what, "db promoted")
			}
			if o.vip[i] {
				what = append(what, "vip")
			}
			parts = append(parts, fmt.Sprintf("n%d runs %s", i, strings.Join(what, "+")))
		default:
			parts = append(parts, fmt.Sprintf("n%d up, runs nothing", i))
		}
	}
	verdict := "SINGLE SURVIVOR"
	switch {
	case o.both():
		verdict = "BOTH ALIVE WITH RESOURCES"
	case o.none():
		verdict = "NONE WITH RESOURCES"
	case !o.single():
		verdict = "UNRESOLVED"
	}
	return verdict + ": " + strings.Join(parts, ", ")
}

// look reads what each host runs, from the hosts themselves: processes
// in its namespace, the VIP on its interface, a promoted state file.
func (c *campaign) look(ctx context.Context) (outcome, error) {
	o := outcome{alive: map[int]bool{}, vip: map[int]bool{}, promoted: map[int]bool{}}
	st, err := c.l.Status(ctx)
	if err != nil {
		return o, err
	}
	for i, h := range st {
		n := i + 1
		o.alive[n] = h.Exists && len(h.Pids) > 0 && !h.Frozen
		for _, a := range h.Addrs {
			if strings.HasPrefix(a, c.l.VIP()+"/") {
				o.vip[n] = true
			}
		}
		entries, _ := os.ReadDir(filepath.Join(c.l.HostDir(n), "agents"))
		for _, e := range entries {
			if b, err := os.ReadFile(filepath.Join(c.l.HostDir(n), "agents", e.Name())); err == nil && strings.TrimSpace(string(b)) == "promoted" {
				o.promoted[n] = true
			}
		}
	}
	return o, nil
}

// observe waits until the run resolves or the settle time ends, and
// returns the outcome then, and whether both hosts held resources at
// any sample. Fence mode resolves once one host is off and the other
// runs db promoted and the VIP; the witness and watchdog modes once one
// host runs both, quorate, and the other (up, or reset by its watchdog)
// has no quorum and runs nothing.
func (c *campaign) observe(ctx context.Context) (outcome, time.Duration, bool) {
	start := time.Now()
	var o outcome
	sawBoth := false
	var settled time.Time // since when the witness/watchdog outcome holds
	for time.Since(start) < c.settle {
		var err error
		if o, err = c.look(ctx); err != nil {
			c.log.Warn("look", "err", err)
		}
		sawBoth = sawBoth || o.both()
		if o.single() {
			if c.mode == modeFence && (!o.alive[1] || !o.alive[2]) {
				return o, time.Since(start), sawBoth
			}
			if c.mode != modeFence && c.quorumSplit(ctx, o) {
				// A node's quorum may lag its view by a few tens of
				// milliseconds (the witness client re-checks its grant
				// every 100 ms): the outcome counts once it has held
				// for settleHold.
				if settled.IsZero() {
					settled = time.Now()
				}
				if time.Since(settled) >= settleHold {
					return o, settled.Sub(start), sawBoth
				}
			} else {
				settled = time.Time{}
			}
		} else {
			settled = time.Time{}
		}
		time.Sleep(100 * time.Millisecond)
	}
	return o, time.Since(start), sawBoth
}

// settleHold is how long the witness and watchdog modes' outcome must
// hold before a run counts as resolved.
const settleHold = 2 * time.Second

// quorumSplit reports whether exactly one host is quorate, without its
// peer: the one that runs the resources in o (a host that is off counts
// as not quorate, a host that still sees its peer online as unsettled).
func (c *campaign) quorumSplit(ctx context.Context, o outcome) bool {
	quorate := map[int]bool{}
	for i := 1; i <= 2; i++ {
		if !o.alive[i] {
			continue
		}
		qctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		cl := api.NewClient(c.l.Socket(i))
		st, err := cl.Status(qctx)
		cl.CloseIdleConnections()
		cancel()
		if err != nil {
			return false
		}
		quorate[i] = st.Quorum.Quorate
		for _, n := range st.Nodes {
			if n.Name != c.l.Name(i) && n.State == api.StateOnline {
				// Not settled: this host has not noticed the cut yet.
				quorate[i] = false
			}
		}
	}
	for _, p := range [][2]int{{1, 2}, {2, 1}} {
		if quorate[p[0]] && !quorate[p[1]] && o.holds(p[0]) && !o.holds(p[1]) {
			return true
		}
	}
	return false
}

// converge waits until both daemons are up, see each other, and the
// resources run on one node: db promoted and the VIP together.
func (c *campaign) converge(ctx context.Context, limit time.Duration) (time.Duration, error) {
	start := time.Now()
	var last error
	for time.Since(start) < limit {
		if err := c.converged(ctx); err == nil {
			return time.Since(start), nil
		} else {
			last = err
		}
		time.Sleep(200 * time.Millisecond)
	}
	return time.Since(start), last
}

func (c *campaign) converged(ctx context.Context) error {
	for i := 1; i <= 2; i++ {
		qctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		cl := api.NewClient(c.l.Socket(i))
		st, err := cl.Status(qctx)
		cl.CloseIdleConnections()
		cancel()
		if err != nil {
			return err
		}
		online := 0
		for _, n := range st.Nodes {
			if n.State == api.StateOnline {
				online++
			}
		}
		if online != 2 || !st.Quorum.Quorate || st.DC == "" {
			return fmt.Errorf("%s: %d online, quorate %t, DC %q", c.l.Name(i), online, st.Quorum.Quorate, st.DC)
		}
	}
	o, err := c.look(ctx)
	if err != nil {
		return err
	}
	if !((o.vip[1] && o.promoted[1] && !o.vip[2] && !o.promoted[2]) || (o.vip[2] && o.promoted[2] && !o.vip[1] && !o.promoted[1])) {
		return errors.New("resources not yet in place: " + o.String())
	}
	return nil
}

func (c *campaign) dumpLogs(w io.Writer) {
	for i := 1; i <= 2; i++ {
		b, err := os.ReadFile(c.l.DaemonLog(i))
		if err != nil {
			continue
		}
		lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
		if len(lines) > 25 {
			lines = lines[len(lines)-25:]
		}
		fmt.Fprintf(w, "--- %s daemon log (tail)\n%s\n", c.l.Name(i), strings.Join(lines, "\n"))
	}
}

// stats returns the median and the maximum in milliseconds.
func stats(ds []time.Duration) (median, maxMS float64) {
	if len(ds) == 0 {
		return 0, 0
	}
	s := append([]time.Duration(nil), ds...)
	for i := range s {
		for j := i + 1; j < len(s); j++ {
			if s[j] < s[i] {
				s[i], s[j] = s[j], s[i]
			}
		}
	}
	return float64(s[len(s)/2].Milliseconds()), float64(s[len(s)-1].Milliseconds())
}
