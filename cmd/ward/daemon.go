package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"sync"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/ward-ha/ward/agents/dummy"
	"github.com/ward-ha/ward/agents/registry"
	"github.com/ward-ha/ward/api"
	"github.com/ward-ha/ward/controller"
	"github.com/ward-ha/ward/fencing"
	"github.com/ward-ha/ward/heartbeat"
	"github.com/ward-ha/ward/internal/rtprio"
	"github.com/ward-ha/ward/policy"
	"github.com/ward-ha/ward/resources"
)

// daemonOptions are the flags of `ward daemon`.
type daemonOptions struct {
	policy, node, stateDir, key, socket, logLevel, agentState string
	// op are the operating flags (daemon_operate.go).
	op operateOptions
	// realtime raises the daemon to SCHED_RR (internal/rtprio).
	realtime bool
	// fa are the watchdog and witness flags (daemon_fencing.go).
	fa fencingAidOptions
	// join and cluster: fetch the live policy from a member when the
	// state directory holds none (daemon_join.go).
	join, cluster string
	// shutdownTimeout bounds the clean leave on SIGTERM
	// (daemon_shutdown.go).
	shutdown shutdownOptions
}

// newDaemonCmd returns `ward daemon`, the node daemon. The lead
// registers it in root.go.
func newDaemonCmd() *cobra.Command {
	var o daemonOptions
	c := &cobra.Command{
		Use:   "daemon",
		Short: "Run the ward node daemon: heartbeat, executor, fencer, controller and API",
		Long: `daemon runs this node's part of the cluster: the gossip heartbeat, the
executor that drives resource agents, the fencer, the controller (DC
election, transitions, no_quorum_policy) and the API on a unix socket.

The first start needs --policy; the policy is then saved in the state
directory with epoch 1, and from then on the live policy there wins
(change it with ward policy apply). A node added to a running cluster
starts instead with --join ADDR --cluster NAME: it fetches the live
policy from the member at ADDR (with the gossip key), saves it and
joins. It stops on SIGINT or SIGTERM, and on its own (exit 0) when a
policy that no longer lists it is applied.`,
		Example: `  ward daemon --policy /etc/ward/policy.toml
  ward daemon --node alpha --state-dir /var/lib/ward --key /etc/ward/gossip.key
  ward daemon --node delta --join 10.0.0.11 --cluster prod`,
		Args: argsUsage(cobra.NoArgs),
		RunE: func(c *cobra.Command, _ []string) error {
			ctx, stop := signal.NotifyContext(c.Context(), syscall.SIGINT, syscall.SIGTERM)
			defer stop()
			return runDaemon(ctx, o, c.ErrOrStderr())
		},
	}
	host, _ := os.Hostname()
	if i := strings.IndexByte(host, '.'); i > 0 {
		host = host[:i]
	}
	f := c.Flags()
	f.StringVar(&o.policy, "policy", "", "bootstrap policy file (used only while the state directory holds no policy)")
	f.StringVar(&o.node, "node", host, "this node's name in the policy")
	f.StringVar(&o.stateDir, "state-dir", "/var/lib/ward", "state directory (term, policy, fencing history)")
	f.StringVar(&o.key, "key", heartbeat.DefaultKeyFile, "gossip key file (mode 0600, made with ward key generate)")
	f.StringVar(&o.socket, "socket", api.DefaultSocket, "API unix socket")
	f.StringVar(&o.logLevel, "log-level", "info", "log level: debug, info, warn or error")
	f.StringVar(&o.agentState, "agent-state-dir", "", "state folder of the built-in test agents (default /run/ward/agents/NODE)")
	f.BoolVar(&o.realtime, "realtime", true, "run under real-time scheduling (SCHED_RR, not inherited by agents) so a busy machine cannot delay the heartbeat; needs root or CAP_SYS_NICE")
	f.StringVar(&o.join, "join", "", "first start of a node added to a running cluster: fetch the live policy from the member at this gossip address (host or host:port; needs --cluster)")
	f.StringVar(&o.cluster, "cluster", "", "the cluster's name ([cluster] name in the policy), with --join")
	addOperateFlags(f, &o.op)
	addFencingAidFlags(f, &o.fa)
	addShutdownFlag(f, &o.shutdown)
	return c
}

func parseLevel(s string) (slog.Level, error) {
	var l slog.Level
	if err := l.UnmarshalText([]byte(s)); err != nil {
		return 0, fmt.Errorf("--log-level %q: want debug, info, warn or error", s)
	}
	return l, nil
}

// runDaemon wires and runs every component until ctx ends.
func runDaemon(ctx context.Context, o daemonOptions, stderr io.Writer) error {
	level, err := parseLevel(o.logLevel)
	if err != nil {
		return &usageError{cmd: "ward daemon", err: err}
	}
	base, err := newDaemonLogger(stderr, level, o.op.logFormat)
	if err != nil {
		return &usageError{cmd: "ward daemon", err: err}
	}
	log := base.With("node", o.node)
	if o.node == "" {
		return &usageError{cmd: "ward daemon", err: errors.New("--node is empty and the hostname is unknown")}
	}
	if o.realtime {
		// Before anything else starts: every thread that exists now is
		// raised, and threads made later inherit it.
		if n, err := rtprio.Raise(rtprio.DefaultPriority); err != nil {
			log.Warn("running at normal priority: "+err.Error(), "threads_raised", n)
		} else {
			log.Info("real-time scheduling on (SCHED_RR, agents run at normal priority)", "priority", rtprio.DefaultPriority)
		}
	}
	if err := checkStateDir(o.stateDir, log); err != nil { // security_files.go
		return err
	}
	store, err := controller.OpenStore(o.stateDir, log)
	if err != nil {
		return err
	}
	defer store.Close()
	scrub := newSecretScrubber(store, log) // secrets.go: no secret value in agent output, fencing errors or logs
	log = slog.New(scrub.handler(log.Handler()))
	if err := joinPolicy(ctx, o, store, log); err != nil { // daemon_join.go
		return err
	}
	cfg, err := livePolicy(store, o.policy, log)
	if err != nil {
		return err
	}
	if err := checkListed(cfg, o.node, store); err != nil {
		return err
	}
	if o.fa.witness, err = witnessAddr(o.fa.witness, cfg); err != nil { // daemon_fencing.go
		return err
	}
	if o.fa.witness != "" {
		log.Info("counting a witness vote", "witness", o.fa.witness)
	}
	ops, err := newOperations(o.op, o.stateDir, log)
	if err != nil {
		return err
	}
	defer ops.close()
	timing, err := heartbeat.Profile(string(cfg.Cluster.Timing))
	if err != nil {
		return err
	}
	members := controller.MembershipConfig(cfg) // the controller keeps it following the live policy
	hcfg := heartbeat.Config{ClusterName: cfg.Cluster.Name, Self: o.node, Nodes: members.Nodes, TwoNode: members.TwoNode,
		WaitForAll: members.WaitForAll, Timing: timing, KeyFile: o.key, Logger: log}
	var key []byte
	if o.fa.witness != "" {
		// The witness authenticates requests with the gossip key; it
		// holds one quorum vote.
		kr, err := heartbeat.LoadKeyFile(o.key)
		if err != nil {
			return err
		}
		key = kr.Primary
		hcfg.Witness = "witness"
	}
	hb, err := heartbeat.New(hcfg)
	if err != nil {
		return err
	}
	agentState := o.agentState
	if agentState == "" {
		agentState = filepath.Join(dummy.DefaultStateDir, o.node)
	}
	reports := controller.NewReports()
	ex, err := resources.New(resources.Config{
		Agents:   registry.New(registry.Options{StateDir: agentState, Logger: log.With("component", "agent")}, registry.Builtins()),
		NodeName: o.node, Reporter: ops.reporter(reports), Logger: log.With("component", "executor"),
		Scrub: scrub.Scrub,
	})
	if err != nil {
		return err
	}
	fencer := fencing.New(fencing.Config{Node: o.node, Logger: log.With("component", "fencer")})
	ctrl, err := controller.New(controller.Config{Node: o.node, Store: store, Policy: cfg, Cluster: hb, Executor: ex,
		Reports: reports, Fencer: scrubFencer{fencer, scrub}, Timing: timing, Logger: log.With("component", "controller"),
		SelfFence: func() error { return selfFence(log) }})
	if err != nil {
		return err
	}
	srv := api.NewServer(ctrl, log.With("component", "api"))
	aids, err := fencingAids(o.fa, cfg, o.node, key, hb, ex, ctrl, log)
	if err != nil {
		return err
	}

	// ctx ends on SIGINT or SIGTERM: the node first leaves the cluster
	// cleanly, then every component stops (daemon_shutdown.go).
	stopReq := ctx
	ctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	defer cancel()
	var wg sync.WaitGroup
	runs := ops.start(ctrl, srv, store, cfg.Cluster.Name)
	errs := make(chan error, 4+len(runs)+len(aids))
	run := func(name string, f func(context.Context) error) {
		wg.Go(func() {
			err := f(ctx)
			if errors.Is(err, controller.ErrRemoved) {
				log.Warn("this node was removed from the cluster by a policy that no longer lists it: stopping; to add it back, apply a policy that lists it and start it with an empty state directory and --join", "err", err)
				cancel()
				return
			}
			if err != nil && ctx.Err() == nil {
				errs <- fmt.Errorf("%s: %w", name, err)
				cancel()
			}
		})
	}
	run("heartbeat", hb.Run)
	run("executor", ex.Run)
	run("controller", ctrl.Run)
	run("api", func(ctx context.Context) error { return srv.Run(ctx, o.socket) })
	for name, f := range runs {
		run(name, f)
	}
	for i, f := range aids {
		run(fmt.Sprintf("fencing aid %d", i+1), f)
	}
	wg.Go(func() { leaveOnStop(stopReq, ctx, cancel, ctrl, o.shutdown.timeout, log) })
	ops.ready()
	log.Info("ward daemon started", "policy_epoch", store.Policy().Epoch, "socket", o.socket, "state_dir", o.stateDir)
	wg.Wait()
	close(errs)
	var all []error
	for e := range errs {
		all = append(all, e)
	}
	if len(all) > 0 {
		return errors.Join(all...)
	}
	log.Info("ward daemon stopped")
	return nil
}

// livePolicy returns the policy saved in the store, or saves the
// bootstrap file as epoch 1 when the store holds none.
func livePolicy(store *controller.Store, file string, log *slog.Logger) (*policy.Config, error) {
	saved := store.Policy()
	if saved.Epoch == 0 {
		if file == "" {
			return nil, fmt.Errorf("no policy yet in %s: start the first time with --policy FILE", store.Dir())
		}
		cfg, err := policy.Load(file)
		if err != nil {
			return nil, err
		}
		src, err := os.ReadFile(file)
		if err != nil {
			return nil, err
		}
		if err := store.SavePolicy(1, src); err != nil {
			return nil, err
		}
		log.Info("bootstrap policy saved as epoch 1", "file", file)
		return cfg, nil
	}
	if file != "" {
		log.Info("the live policy in the state directory wins over --policy; change it with ward policy apply",
			"epoch", saved.Epoch, "ignored", file)
	}
	cfg, err := policy.Parse(filepath.Join(store.Dir(), "policy.state"), saved.Source)
	if err != nil {
		return nil, fmt.Errorf("the saved policy (epoch %d) no longer validates: %w", saved.Epoch, err)
	}
	return cfg, nil
}

// selfFence resets this machine at once (no_quorum_policy = suicide):
// no clean shutdown, as a power switch would. It returns only on
// failure (not root, or not Linux).
//
// Labs and tests that run daemons as root on a shared machine set
// WARD_SELF_FENCE=exit: the daemon then kills its own process group
// instead, without resetting the machine. That is not a fence: what its
// agents started keeps running until the majority fences this node.
func selfFence(log *slog.Logger) error {
	if os.Getenv("WARD_SELF_FENCE") == "exit" {
		log.Error("SELF-FENCING: killing this daemon and its process group (WARD_SELF_FENCE=exit)")
		return syscall.Kill(0, syscall.SIGKILL)
	}
	log.Error("SELF-FENCING: resetting this machine now (no quorum, no_quorum_policy = suicide)")
	syscall.Sync()
	if err := syscall.Reboot(syscall.LINUX_REBOOT_CMD_RESTART); err != nil {
		return fmt.Errorf("reset this machine: %w (the daemon needs root and CAP_SYS_BOOT)", err)
	}
	return nil
}
