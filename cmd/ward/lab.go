package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/ward-ha/ward/internal/lab"
)

// newLabCmd returns `ward lab`, test hosts on this machine. The lead
// registers it in root.go.
func newLabCmd() *cobra.Command {
	var dir string
	c := &cobra.Command{
		Use:   "lab",
		Short: "Test hosts on this machine: namespaces, a switch, a ward daemon per host (root)",
		Long: `lab builds test hosts on this machine: network namespaces joined by veth
pairs to a bridge in a namespace of its own (addresses ` + lab.DefaultSubnet + `.0/24, used only
inside them), a client namespace, and a ward daemon on each host with its
own state folder, API socket and disk (a folder it sees at DIR/host).
Without --policy, up creates a PostgreSQL cluster on every host and a
policy with the postgres and vip agents and a fence device per host.

It breaks hosts the way real ones break: cut (cable pulled, silent drop,
one-way), freeze (SIGSTOP of everything on the host), kill (power off:
link down, every process killed); boot powers a host back on. down
removes everything. Needs root.`,
		Example: `  sudo ward lab up --nodes 2
  sudo ward lab status
  sudo ward lab x c psql -h 10.215.0.100 -U postgres -c 'select 1'
  sudo ward lab kill n1
  sudo ward lab boot n1
  sudo ward lab down`,
	}
	c.PersistentFlags().StringVar(&dir, "dir", lab.DefaultDir, "the lab's state folder")
	load := func() (*lab.Lab, error) {
		if err := lab.CheckRoot(); err != nil {
			return nil, err
		}
		return lab.Load(dir, nil)
	}
	c.AddCommand(newLabUpCmd(&dir), newLabDownCmd(&dir), newLabStatusCmd(load),
		newLabCutCmd(load), newLabNodeCmd(load, "heal", "Undo every cut of a host"),
		newLabNodeCmd(load, "freeze", "Freeze a host: SIGSTOP every process on it"),
		newLabNodeCmd(load, "thaw", "Thaw a frozen host: SIGCONT every process on it"),
		newLabNodeCmd(load, "kill", "Power a host off: link down, every process killed"),
		newLabNodeCmd(load, "boot", "Power a host back on: link up, its ward daemon started"),
		newLabExecCmd(&dir, load))
	return c
}

func newLabUpCmd(dir *string) *cobra.Command {
	var nodes int
	var policyFile string
	var sync, noPG bool
	var exe string
	c := &cobra.Command{
		Use:   "up",
		Short: "Create the hosts and start a ward daemon on each",
		Args:  argsUsage(cobra.NoArgs),
		RunE: func(c *cobra.Command, _ []string) error {
			if err := lab.CheckRoot(); err != nil {
				return err
			}
			l, err := lab.New(lab.Config{Dir: *dir, Nodes: nodes, Exe: exe}, nil)
			if err != nil {
				return &usageError{cmd: "ward lab up", err: err}
			}
			ctx := c.Context()
			out := c.OutOrStdout()
			if err := labUp(ctx, l, policyFile, sync, !noPG, out); err != nil {
				if derr := l.Down(context.Background(), true); derr != nil {
					err = errors.Join(err, derr)
				}
				return err
			}
			return nil
		},
	}
	c.Flags().IntVar(&nodes, "nodes", 2, "number of hosts (1 to 9)")
	c.Flags().StringVar(&policyFile, "policy", "", "bootstrap policy for the daemons (default: PostgreSQL + VIP, generated)")
	c.Flags().BoolVar(&sync, "sync", true, "generated policy: synchronous replication (no acknowledged commit lost)")
	c.Flags().BoolVar(&noPG, "no-postgres", false, "do not create a PostgreSQL cluster on the hosts' disks")
	c.Flags().StringVar(&exe, "exe", "", "ward binary the hosts run (default: this one)")
	c.Flags().MarkHidden("exe")
	return c
}

// labUp builds the lab and starts its daemons.
func labUp(ctx context.Context, l *lab.Lab, policyFile string, sync, pg bool, out io.Writer) error {
	start := time.Now()
	if err := l.Up(ctx); err != nil {
		return err
	}
	if pg {
		if err := l.InitPostgres(ctx); err != nil {
			return err
		}
	}
	// Two hosts relax synchronous replication while one runs alone.
	pol := l.Policy(lab.PolicyOptions{Synchronous: sync, Relax: l.Config().Nodes == 2})
	if policyFile != "" {
		b, err := os.ReadFile(policyFile)
		if err != nil {
			return fmt.Errorf("lab: %w", err)
		}
		pol = string(b)
	}
	if err := l.WriteFiles(pol); err != nil {
		return err
	}
	cfg := l.Config()
	for i := 1; i <= cfg.Nodes; i++ {
		d, err := l.StartDaemon(i, true)
		if err != nil {
			return err
		}
		wctx, cancel := context.WithTimeout(ctx, 15*time.Second)
		err = l.WaitSocket(wctx, i, d)
		cancel()
		if err != nil {
			return err
		}
	}
	fmt.Fprintf(out, "Lab up in %.1fs: %d hosts, state in %s\n", time.Since(start).Seconds(), cfg.Nodes, cfg.Dir)
	for i := 1; i <= cfg.Nodes; i++ {
		fmt.Fprintf(out, "  %s  %-12s  namespace %s  socket %s  log %s\n", l.Name(i), l.Addr(i), l.NS(i), l.Socket(i), l.DaemonLog(i))
	}
	fmt.Fprintf(out, "  client  %-8s  namespace %s\n", l.ClientAddr(), l.ClientNS())
	fmt.Fprintf(out, "\nCluster status:  ward status --socket %s\n", l.Socket(1))
	if pg {
		fmt.Fprintf(out, "PostgreSQL (VIP): ward lab x c %s/psql -h %s -U postgres\n", lab.PGBin, l.VIP())
	}
	fmt.Fprintln(out, "Break things:     ward lab kill n1 | cut n1 --mode drop | freeze n1;  clean up: ward lab down")
	return nil
}

func newLabDownCmd(dir *string) *cobra.Command {
	var prefix string
	c := &cobra.Command{
		Use:   "down",
		Short: "Kill every process of the lab, delete its namespaces and its folder",
		Args:  argsUsage(cobra.NoArgs),
		RunE: func(c *cobra.Command, _ []string) error {
			if err := lab.CheckRoot(); err != nil {
				return err
			}
			l, err := lab.Load(*dir, nil)
			if err != nil {
				// No lab.json: still clean namespaces of the prefix.
				l, err = lab.New(lab.Config{Dir: *dir, Prefix: prefix, Nodes: 1}, nil)
				if err != nil {
					return err
				}
			}
			if err := l.Down(c.Context(), true); err != nil {
				return err
			}
			fmt.Fprintln(c.OutOrStdout(), "Lab down: namespaces and", *dir, "removed.")
			return nil
		},
	}
	c.Flags().StringVar(&prefix, "prefix", lab.DefaultPrefix, "namespace prefix to clean when the lab folder is gone")
	return c
}

func newLabStatusCmd(load func() (*lab.Lab, error)) *cobra.Command {
	return &cobra.Command{
		Use:   "status",
		Short: "Show each host: address, processes, cuts, VIP",
		Args:  argsUsage(cobra.NoArgs),
		RunE: func(c *cobra.Command, _ []string) error {
			l, err := load()
			if err != nil {
				return err
			}
			out := c.OutOrStdout()
			st, err := l.Status(c.Context())
			if err != nil {
				return err
			}
			for _, h := range st {
				fmt.Fprintf(out, "%-7s %-13s %3d processes  %-16s  %s\n", h.Name, h.Addr, len(h.Pids), labState(h), strings.Join(h.Addrs, " "))
			}
			fmt.Fprintf(out, "\nCluster status: ward status --socket %s\n", l.Socket(1))
			return nil
		},
	}
}

func labState(h lab.HostStatus) string {
	var s []string
	switch {
	case !h.Exists:
		s = append(s, "no namespace")
	case len(h.Pids) == 0:
		s = append(s, "off")
	case h.Frozen:
		s = append(s, "frozen")
	default:
		s = append(s, "up")
	}
	s = append(s, h.Cuts...)
	return strings.Join(s, ", ")
}

func newLabCutCmd(load func() (*lab.Lab, error)) *cobra.Command {
	var mode string
	c := &cobra.Command{
		Use:   "cut NODE",
		Short: "Cut a host off the switch: link (cable pulled), drop (silent), in or out (one way)",
		Args:  argsUsage(cobra.ExactArgs(1)),
		RunE: func(c *cobra.Command, args []string) error {
			l, err := load()
			if err != nil {
				return err
			}
			i, err := l.Index(args[0])
			if err != nil {
				return &usageError{cmd: "ward lab cut", err: err}
			}
			return l.Cut(c.Context(), i, mode)
		},
	}
	c.Flags().StringVar(&mode, "mode", lab.CutLink, "link, drop, in or out")
	return c
}

// newLabNodeCmd returns heal, freeze, thaw, kill or boot.
func newLabNodeCmd(load func() (*lab.Lab, error), verb, short string) *cobra.Command {
	return &cobra.Command{
		Use:   verb + " NODE",
		Short: short,
		Args:  argsUsage(cobra.ExactArgs(1)),
		RunE: func(c *cobra.Command, args []string) error {
			l, err := load()
			if err != nil {
				return err
			}
			i, err := l.Index(args[0])
			if err != nil {
				return &usageError{cmd: "ward lab " + verb, err: err}
			}
			ctx := c.Context()
			switch verb {
			case "heal":
				return l.Heal(ctx, i)
			case "freeze", "thaw":
				f := l.Freeze
				if verb == "thaw" {
					f = l.Thaw
				}
				pids, err := f(i)
				if err == nil {
					fmt.Fprintf(c.OutOrStdout(), "%s: %d processes %sed\n", args[0], len(pids), strings.TrimSuffix(verb, "e"))
				}
				return err
			case "kill":
				return l.PowerOff(ctx, i)
			default: // boot
				d, err := l.Boot(ctx, i, true)
				if err != nil {
					return err
				}
				wctx, cancel := context.WithTimeout(ctx, 15*time.Second)
				defer cancel()
				return l.WaitSocket(wctx, i, d)
			}
		},
	}
}

func newLabExecCmd(dir *string, load func() (*lab.Lab, error)) *cobra.Command {
	return &cobra.Command{
		Use:   "x NODE|c CMD [ARG...]",
		Short: "Run a command on a host (c: the client), with the host's disk mounted",
		Args:  argsUsage(cobra.MinimumNArgs(2)),
		// Everything after NODE belongs to the command.
		DisableFlagParsing: true,
		RunE: func(c *cobra.Command, args []string) error {
			// Flag parsing is off: take ward lab's own --dir by hand.
			for len(args) > 0 && strings.HasPrefix(args[0], "--dir") {
				if v, ok := strings.CutPrefix(args[0], "--dir="); ok {
					*dir, args = v, args[1:]
				} else if len(args) > 1 {
					*dir, args = args[1], args[2:]
				} else {
					break
				}
			}
			if len(args) < 2 {
				return &usageError{cmd: "ward lab x", err: errors.New("want NODE (or c) and a command")}
			}
			l, err := load()
			if err != nil {
				return err
			}
			var cmd *exec.Cmd
			if args[0] == "c" {
				cmd = l.ClientCommand(c.Context(), args[1:]...)
			} else {
				i, err := l.Index(args[0])
				if err != nil {
					return &usageError{cmd: "ward lab x", err: err}
				}
				cmd = l.Command(c.Context(), i, args[1:]...)
			}
			cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, c.OutOrStdout(), c.ErrOrStderr()
			if err := cmd.Run(); err != nil {
				var ee *exec.ExitError
				if errors.As(err, &ee) {
					return &exitError{code: ee.ExitCode()}
				}
				return err
			}
			return nil
		},
	}
}
