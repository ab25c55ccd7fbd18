package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/ward-ha/ward/api"
	"github.com/ward-ha/ward/policy"
)

// addLivePolicyCmds adds the commands that talk to the running daemon to
// `ward policy`: `apply FILE [--dry-run]`, and `--live` on `show` (the
// live policy instead of a file). newPolicyCmd calls it.
func addLivePolicyCmds(policyCmd *cobra.Command) {
	policyCmd.Long += `

apply and show --live are the exception: they talk to the local ward
daemon, to change or print the policy the cluster runs.`
	policyCmd.Example += "\n  ward policy apply --dry-run /etc/ward/policy.toml"
	policyCmd.AddCommand(newPolicyApplyCmd())
	for _, sub := range policyCmd.Commands() {
		if sub.Name() == "show" {
			addShowLive(sub)
		}
	}
}

func newPolicyApplyCmd() *cobra.Command {
	var socket, format string
	var dryRun bool
	var wo waitOptions
	c := &cobra.Command{
		Use:   "apply FILE",
		Short: "Validate a policy file and make it the cluster's live policy",
		Long: `apply checks FILE locally first (as ward policy check does) and then sends
it to the local ward daemon, which validates it again, simulates the
transition it causes on the current cluster state and, unless --dry-run is
given, distributes it to every node with the next policy epoch. It prints
the difference from the live policy (normalized, secrets redacted) and the
actions the new policy causes.

The daemon refuses a policy when its partition has no quorum or no DC is
elected: nothing changes then.

Exit status: 0 when applied (or, with --dry-run, when it would be
accepted), 1 when the file is invalid, the daemon refused it or could not
be reached, 2 on usage errors.`,
		Example: `  ward policy apply --dry-run /etc/ward/policy.toml   # see what would happen
  ward policy apply /etc/ward/policy.toml`,
		Args: argsUsage(cobra.ExactArgs(1)),
		RunE: func(c *cobra.Command, args []string) error {
			if err := checkTextJSON(c, format); err != nil {
				return err
			}
			file := args[0]
			if _, err := policy.Load(file); err != nil {
				printPolicyErrors(c.ErrOrStderr(), err)
				return &exitError{code: 1, msg: fmt.Sprintf("%s is invalid: nothing was sent to the daemon", file)}
			}
			src, err := os.ReadFile(file)
			if err != nil {
				return &exitError{code: 1, msg: fmt.Sprintf("policy apply: %v", err)}
			}
			ctx, stop := signalContext(c.Context())
			defer stop()
			cl := api.NewClient(socket)
			defer cl.CloseIdleConnections()
			var ws waitStart
			if wo.wait && !dryRun {
				if ws, err = snapshotBefore(ctx, cl); err != nil {
					return daemonError(socket, err)
				}
			}
			res, err := cl.ApplyPolicy(ctx, api.ApplyRequest{Source: string(src), DryRun: dryRun})
			if err != nil {
				return daemonError(socket, err)
			}
			out := c.OutOrStdout()
			if format == "json" {
				enc := json.NewEncoder(out)
				enc.SetIndent("", "  ")
				if err := enc.Encode(res); err != nil {
					return err
				}
			} else {
				renderApply(out, file, dryRun, res, useColor(out))
			}
			if !wo.wait || dryRun || !res.Applied {
				return nil
			}
			if format == "json" {
				out = io.Discard
			}
			return followTransition(ctx, out, cl, socket, wo, res.Epoch, ws, nil, useColor(c.OutOrStdout()))
		},
	}
	addWaitFlags(c, &wo)
	addSocketFlag(c, &socket)
	c.Flags().BoolVar(&dryRun, "dry-run", false, "show the diff and the simulated transition; change nothing")
	c.Flags().StringVarP(&format, "output", "o", "text", "output format: text or json")
	return c
}

// renderApply prints the diff, the simulated actions and the outcome.
func renderApply(w io.Writer, file string, dryRun bool, res api.ApplyResult, color bool) {
	p := painter(color)
	if res.Diff == "" {
		fmt.Fprintln(w, "No change from the live policy.")
	} else {
		fmt.Fprintln(w, p.paint(ansiBold, "Changes from the live policy:"))
		for _, line := range diffContext(res.Diff, 2) {
			switch {
			case strings.HasPrefix(line, "+"):
				line = p.paint(ansiGreen, line)
			case strings.HasPrefix(line, "-"):
				line = p.paint(ansiRed, line)
			}
			fmt.Fprintln(w, line)
		}
	}
	fmt.Fprintln(w)
	if len(res.Actions) == 0 {
		fmt.Fprintln(w, "Transition: nothing to do.")
	} else {
		fmt.Fprintln(w, p.paint(ansiBold, fmt.Sprintf("Transition (%d actions):", len(res.Actions))))
		for _, a := range res.Actions {
			what := a.Kind
			if a.Resource != "" {
				what += " " + a.Resource
			}
			if a.Interval != "" {
				what += " every " + a.Interval
			}
			line := fmt.Sprintf("  %3d  %s on %s", a.ID, what, a.Node)
			if a.Reason != "" {
				line += "  (" + a.Reason + ")"
			}
			fmt.Fprintln(w, line)
		}
	}
	for _, warn := range res.Warnings {
		fmt.Fprintln(w, p.paint(ansiYellow, "warning: "+warn))
	}
	switch {
	case dryRun:
		fmt.Fprintf(w, "\nDry run: %s would be accepted; nothing was changed (live epoch %d).\n", file, res.Epoch)
	case res.Applied:
		fmt.Fprintf(w, "\nApplied %s as policy epoch %d.\n", file, res.Epoch)
	default:
		fmt.Fprintf(w, "\n%s is the live policy already (epoch %d); nothing was changed.\n", file, res.Epoch)
	}
}

// addShowLive adds --live and --socket to `ward policy show`: with
// --live it takes no FILE and prints the daemon's live policy.
func addShowLive(show *cobra.Command) {
	var live bool
	var socket string
	show.Flags().BoolVar(&live, "live", false, "print the running cluster's live policy (from the local daemon) instead of FILE")
	addSocketFlag(show, &socket)
	show.Use = "show FILE | --live"
	show.Example += "\n  ward policy show --live"
	show.Long += `

With --live it prints the policy the cluster runs, as the local daemon
holds it (secrets redacted), preceded by a comment with its epoch.`
	fileArgs, fileRun := show.Args, show.RunE
	show.Args = func(c *cobra.Command, args []string) error {
		if live {
			return argsUsage(cobra.NoArgs)(c, args)
		}
		return fileArgs(c, args)
	}
	show.RunE = func(c *cobra.Command, args []string) error {
		if !live {
			return fileRun(c, args)
		}
		format, _ := c.Flags().GetString("output")
		if format != "toml" && format != "json" {
			return &usageError{cmd: c.CommandPath(), err: fmt.Errorf("-o %q: write -o toml or -o json", format)}
		}
		ctx, stop := signalContext(c.Context())
		defer stop()
		cl := api.NewClient(socket)
		defer cl.CloseIdleConnections()
		info, err := cl.Policy(ctx)
		if err != nil {
			return daemonError(socket, err)
		}
		out := c.OutOrStdout()
		if format == "json" {
			enc := json.NewEncoder(out)
			enc.SetIndent("", "  ")
			return enc.Encode(info)
		}
		fmt.Fprintf(out, "# live policy, epoch %d", info.Epoch)
		if info.SHA256 != "" {
			fmt.Fprintf(out, ", sha256 %.12s", info.SHA256)
		}
		fmt.Fprintln(out)
		io.WriteString(out, info.Source)
		if !strings.HasSuffix(info.Source, "\n") {
			fmt.Fprintln(out)
		}
		return nil
	}
}

// diffContext keeps the changed lines of a line diff (" ", "-", "+"
// prefixes) and n unchanged lines around each, with "..." where lines
// were left out.
func diffContext(diff string, n int) []string {
	lines := strings.Split(strings.TrimSuffix(diff, "\n"), "\n")
	keep := make([]bool, len(lines))
	for i, l := range lines {
		if strings.HasPrefix(l, "+") || strings.HasPrefix(l, "-") {
			for j := max(0, i-n); j <= min(len(lines)-1, i+n); j++ {
				keep[j] = true
			}
		}
	}
	var out []string
	skipped := false
	for i, l := range lines {
		if !keep[i] {
			skipped = true
			continue
		}
		if skipped {
			out = append(out, "  ...")
		}
		skipped = false
		out = append(out, l)
	}
	if skipped && len(out) > 0 {
		out = append(out, "  ...")
	}
	return out
}
