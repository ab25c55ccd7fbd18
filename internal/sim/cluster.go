package sim

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"sync"
	"time"

	"github.com/ward-ha/ward/agents/registry"
	"github.com/ward-ha/ward/api"
	"github.com/ward-ha/ward/controller"
	"github.com/ward-ha/ward/fencing"
	"github.com/ward-ha/ward/heartbeat"
	"github.com/ward-ha/ward/heartbeat/heartbeattest"
	"github.com/ward-ha/ward/policy"
	"github.com/ward-ha/ward/resources"
)

// cluster is the in-process cluster of one simulation run: controllers
// over heartbeattest's in-memory network, each node with its own state
// directory, executor (built-in dummy and stateful agents behind a
// freeze gate) and fencer whose "lab" device powers the victim off.
type cluster struct {
	nw    *heartbeattest.Network
	dir   string
	src   string
	names []string
	log   io.Writer
	level slog.Level
	keys  heartbeat.Keyring
	obs   *observer

	// mu guards the following.
	mu         sync.Mutex
	nodes      map[string]*node
	fenceFails map[string]bool
	// lying makes the device answer success without powering the
	// node off: a broken fence, to show the invariants catch it.
	lying bool
}

type node struct {
	name     string
	addr     string
	stateDir string
	agentDir string
	gate     *gate

	ctrl   *controller.Controller
	cancel context.CancelFunc
	done   chan struct{} // closed once every component stopped
	exDone chan struct{} // closed once the executor stopped
	up     bool          // the daemon was started and not stopped
	off    bool          // powered off (fenced): the daemon winds down
}

func newCluster(dir, src string, obs *observer, logw io.Writer, level slog.Level) (*cluster, error) {
	cfg, err := policy.Parse("sim.toml", []byte(src))
	if err != nil {
		return nil, fmt.Errorf("sim: policy: %w", err)
	}
	c := &cluster{nw: heartbeattest.NewNetwork(), dir: dir, src: src, log: logw, level: level, obs: obs,
		keys:  heartbeat.Keyring{Primary: []byte("0123456789abcdef")},
		nodes: map[string]*node{}, fenceFails: map[string]bool{}}
	for _, n := range cfg.Nodes {
		c.nodes[n.Name] = &node{name: n.Name, addr: n.Addresses[0], gate: newGate(),
			stateDir: filepath.Join(dir, n.Name, "state"), agentDir: filepath.Join(dir, n.Name, "agents")}
		c.names = append(c.names, n.Name)
	}
	sort.Strings(c.names)
	return c, nil
}

// start boots node name (again): store, heartbeat, executor, fencer and
// controller, as `ward daemon` does.
func (c *cluster) start(name string) error {
	n := c.nodes[name]
	log := slog.New(slog.NewTextHandler(c.log, &slog.HandlerOptions{Level: c.level})).With("node", name)
	st, err := controller.OpenStore(n.stateDir, log)
	if err != nil {
		return fmt.Errorf("sim: start %s: %w", name, err)
	}
	if st.Policy().Epoch == 0 {
		if err := st.SavePolicy(1, []byte(c.src)); err != nil {
			st.Close()
			return fmt.Errorf("sim: start %s: %w", name, err)
		}
	}
	cfg, err := policy.Parse("policy.toml", st.Policy().Source)
	if err != nil {
		st.Close()
		return fmt.Errorf("sim: start %s: saved policy: %w", name, err)
	}
	timing, _ := heartbeat.Profile(heartbeat.ProfileLAN)
	timing.RejoinInterval = 200 * time.Millisecond
	hcfg := heartbeat.Config{ClusterName: "sim", Self: name, Timing: timing, Keyring: &c.keys, Logger: log,
		TwoNode: cfg.Cluster.TwoNode, WaitForAll: cfg.Cluster.TwoNode}
	for _, pn := range cfg.Nodes {
		hcfg.Nodes = append(hcfg.Nodes, heartbeat.NodeSpec{Name: pn.Name, Addresses: pn.Addresses, Votes: 1})
	}
	tr, err := c.nw.NewTransport(n.addr)
	if err != nil {
		st.Close()
		return fmt.Errorf("sim: start %s: %w", name, err)
	}
	hcfg.Transports = append(hcfg.Transports, tr)
	hb, err := heartbeat.New(hcfg)
	if err != nil {
		st.Close()
		_ = tr.Shutdown()
		return fmt.Errorf("sim: start %s: %w", name, err)
	}
	c.mu.Lock()
	n.gate = newGate() // a new boot: nothing frozen, nothing killed
	c.mu.Unlock()
	reports := controller.NewReports()
	reg := registry.New(registry.Options{StateDir: n.agentDir}, registry.Builtins())
	ex, err := resources.New(resources.Config{
		Agents:   gatedResolver{r: reg, g: n.gate},
		NodeName: name,
		Reporter: resources.ReporterFunc(func(r resources.Result) {
			if r.Interval == 0 && r.Failure() == resources.SeverityNone && (r.Action == "start" || r.Action == "promote") {
				c.obs.action(r.Action, name, r.Resource)
			}
			reports.Report(r)
		}),
		Logger: log,
	})
	if err != nil {
		st.Close()
		return fmt.Errorf("sim: start %s: %w", name, err)
	}
	fencer := fencing.New(fencing.Config{Node: name, Logger: log, Plugins: map[string]fencing.Plugin{
		"lab": func(policy.FenceDevice) (fencing.Device, error) { return labDevice{c}, nil },
	}})
	ctrl, err := controller.New(controller.Config{Node: name, Store: st, Policy: cfg, Cluster: hb, Executor: ex,
		Reports: reports, Fencer: fencer, Timing: timing, Logger: log,
		SelfFence: func() error { return c.kill(name) },
		Hooks: controller.Hooks{
			Dispatched: func(term uint64, a policy.Action) { c.obs.dispatched(term, name) },
			Executing: func(term, seen uint64, a policy.Action) {
				if term < seen {
					c.obs.violate("stale-term", fmt.Sprintf("%s ran %s of term %d after seeing term %d", name, policy.FormatAction(a), term, seen))
				}
			},
		}})
	if err != nil {
		st.Close()
		return fmt.Errorf("sim: start %s: %w", name, err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	c.mu.Lock()
	n.ctrl, n.cancel, n.done, n.exDone, n.up, n.off = ctrl, cancel, make(chan struct{}), make(chan struct{}), true, false
	exDone, done := n.exDone, n.done
	c.mu.Unlock()
	// The checker learns of the new boot before it can act.
	c.obs.topology()
	var wg sync.WaitGroup
	wg.Go(func() { _ = hb.Run(ctx) })
	wg.Go(func() {
		_ = ex.Run(ctx)
		close(exDone)
	})
	wg.Go(func() { _ = ctrl.Run(ctx) })
	go func() {
		wg.Wait()
		st.Close()
		close(done)
	}()
	return nil
}

// stop stops a node's daemon (if up) and waits for it.
func (c *cluster) stop(name string) {
	n := c.nodes[name]
	c.mu.Lock()
	up, cancel, done, g := n.up, n.cancel, n.done, n.gate
	n.up = false
	c.mu.Unlock()
	if !up {
		return
	}
	g.kill() // a frozen agent call must not hold the shutdown
	cancel()
	<-done
}

// isUp reports whether the node's daemon runs (and was not powered off).
func (c *cluster) isUp(name string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := c.nodes[name]
	return n.up && !n.off
}

// crash is kill -9 of the daemon: cut off, daemon gone, whatever its
// resources run keeps running (their state files stay).
func (c *cluster) crash(name string) {
	c.nw.Isolate(c.nodes[name].addr)
	c.stop(name)
}

// powerOff is the fencing device's work; it fails while the node's
// device is told to fail.
func (c *cluster) powerOff(name string) error {
	c.mu.Lock()
	fails, lying := c.fenceFails[name], c.lying
	c.mu.Unlock()
	if fails {
		return errors.New("lab: power switch does not answer")
	}
	if lying {
		return nil
	}
	return c.kill(name)
}

// kill powers a node off: cut off, executor and agents stopped, the
// volatile agent state gone. The rest of the daemon winds down on its
// own (it may be running this very fence).
func (c *cluster) kill(name string) error {
	n := c.nodes[name]
	c.nw.Isolate(n.addr)
	c.mu.Lock()
	up, cancel, exDone, g, wasOff := n.up, n.cancel, n.exDone, n.gate, n.off
	n.off = true
	c.mu.Unlock()
	g.kill()
	if up {
		cancel()
		<-exDone
	}
	if err := os.RemoveAll(n.agentDir); err != nil {
		return fmt.Errorf("lab: power off %s: %w", name, err)
	}
	c.obs.fenced(name, wasOff)
	return nil
}

// restart brings a crashed or fenced node back on a healed network.
func (c *cluster) restart(name string) error {
	c.stop(name)
	c.nw.Heal(c.nodes[name].addr)
	return c.start(name)
}

// gateOf returns the freeze gate of node name's current boot.
func (c *cluster) gateOf(name string) *gate {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.nodes[name].gate
}

// inflight returns the starts and promotes under way in node name's
// agents (resource -> role they may leave).
func (c *cluster) inflight(name string) map[string]string {
	return c.gateOf(name).inflight()
}

// setFenceFails tells the fencing device to fail (or not) for a node.
func (c *cluster) setFenceFails(name string, fail bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.fenceFails[name] = fail
}

type labDevice struct{ c *cluster }

func (d labDevice) Fence(ctx context.Context, target, port, action string) error {
	return d.c.powerOff(target)
}

// roleOn returns the state file content of rsc on node name ("" when
// absent): "started" for dummy, "unpromoted" or "promoted" for stateful.
func (c *cluster) roleOn(name, rsc string) string {
	b, err := os.ReadFile(filepath.Join(c.nodes[name].agentDir, rsc+".state"))
	if err != nil {
		return ""
	}
	s := string(b)
	for len(s) > 0 && (s[len(s)-1] == '\n' || s[len(s)-1] == ' ') {
		s = s[:len(s)-1]
	}
	if s == "" {
		return "started"
	}
	return s
}

// holding returns the nodes where rsc is active (its state file exists).
func (c *cluster) holding(rsc string) []string {
	var out []string
	for _, name := range c.names {
		if c.roleOn(name, rsc) != "" {
			out = append(out, name)
		}
	}
	return out
}

// promoted returns the nodes where rsc is promoted.
func (c *cluster) promoted(rsc string) []string {
	var out []string
	for _, name := range c.names {
		if c.roleOn(name, rsc) == "promoted" {
			out = append(out, name)
		}
	}
	return out
}

// injectFault writes an agent fault file for rsc on node name
// (agents/dummy's "<instance>.fail-<action>"); it fires once.
func (c *cluster) injectFault(name, rsc, action, what string) error {
	n := c.nodes[name]
	if err := os.MkdirAll(n.agentDir, 0o755); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(n.agentDir, rsc+".fail-"+action), []byte(what+"\n"), 0o644)
}

// status asks node name's controller for its status.
func (c *cluster) status(name string) (api.ClusterStatus, bool) {
	c.mu.Lock()
	n := c.nodes[name]
	up, ctrl := n.up && !n.off, n.ctrl
	c.mu.Unlock()
	if !up {
		return api.ClusterStatus{}, false
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	st, err := ctrl.Status(ctx)
	return st, err == nil
}

// dc returns the DC all up nodes agree on, or "".
func (c *cluster) dc() string {
	dc := ""
	for _, name := range c.names {
		if !c.isUp(name) {
			continue
		}
		st, ok := c.status(name)
		if !ok || st.DC == "" || (dc != "" && st.DC != dc) {
			return ""
		}
		dc = st.DC
	}
	return dc
}

// apply sends a new policy to the DC, if there is one.
func (c *cluster) apply(src string) error {
	dc := c.dc()
	if dc == "" {
		return errors.New("no agreed DC")
	}
	c.mu.Lock()
	ctrl := c.nodes[dc].ctrl
	c.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_, err := ctrl.ApplyPolicy(ctx, api.ApplyRequest{Source: src})
	return err
}

// shutdown stops every node.
func (c *cluster) shutdown() {
	for _, name := range c.names {
		c.stop(name)
	}
}
