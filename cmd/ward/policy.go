package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/ward-ha/ward/agents/dummy"
	"github.com/ward-ha/ward/agents/ocf"
	"github.com/ward-ha/ward/policy"
)

// newPolicyCmd builds `ward policy` and its subcommands. Each subcommand
// has its own constructor in the list below; a file that adds one (diff,
// apply, edit...) adds its constructor there.
func newPolicyCmd() *cobra.Command {
	c := &cobra.Command{
		Use:   "policy",
		Short: "Check and print policy files",
		Long: `Policy files describe the cluster: options, nodes, resources, constraints,
fencing and alerts (see docs/policy.md). These commands read them offline;
they need no running cluster.`,
		Example: `  ward policy check /etc/ward/policy.toml
  ward policy show /etc/ward/policy.toml -o json`,
		Args: argsUsage(cobra.NoArgs),
		RunE: func(c *cobra.Command, _ []string) error {
			return &usageError{cmd: c.CommandPath(), err: errors.New("missing subcommand (check, show or apply)")}
		},
	}
	c.AddCommand(
		newPolicyCheckCmd(),
		newPolicyShowCmd(),
	)
	addLivePolicyCmds(c)
	return c
}

func newPolicyCheckCmd() *cobra.Command {
	var redundancy, noAgents bool
	af := agentFlags{stateDir: dummy.DefaultStateDir}
	cmd := &cobra.Command{
		Use:   "check FILE...",
		Short: "Validate policy files and report every error",
		Long: `check loads each policy file as a node would: syntax, types, unknown keys,
references, constraints and fencing. It prints "FILE: ok (...)" for a valid
file, and every error of an invalid one on stderr, each with its line and
the offending source line.

It also checks each primitive's parameters against its agent's meta-data
when the agent is on this machine (built-in agents, OCF agents under
--ocf-root): a required parameter that is not set is an error, a
parameter the agent does not declare a warning (with a suggestion when
one is close). Agents not installed here are named and not checked;
--no-agents skips this check.

With --redundancy it also reports the design's N+K: from every node online,
it tries every set of K nodes failing at once (K = 1, 2, ...) and prints the
largest K after which every resource still runs, then the node sets of K+1
that stop something: for lack of capacity, because of constraints, or
because the survivors lose quorum.

Exit status: 0 when every file is valid, 1 when any is not, 2 on usage
errors.`,
		Example: `  ward policy check /etc/ward/policy.toml
  ward policy check examples/*.toml
  ward policy check --redundancy examples/n-plus-1.toml`,
		Args: argsUsage(cobra.MinimumNArgs(1)),
		RunE: func(c *cobra.Command, files []string) error {
			var agents *agentParamsLookup
			if !noAgents {
				agents = newAgentParamsLookup(c.Context(), af.registry(""))
			}
			return runPolicyCheck(c.OutOrStdout(), c.ErrOrStderr(), files, redundancy, agents)
		},
	}
	cmd.Flags().BoolVar(&redundancy, "redundancy", false, "also report how many simultaneous node failures the design survives (N+K)")
	cmd.Flags().BoolVar(&noAgents, "no-agents", false, "do not check the primitives' parameters against their agents' meta-data")
	root := os.Getenv("OCF_ROOT")
	if root == "" {
		root = ocf.DefaultRoot
	}
	cmd.Flags().StringVar(&af.ocfRoot, "ocf-root", root, "OCF_ROOT: where OCF agents are installed, for the parameter check")
	return cmd
}

func runPolicyCheck(stdout, stderr io.Writer, files []string, redundancy bool, agents *agentParamsLookup) error {
	bad := 0
	for _, f := range files {
		cfg, err := policy.Load(f)
		if err != nil {
			bad++
			printPolicyErrors(stderr, err)
			continue
		}
		if agents != nil && !checkPolicyAgents(stderr, f, cfg, agents) {
			bad++
			continue
		}
		fmt.Fprintf(stdout, "%s: ok (%s)\n", f, policySummary(cfg))
		if redundancy {
			// Time rules are evaluated at the Unix epoch so the answer
			// is the same on every run; a policy whose placement
			// depends on the date is checked with ward simulate
			// --failures at the instant that matters.
			writeRedundancyVerdict(stdout, f, cfg, checkRedundancy(cfg, time.Unix(0, 0).UTC()))
		}
	}
	switch {
	case bad == 0:
		return nil
	case len(files) > 1:
		return &exitError{code: 1, msg: fmt.Sprintf("%d of %d policy files are invalid", bad, len(files))}
	}
	return &exitError{code: 1}
}

// policySummary counts what a policy defines.
func policySummary(c *policy.Config) string {
	return fmt.Sprintf("%d nodes, %d resources, %d constraints", len(c.Nodes),
		len(c.Primitives)+len(c.Groups)+len(c.Clones),
		len(c.Locations)+len(c.Colocations)+len(c.Orders))
}

// printPolicyErrors prints each error of a Load failure followed by its
// source line and a caret.
func printPolicyErrors(w io.Writer, err error) {
	var list policy.ErrorList
	if !errors.As(err, &list) {
		fmt.Fprintln(w, err)
		return
	}
	for _, e := range list {
		fmt.Fprintln(w, e.Error())
		io.WriteString(w, e.Snippet())
	}
}

func newPolicyShowCmd() *cobra.Command {
	var format string
	c := &cobra.Command{
		Use:   "show FILE",
		Short: "Print a policy normalized, with defaults filled in and secrets redacted",
		Long: `show loads a policy file and prints it as ward understands it: every
default filled in, roles in their canonical names, and every secret_params
value replaced by "<redacted>". The TOML output is itself a valid policy.`,
		Example: `  ward policy show /etc/ward/policy.toml
  ward policy show /etc/ward/policy.toml -o json | jq '.primitives[].id'`,
		Args: argsUsage(cobra.ExactArgs(1)),
		RunE: func(c *cobra.Command, args []string) error {
			if format != "toml" && format != "json" {
				return &usageError{cmd: c.CommandPath(), err: fmt.Errorf("-o %q: write -o toml or -o json", format)}
			}
			cfg, err := policy.Load(args[0])
			if err != nil {
				printPolicyErrors(c.ErrOrStderr(), err)
				return &exitError{code: 1}
			}
			return writePolicy(c.OutOrStdout(), cfg.Redacted(), format)
		},
	}
	c.Flags().StringVarP(&format, "output", "o", "toml", "output format: toml or json")
	return c
}

func writePolicy(w io.Writer, cfg *policy.Config, format string) error {
	if format == "json" {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		if err := enc.Encode(cfg); err != nil {
			return fmt.Errorf("policy show: encode json: %w", err)
		}
		return nil
	}
	return cfg.WriteTOML(w)
}
