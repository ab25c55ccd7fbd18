package main

import (
	"fmt"
	"io"
	"runtime/debug"

	"github.com/spf13/cobra"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

func newRootCmd(stdout, stderr io.Writer) *cobra.Command {
	root := &cobra.Command{
		Use:   "ward",
		Short: "ward keeps services highly available on a cluster of Linux machines",
		Long: `ward is a cluster resource manager: it watches every node over a gossip
heartbeat, decides from a policy file where each resource must run, drives
the resource agents, and fences nodes that die or hang before their
resources move.`,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetOut(stdout)
	root.SetErr(stderr)
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error {
		return &usageError{cmd: c.CommandPath(), err: err}
	})
	root.AddCommand(
		newVersionCmd(),
		newPolicyCmd(),
		newAgentCmd(),
		newSimulateCmd(),
		newExplainCmd(),
		newImportCmd(),
		newKeyCmd(),
		newDaemonCmd(),
		newStatusCmd(),
		newNodeCmd(),
		newDemoCmd(),
		newResourceCmd(),
		newClusterCmd(),
		newEventsCmd(),
		newReportCmd(),
		newFenceCmd(),
		newWitnessCmd(),
		newLabCmd(),
		newWatchdogSimCmd(),
		newSimCmd(),
	)
	return root
}

// argsUsage wraps a cobra.PositionalArgs so that its error is a usage
// error (exit 2).
func argsUsage(check cobra.PositionalArgs) cobra.PositionalArgs {
	return func(c *cobra.Command, args []string) error {
		if err := check(c, args); err != nil {
			return &usageError{cmd: c.CommandPath(), err: err}
		}
		return nil
	}
}

func newVersionCmd() *cobra.Command {
	return &cobra.Command{
		Use:     "version",
		Short:   "Print ward's version",
		Example: "  ward version",
		Args:    argsUsage(cobra.NoArgs),
		RunE: func(c *cobra.Command, _ []string) error {
			v := version
			if bi, ok := debug.ReadBuildInfo(); ok && v == "dev" {
				v = "dev (" + bi.GoVersion + ")"
			}
			fmt.Fprintln(c.OutOrStdout(), "ward", v)
			return nil
		},
	}
}
