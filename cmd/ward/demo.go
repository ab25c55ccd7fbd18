package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/ward-ha/ward/api"
	"github.com/ward-ha/ward/policy"
)

// demoPoll is how often the demo asks the daemons for their status.
const demoPoll = 25 * time.Millisecond

func newDemoCmd() *cobra.Command {
	var format string
	var opts demoOptions
	c := &cobra.Command{
		Use:   "demo",
		Short: "Run a three-node cluster on this machine, kill a node, and watch ward fence it and recover",
		Long: `demo needs no root and no set-up. It starts three ward daemons on
127.0.0.1 (free ports, a generated gossip key, state in a temporary folder),
with one resource ("web", a file per node it runs on) and a fencing device
that "powers off" a node by killing its daemon. Once the cluster is up it
shows ward status, kills -9 the node running web, and reports when the
others noticed (detection), fenced it, and started web elsewhere (recovery),
checking on disk that web ends up active on exactly one node.

Every process and file the demo made is removed at the end, on failure and
on Ctrl-C; --keep keeps the folder (policy, logs, state) for a look.

-o json prints one JSON object at the end: ok, resource, from, to,
detect_ms, fenced_ms, recover_ms, active_nodes, startup_ms (and error).

Exit status: 0 when the resource was recovered correctly, 1 otherwise.`,
		Example: `  ward demo
  ward demo -o json | jq .recover_ms`,
		Args: argsUsage(cobra.NoArgs),
		RunE: func(c *cobra.Command, _ []string) error {
			if err := checkTextJSON(c, format); err != nil {
				return err
			}
			exe, err := os.Executable()
			if err != nil {
				return &exitError{code: 1, msg: fmt.Sprintf("demo: find the ward binary: %v", err)}
			}
			ctx, stop := signalContext(c.Context())
			defer stop()
			opts.exe = exe
			opts.json = format == "json"
			out := c.OutOrStdout()
			opts.color = !opts.json && useColor(out)
			res, err := runDemo(ctx, out, c.ErrOrStderr(), opts)
			if opts.json {
				if err != nil {
					res.Error = err.Error()
				}
				enc := json.NewEncoder(out)
				if e := enc.Encode(res); e != nil {
					return e
				}
				if err != nil {
					return &exitError{code: 1}
				}
				return nil
			}
			if err != nil {
				return &exitError{code: 1, msg: err.Error()}
			}
			return nil
		},
	}
	c.Flags().StringVarP(&format, "output", "o", "text", "output format: text or json")
	c.Flags().BoolVar(&opts.keep, "keep", false, "keep the demo's folder (policy, logs, state) at the end")
	c.Flags().DurationVar(&opts.startTimeout, "start-timeout", 60*time.Second, "how long the cluster may take to form")
	c.Flags().DurationVar(&opts.recoverTimeout, "recover-timeout", 30*time.Second, "how long recovery may take after the kill")
	c.AddCommand(newDemoFenceCmd())
	return c
}

// demoOptions are the demo's settings.
type demoOptions struct {
	exe                          string
	json, color, keep            bool
	startTimeout, recoverTimeout time.Duration
}

// demoResult is what `ward demo -o json` prints.
type demoResult struct {
	OK       bool   `json:"ok"`
	Resource string `json:"resource"`
	From     string `json:"from"`
	To       string `json:"to"`
	// DetectMS, FencedMS and RecoverMS count from the kill to the first
	// status (polled every 25 ms) showing the node lost, its fencing,
	// and the resource started on another node.
	DetectMS  int64 `json:"detect_ms"`
	FencedMS  int64 `json:"fenced_ms"`
	RecoverMS int64 `json:"recover_ms"`
	// ActiveNodes are the nodes where the resource is active at the end,
	// read from disk.
	ActiveNodes []string `json:"active_nodes"`
	StartupMS   int64    `json:"startup_ms"`
	Dir         string   `json:"dir,omitempty"`
	Error       string   `json:"error,omitempty"`
}

// runDemo runs the whole demo and always cleans up before returning.
func runDemo(ctx context.Context, out, errw io.Writer, o demoOptions) (res demoResult, err error) {
	res = demoResult{Resource: demoResource, ActiveNodes: []string{}}
	say := func(format string, args ...any) {
		if !o.json {
			fmt.Fprintf(out, format, args...)
		}
	}
	c, err := newDemoCluster(o.exe, 3)
	if err != nil {
		return res, err
	}
	defer func() {
		switch {
		case err != nil && ctx.Err() != nil:
			err = errors.New("demo: interrupted; every process the demo started is stopped")
		case err != nil:
			c.printLogTails(errw)
		}
		if cerr := c.cleanup(o.keep); cerr != nil && err == nil {
			err = cerr
		}
		if o.keep {
			res.Dir = c.dir
			say("The demo's folder (policy, logs, state) is kept: %s\n", c.dir)
		}
	}()
	if err := c.writeFiles(); err != nil {
		return res, err
	}
	src, err := os.ReadFile(c.policyFile())
	if err != nil {
		return res, fmt.Errorf("demo: %w", err)
	}
	if _, err := policy.Parse(c.policyFile(), src); err != nil {
		return res, fmt.Errorf("demo: the generated policy is invalid (a bug in ward demo): %w", err)
	}
	say("Starting a three-node ward cluster on 127.0.0.1 in %s\n", c.dir)
	began := time.Now()
	if err := c.start(); err != nil {
		return res, err
	}
	for _, n := range c.nodes {
		say("  %s  127.0.0.1:%d  pid %d  log %s\n", n.name, n.port, n.cmd.Process.Pid, n.log)
	}
	say("Waiting for the nodes to join, elect a DC and start %s...\n", demoResource)
	wctx, cancel := context.WithTimeout(ctx, o.startTimeout)
	ready, err := c.waitReady(wctx)
	cancel()
	if err != nil {
		return res, err
	}
	res.StartupMS = time.Since(began).Milliseconds()
	say("Cluster ready in %.1fs.\n\n", time.Since(began).Seconds())
	if !o.json {
		renderStatus(out, ready.status, o.color)
	}

	victim := c.node(ready.on)
	res.From = victim.name
	fencedBefore := fencingCount(ready.status, victim.name)
	say("\nKilling %s (pid %d) with SIGKILL: it runs %s.\n", victim.name, victim.cmd.Process.Pid, demoResource)
	if err := syscall.Kill(-victim.cmd.Process.Pid, syscall.SIGKILL); err != nil {
		return res, fmt.Errorf("demo: kill %s: %w", victim.name, err)
	}
	killed := time.Now()
	rctx, cancel := context.WithTimeout(ctx, o.recoverTimeout)
	defer cancel()
	final, err := c.watchRecovery(rctx, victim, killed, fencedBefore, &res, say)
	if err != nil {
		return res, err
	}
	if !o.json {
		fmt.Fprintln(out)
		renderStatus(out, final, o.color)
	}
	active, err := c.activeOn(demoResource)
	if err != nil {
		return res, err
	}
	res.ActiveNodes = active
	if len(active) != 1 || active[0] != res.To {
		return res, fmt.Errorf("demo: %s is active on %v at the end, want exactly [%s]", demoResource, active, res.To)
	}
	res.OK = true
	say("\nDetection %d ms, fencing %d ms, recovery %d ms: %s moved from %s to %s and is active on %s only.\n",
		res.DetectMS, res.FencedMS, res.RecoverMS, demoResource, res.From, res.To, res.To)
	return res, nil
}

func (c *demoCluster) node(name string) *demoNode {
	for _, n := range c.nodes {
		if n.name == name {
			return n
		}
	}
	return nil
}

// readyState is the cluster once formed: the DC's status and where the
// resource runs.
type readyState struct {
	status api.ClusterStatus
	on     string
}

// waitReady polls every node until all are online and quorate in every
// node's view, they agree on a DC, and the resource runs on exactly one
// node, both per the DC and on disk.
func (c *demoCluster) waitReady(ctx context.Context) (readyState, error) {
	t := time.NewTicker(4 * demoPoll)
	defer t.Stop()
	why := "no node answered yet"
	for {
		for _, n := range c.nodes {
			if !n.alive() {
				return readyState{}, fmt.Errorf("demo: node %s exited during start-up (%s); its log is printed above", n.name, n.cmd.ProcessState)
			}
		}
		st, reason := c.readyOnce(ctx)
		if reason == "" {
			return st, nil
		}
		why = reason
		select {
		case <-ctx.Done():
			return readyState{}, fmt.Errorf("demo: the cluster did not form: %s: %w", why, ctx.Err())
		case <-t.C:
		}
	}
}

// readyOnce checks readiness once; it returns why it is not ready.
func (c *demoCluster) readyOnce(ctx context.Context) (readyState, string) {
	var dc string
	var dcStatus api.ClusterStatus
	for _, n := range c.nodes {
		st, err := statusOnce(ctx, n)
		if err != nil {
			return readyState{}, fmt.Sprintf("%s does not answer: %v", n.name, err)
		}
		if !st.Quorum.Quorate {
			return readyState{}, fmt.Sprintf("%s has no quorum (%d of %d votes)", n.name, st.Quorum.Votes, st.Quorum.Expected)
		}
		for _, m := range st.Nodes {
			if m.State != api.StateOnline {
				return readyState{}, fmt.Sprintf("%s sees %s %s", n.name, m.Name, m.State)
			}
		}
		if st.DC == "" || dc != "" && st.DC != dc {
			return readyState{}, fmt.Sprintf("no agreed DC yet (%s says %q)", n.name, st.DC)
		}
		dc = st.DC
		if st.Node == dc {
			dcStatus = st
		}
	}
	if dcStatus.Node == "" {
		return readyState{}, fmt.Sprintf("DC %q is not a demo node", dc)
	}
	on := startedOn(dcStatus, demoResource)
	if len(on) != 1 {
		return readyState{}, fmt.Sprintf("%s runs on %v per the DC", demoResource, on)
	}
	active, err := c.activeOn(demoResource)
	if err != nil {
		return readyState{}, err.Error()
	}
	if !slices.Equal(active, on) {
		return readyState{}, fmt.Sprintf("%s is active on %v on disk, %v per the DC", demoResource, active, on)
	}
	return readyState{status: dcStatus, on: on[0]}, ""
}

// statusOnce asks n for its status with a short timeout.
func statusOnce(ctx context.Context, n *demoNode) (api.ClusterStatus, error) {
	ctx, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	return n.client.Status(ctx)
}

// startedOn lists the nodes on which st shows res started or promoted.
func startedOn(st api.ClusterStatus, res string) []string {
	nodes := []string{}
	for _, r := range st.Resources {
		if r.ID == res && r.Node != "" && (r.Role == "Started" || r.Role == "Promoted") && !slices.Contains(nodes, r.Node) {
			nodes = append(nodes, r.Node)
		}
	}
	slices.Sort(nodes)
	return nodes
}

// fencingCount counts the successful fencings of node in st's history.
func fencingCount(st api.ClusterStatus, node string) int {
	n := 0
	for _, f := range st.Fencing {
		if f.Node == node && f.Result == "ok" {
			n++
		}
	}
	return n
}

// watchRecovery polls the surviving nodes from the kill until one shows
// the victim fenced and the resource started on another node, which must
// also be the only node where it is active on disk. It fails at once if
// the resource is ever active on two nodes.
func (c *demoCluster) watchRecovery(ctx context.Context, victim *demoNode, killed time.Time, fencedBefore int, res *demoResult, say func(string, ...any)) (api.ClusterStatus, error) {
	t := time.NewTicker(demoPoll)
	defer t.Stop()
	since := func() time.Duration { return time.Since(killed) }
	var last string
	for {
		active, err := c.activeOn(demoResource)
		if err != nil {
			return api.ClusterStatus{}, err
		}
		if len(active) > 1 {
			return api.ClusterStatus{}, fmt.Errorf("demo: SAFETY VIOLATION: %s is active on %v at once, %v after the kill", demoResource, active, since().Round(time.Millisecond))
		}
		for _, n := range c.nodes {
			if n == victim {
				continue
			}
			st, err := statusOnce(ctx, n)
			if err != nil {
				last = fmt.Sprintf("%s does not answer: %v", n.name, err)
				continue
			}
			if res.DetectMS == 0 {
				for _, m := range st.Nodes {
					if m.Name == victim.name && m.State != api.StateOnline {
						res.DetectMS = max(since().Milliseconds(), 1)
						say("  +%5.3fs  %s sees %s %s\n", since().Seconds(), n.name, victim.name, m.State)
					}
				}
			}
			if res.FencedMS == 0 && fencingCount(st, victim.name) > fencedBefore {
				res.FencedMS = max(since().Milliseconds(), 1)
				say("  +%5.3fs  %s fenced (%s)\n", since().Seconds(), victim.name, fenceText(st, victim.name))
			}
			on := startedOn(st, demoResource)
			if len(on) > 1 {
				return api.ClusterStatus{}, fmt.Errorf("demo: SAFETY VIOLATION: %s reports %s started on %v", n.name, demoResource, on)
			}
			if len(on) == 1 && on[0] != victim.name && slices.Equal(active, on) {
				if res.FencedMS == 0 {
					return api.ClusterStatus{}, fmt.Errorf("demo: SAFETY VIOLATION: %s started on %s before %s was seen fenced", demoResource, on[0], victim.name)
				}
				res.RecoverMS = max(since().Milliseconds(), 1)
				res.To = on[0]
				say("  +%5.3fs  %s started on %s\n", since().Seconds(), demoResource, on[0])
				return st, nil
			}
			last = fmt.Sprintf("%s: %s started on %v (on disk: %v), %s seen %s", n.name, demoResource, on, active, victim.name, nodeStateIn(st, victim.name))
		}
		select {
		case <-ctx.Done():
			return api.ClusterStatus{}, fmt.Errorf("demo: %s was not recovered after the kill of %s: last seen: %s: %w", demoResource, victim.name, last, ctx.Err())
		case <-t.C:
		}
	}
}

func nodeStateIn(st api.ClusterStatus, node string) string {
	for _, m := range st.Nodes {
		if m.Name == node {
			return m.State
		}
	}
	return "nowhere"
}

// fenceText describes the latest fencing of node in st.
func fenceText(st api.ClusterStatus, node string) string {
	for i := len(st.Fencing) - 1; i >= 0; i-- {
		f := st.Fencing[i]
		if f.Node == node {
			s := "by " + f.Device
			if f.Device == "" {
				s = "device unknown"
			}
			if f.RequestedBy != "" {
				s += ", requested by " + f.RequestedBy
			}
			return s
		}
	}
	return "no record"
}

// printLogTails prints the end of every node's log, for failures.
func (c *demoCluster) printLogTails(w io.Writer) {
	for _, n := range c.nodes {
		data, err := os.ReadFile(n.log)
		if err != nil || len(data) == 0 {
			continue
		}
		lines := strings.Split(strings.TrimRight(string(data), "\n"), "\n")
		if len(lines) > 15 {
			lines = lines[len(lines)-15:]
		}
		fmt.Fprintf(w, "--- last lines of %s's log (%s):\n%s\n", n.name, n.log, strings.Join(lines, "\n"))
	}
}
