package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/ward-ha/ward/agents/dummy"
	"github.com/ward-ha/ward/agents/ocf"
	"github.com/ward-ha/ward/agents/registry"
	"github.com/ward-ha/ward/resources"
)

// agentFlags are the options every `ward agent` subcommand shares.
type agentFlags struct {
	ocfRoot  string
	stateDir string
}

func (f *agentFlags) register(c *cobra.Command) {
	root := os.Getenv("OCF_ROOT")
	if root == "" {
		root = ocf.DefaultRoot
	}
	c.PersistentFlags().StringVar(&f.ocfRoot, "ocf-root", root, "OCF_ROOT: where OCF agents are installed (resource.d/PROVIDER/TYPE)")
	c.PersistentFlags().StringVar(&f.stateDir, "state-dir", dummy.DefaultStateDir, "state folder of the built-in dummy and stateful agents")
}

// registry builds the agent registry; sbin, when set, is the folder of
// ward's crm_attribute stand-ins for OCF agents.
func (f *agentFlags) registry(sbin string) *registry.Registry {
	return registry.New(registry.Options{StateDir: f.stateDir, OCF: ocf.Options{Root: f.ocfRoot, SbinDir: sbin}}, registry.Builtins())
}

func newAgentCmd() *cobra.Command {
	var f agentFlags
	c := &cobra.Command{
		Use:   "agent",
		Short: "List, describe and try resource agents on this machine",
		Long: `Resource agents start, stop and monitor what ward keeps available. Built-in
agents are dummy, stateful and exec; OCF agents (Pacemaker's, from Debian's
resource-agents package) are named ocf:PROVIDER:TYPE, for example
ocf:heartbeat:IPaddr2. These commands work on this machine only, outside any
cluster: use them to check that an agent works here before a policy uses it.`,
		Example: `  ward agent list
  ward agent describe ocf:heartbeat:IPaddr2
  ward agent exec ocf:heartbeat:Dummy monitor --param state=/tmp/d.state`,
		Args: argsUsage(cobra.NoArgs),
		RunE: func(c *cobra.Command, _ []string) error {
			return &usageError{cmd: c.CommandPath(), err: errors.New("missing subcommand (list, describe or exec)")}
		},
	}
	f.register(c)
	c.AddCommand(newAgentListCmd(&f), newAgentDescribeCmd(&f), newAgentExecCmd(&f))
	return c
}

func checkAgentFormat(c *cobra.Command, format string) error {
	if format != "text" && format != "json" {
		return &usageError{cmd: c.CommandPath(), err: fmt.Errorf("--output %q: want text or json", format)}
	}
	return nil
}

func newAgentListCmd(f *agentFlags) *cobra.Command {
	var format string
	c := &cobra.Command{
		Use:   "list",
		Short: "List built-in agents and every OCF agent installed under the OCF root",
		Example: `  ward agent list
  ward agent list --ocf-root /usr/lib/ocf -o json`,
		Args: argsUsage(cobra.NoArgs),
		RunE: func(c *cobra.Command, _ []string) error {
			if err := checkAgentFormat(c, format); err != nil {
				return err
			}
			list, err := f.registry("").List()
			if err != nil {
				return err
			}
			out := c.OutOrStdout()
			if format == "json" {
				return writeAgentJSON(out, list)
			}
			tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "NAME\tKIND\tPATH")
			for _, e := range list {
				p := e.Path
				if p == "" {
					p = "-"
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\n", e.Name, e.Kind, p)
			}
			return tw.Flush()
		},
	}
	c.Flags().StringVarP(&format, "output", "o", "text", "output format: text or json")
	return c
}

func newAgentDescribeCmd(f *agentFlags) *cobra.Command {
	var format string
	c := &cobra.Command{
		Use:   "describe AGENT",
		Short: "Show an agent's parameters, defaults, actions and timeouts",
		Long: `describe prints what an agent's meta-data declares: its parameters (required
ones first marked, with defaults) and its actions with their advised
timeouts and intervals. For OCF agents this runs the agent's meta-data
action.`,
		Example: `  ward agent describe dummy
  ward agent describe ocf:heartbeat:IPaddr2 -o json`,
		Args: argsUsage(cobra.ExactArgs(1)),
		RunE: func(c *cobra.Command, args []string) error {
			if err := checkAgentFormat(c, format); err != nil {
				return err
			}
			a, err := f.registry("").Lookup(args[0])
			if err != nil {
				return err
			}
			ctx, cancel := context.WithTimeout(c.Context(), 30*time.Second)
			defer cancel()
			md, err := a.Metadata(ctx)
			if err != nil {
				return fmt.Errorf("describe %s: %w", args[0], err)
			}
			if format == "json" {
				return writeAgentJSON(c.OutOrStdout(), md)
			}
			printMetadata(c.OutOrStdout(), args[0], md)
			return nil
		},
	}
	c.Flags().StringVarP(&format, "output", "o", "text", "output format: text or json")
	return c
}

func printMetadata(w io.Writer, name string, md *resources.Metadata) {
	fmt.Fprintf(w, "%s", name)
	if md.ShortDesc != "" {
		fmt.Fprintf(w, ": %s", md.ShortDesc)
	}
	fmt.Fprintln(w)
	if md.LongDesc != "" {
		fmt.Fprintf(w, "\n%s\n", md.LongDesc)
	}
	fmt.Fprintln(w, "\nParameters:")
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "  NAME\tREQUIRED\tDEFAULT\tDESCRIPTION")
	for _, p := range md.Params {
		req := "no"
		if p.Required {
			req = "yes"
		}
		def := p.Default
		if def == "" {
			def = "-"
		}
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\n", p.Name, req, def, agentOneLine(p.ShortDesc))
	}
	tw.Flush()
	fmt.Fprintln(w, "\nActions:")
	tw = tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "  NAME\tTIMEOUT\tINTERVAL\tROLE")
	for _, a := range md.Actions {
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\n", a.Name, agentDurOrDash(a.Timeout), agentDurOrDash(a.Interval), agentOrDash(a.Role))
	}
	tw.Flush()
}

func agentOneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

func agentOrDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func agentDurOrDash(d time.Duration) string {
	if d == 0 {
		return "-"
	}
	return d.String()
}

func writeAgentJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}
