package main

import (
	"encoding/json"
	"fmt"

	"github.com/spf13/cobra"
	"github.com/ward-ha/ward/policy"
)

func newExplainCmd() *cobra.Command {
	var policyPath, statusPath, at, output, socket string
	c := &cobra.Command{
		Use:   "explain RESOURCE [--policy FILE --status FILE]",
		Short: "Explain where a resource runs and why, node by node",
		Long: `explain runs the scheduler like 'ward simulate' and prints, for one resource
(primitive, group or clone), the node it will run on and, for every node,
what speaks for or against it: location constraints, stickiness (the
preference to stay where it runs), colocations, failures, and the reason a
node is ruled out (offline, standby, unclean, banned after failures...).

Without --policy and --status it asks the local ward daemon, which runs
the scheduler on the live policy and the cluster as it sees it now.`,
		Example: `  ward explain db                      # live, from the local daemon
  ward explain db --policy policy.toml --status status.json
  ward explain web-group --policy policy.toml --status status.json -o json`,
		Args: argsUsage(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			if output != "text" && output != "json" {
				return &usageError{cmd: cmd.CommandPath(), err: fmt.Errorf("-o %q: use text or json", output)}
			}
			if policyPath == "" && statusPath == "" {
				if at != "" {
					return &usageError{cmd: cmd.CommandPath(), err: fmt.Errorf("--at needs --policy and --status (the daemon explains now)")}
				}
				return explainLive(cmd, socket, args[0], output)
			}
			in, err := loadSimInput(policyPath, statusPath, at)
			if err != nil {
				return fixUsage(err, cmd)
			}
			t := policy.Schedule(in.cfg, in.st, in.now)
			out := cmd.OutOrStdout()
			if output == "json" {
				rs, ok := t.ScoresOf(args[0])
				if !ok {
					return fmt.Errorf("explain: resource %q is not in the policy %s", args[0], policyPath)
				}
				enc := json.NewEncoder(out)
				enc.SetIndent("", "  ")
				return enc.Encode(rs)
			}
			text, err := t.Explain(args[0])
			if err != nil {
				return fmt.Errorf("%w (policy %s)", err, policyPath)
			}
			fmt.Fprintf(out, "Scheduling at %s (from %s).\n\n", in.now.Format("2006-01-02T15:04:05Z07:00"), in.nowFrom)
			fmt.Fprint(out, text)
			return nil
		},
	}
	f := c.Flags()
	f.StringVar(&policyPath, "policy", "", "policy file (TOML)")
	f.StringVar(&statusPath, "status", "", "cluster status file (JSON)")
	f.StringVar(&at, "at", "", "schedule at this instant (RFC 3339)")
	f.StringVarP(&output, "output", "o", "text", "output format: text or json")
	addSocketFlag(c, &socket)
	return c
}
