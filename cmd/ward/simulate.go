package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/ward-ha/ward/policy"
)

// simInput is what simulate and explain read: the policy, the status and
// the instant to schedule at.
type simInput struct {
	cfg     *policy.Config
	st      policy.Status
	now     time.Time
	nowFrom string // "--at", "status execution_date" or "the current time"
}

// loadSimInput reads the policy and status files and resolves now.
func loadSimInput(policyPath, statusPath, at string) (*simInput, error) {
	if policyPath == "" {
		return nil, &usageError{cmd: "ward", err: fmt.Errorf("--policy is required")}
	}
	if statusPath == "" {
		return nil, &usageError{cmd: "ward", err: fmt.Errorf("--status is required")}
	}
	cfg, err := policy.Load(policyPath)
	if err != nil {
		return nil, fmt.Errorf("policy %s: %w", policyPath, err)
	}
	st, err := readStatus(statusPath)
	if err != nil {
		return nil, err
	}
	in := &simInput{cfg: cfg, st: st}
	switch {
	case at != "":
		t, err := parseAt(at)
		if err != nil {
			return nil, &usageError{cmd: "ward", err: err}
		}
		in.now, in.nowFrom = t, "--at"
	case st.ExecutionDate != nil:
		in.now, in.nowFrom = st.ExecutionDate.UTC(), "the status's execution_date"
	default:
		in.now, in.nowFrom = time.Now().UTC().Truncate(time.Second), "the current time (pass --at for a repeatable result)"
	}
	return in, nil
}

func parseAt(at string) (time.Time, error) {
	for _, layout := range []string{time.RFC3339, "2006-01-02T15:04:05", "2006-01-02T15:04", "2006-01-02"} {
		if t, err := time.Parse(layout, at); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, fmt.Errorf("--at %q is not a time; write RFC 3339, for example 2026-07-01T13:19:50Z", at)
}

func readStatus(path string) (policy.Status, error) {
	var st policy.Status
	f, err := os.Open(path)
	if err != nil {
		return st, fmt.Errorf("status: %w", err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, 256<<20))
	if err != nil {
		return st, fmt.Errorf("status %s: %w", path, err)
	}
	if err := json.Unmarshal(data, &st); err != nil {
		if se, ok := err.(*json.SyntaxError); ok {
			line := 1 + strings.Count(string(data[:se.Offset]), "\n")
			return st, fmt.Errorf("status %s:%d: %w", path, line, err)
		}
		return st, fmt.Errorf("status %s: %w", path, err)
	}
	return st, nil
}

func newSimulateCmd() *cobra.Command {
	var (
		policyPath, statusPath, at, output string
		down, unclean, fail                []string
		failures                           int
	)
	c := &cobra.Command{
		Use:   "simulate --policy FILE --status FILE",
		Short: "Show what ward would do for a policy and a cluster status",
		Long: `simulate runs the scheduler on a policy file and a status file (status.json,
as 'ward import cib' or a running cluster writes it) and prints the
transition: what to fence, stop, start, promote and demote, in order, and
the status once every action succeeded. It changes nothing.

The scheduler's "now" is --at, else the status's execution_date, else the
current time (then the output says so: date rules make it unrepeatable).

With --failures K it checks redundancy instead: from the state the
transition leads to, it loses every set of K online nodes in turn and lists
the resources that could no longer run (or be promoted).`,
		Example: `  ward simulate --policy policy.toml --status status.json
  ward simulate --policy policy.toml --status status.json --node-down node2 -o json
  ward simulate --policy policy.toml --status status.json --fail db@node1 --at 2026-07-01T12:00:00Z
  ward simulate --policy policy.toml --status status.json --failures 2`,
		Args: argsUsage(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if output != "text" && output != "json" {
				return &usageError{cmd: cmd.CommandPath(), err: fmt.Errorf("-o %q: use text or json", output)}
			}
			in, err := loadSimInput(policyPath, statusPath, at)
			if err != nil {
				return fixUsage(err, cmd)
			}
			for _, n := range down {
				if err := setNodeState(&in.st, in.cfg, n, policy.NodeOffline); err != nil {
					return &usageError{cmd: cmd.CommandPath(), err: err}
				}
			}
			for _, n := range unclean {
				if err := setNodeState(&in.st, in.cfg, n, policy.NodeUnclean); err != nil {
					return &usageError{cmd: cmd.CommandPath(), err: err}
				}
			}
			for _, f := range fail {
				if err := injectFailure(&in.st, in.cfg, f, in.now); err != nil {
					return &usageError{cmd: cmd.CommandPath(), err: err}
				}
			}
			out := cmd.OutOrStdout()
			if cmd.Flags().Changed("failures") {
				rep, err := policy.Redundancy(in.cfg, in.st, in.now, failures)
				if err != nil {
					return &usageError{cmd: cmd.CommandPath(), err: err}
				}
				return writeRedundancy(out, in, rep, output)
			}
			t := policy.Schedule(in.cfg, in.st, in.now)
			if output == "json" {
				return writeSimJSON(out, in, t)
			}
			writeSimText(out, in, t)
			return nil
		},
	}
	f := c.Flags()
	f.StringVar(&policyPath, "policy", "", "policy file (TOML)")
	f.StringVar(&statusPath, "status", "", "cluster status file (JSON)")
	f.StringVar(&at, "at", "", "schedule at this instant (RFC 3339)")
	f.StringArrayVar(&down, "node-down", nil, "treat NODE as cleanly down (repeatable)")
	f.StringArrayVar(&unclean, "node-unclean", nil, "treat NODE as lost and unclean (repeatable)")
	f.StringArrayVar(&fail, "fail", nil, "inject a failed monitor of RESOURCE@NODE (repeatable)")
	f.IntVar(&failures, "failures", 0, "instead of one transition, check every set of K nodes failing at once and list what could no longer run")
	f.StringVarP(&output, "output", "o", "text", "output format: text or json")
	return c
}

func writeRedundancy(w io.Writer, in *simInput, rep policy.RedundancyReport, output string) error {
	if output == "json" {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(rep)
	}
	fmt.Fprintf(w, "Scheduling at %s (from %s).\n\n", in.now.Format(time.RFC3339), in.nowFrom)
	fmt.Fprintf(w, "%d node(s) failing at once: %d set(s) examined, %d lose nothing.\n", rep.Failures, rep.Examined, rep.Safe)
	for _, c := range rep.Cases {
		var parts []string
		if len(c.Down) > 0 {
			parts = append(parts, "cannot run: "+strings.Join(c.Down, ", "))
		}
		if len(c.Demoted) > 0 {
			parts = append(parts, "no longer promoted anywhere: "+strings.Join(c.Demoted, ", "))
		}
		fmt.Fprintf(w, "  losing %s: %s\n", strings.Join(c.Lost, ", "), strings.Join(parts, "; "))
	}
	if len(rep.AtRisk) > 0 {
		fmt.Fprintf(w, "\nAt risk: %s.\n", strings.Join(rep.AtRisk, ", "))
	} else {
		fmt.Fprintf(w, "\nEvery resource survives any %d node failure(s).\n", rep.Failures)
	}
	return nil
}

func fixUsage(err error, cmd *cobra.Command) error {
	if ue, ok := err.(*usageError); ok {
		ue.cmd = cmd.CommandPath()
	}
	return err
}

func hasNode(cfg *policy.Config, st *policy.Status, name string) bool {
	for _, n := range cfg.Nodes {
		if n.Name == name {
			return true
		}
	}
	for _, n := range st.Nodes {
		if n.Name == name {
			return true
		}
	}
	return false
}

func nodeStatus(st *policy.Status, name string) *policy.NodeStatus {
	for i := range st.Nodes {
		if st.Nodes[i].Name == name {
			return &st.Nodes[i]
		}
	}
	st.Nodes = append(st.Nodes, policy.NodeStatus{Name: name, State: policy.NodeOffline})
	return &st.Nodes[len(st.Nodes)-1]
}

func setNodeState(st *policy.Status, cfg *policy.Config, name string, state policy.NodeState) error {
	if !hasNode(cfg, st, name) {
		return fmt.Errorf("node %q is not in the policy or the status", name)
	}
	nodeStatus(st, name).State = state
	return nil
}

func injectFailure(st *policy.Status, cfg *policy.Config, spec string, now time.Time) error {
	rsc, node, ok := strings.Cut(spec, "@")
	if !ok || rsc == "" || node == "" {
		return fmt.Errorf("--fail %q: write RESOURCE@NODE", spec)
	}
	if !hasNode(cfg, st, node) {
		return fmt.Errorf("--fail %q: node %q is not in the policy or the status", spec, node)
	}
	ns := nodeStatus(st, node)
	at := now
	rec := policy.OpRecord{Op: "monitor", RC: 1, At: &at, Output: "injected by ward simulate --fail"}
	for i := range ns.Resources {
		r := &ns.Resources[i]
		if r.ID == rsc {
			r.Failed = true
			r.FailCount++
			r.LastFailure = &at
			r.Failures = append(r.Failures, rec)
			if r.Role == policy.RoleStopped || r.Role == policy.RoleUnknown {
				r.Role = policy.RoleStarted
			}
			return nil
		}
	}
	ns.Resources = append(ns.Resources, policy.ResourceStatus{ID: rsc, Role: policy.RoleStarted, Failed: true,
		FailCount: 1, LastFailure: &at, Failures: []policy.OpRecord{rec}})
	return nil
}

// simJSON is simulate's JSON output.
type simJSON struct {
	Now         time.Time         `json:"now"`
	NowSource   string            `json:"now_source"`
	Placements  [][3]string       `json:"placements"`
	Fenced      []string          `json:"fenced"`
	Nodes       map[string]string `json:"nodes"`
	Failed      [][2]string       `json:"failed"`
	Actions     []policy.Action   `json:"actions"`
	Edges       []policy.Edge     `json:"edges"`
	NextRecheck *time.Time        `json:"next_recheck,omitempty"`
	Warnings    []string          `json:"warnings,omitempty"`
	Status      policy.Status     `json:"status"`
}

func writeSimJSON(w io.Writer, in *simInput, t policy.Transition) error {
	o := simJSON{Now: in.now, NowSource: in.nowFrom, Fenced: t.Fenced, Nodes: map[string]string{},
		Actions: t.Actions, Edges: t.Edges, NextRecheck: t.NextRecheck, Warnings: t.Warnings,
		Status: t.Apply(in.st)}
	o.Placements = make([][3]string, 0, len(t.Placements))
	for _, p := range t.Placements {
		o.Placements = append(o.Placements, [3]string{p.Resource, string(p.Role), p.Node})
	}
	for _, n := range t.Nodes {
		o.Nodes[n.Name] = n.State
	}
	o.Failed = make([][2]string, 0, len(t.Failed))
	for _, f := range t.Failed {
		o.Failed = append(o.Failed, [2]string{f.Resource, f.Node})
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(o)
}

func writeSimText(w io.Writer, in *simInput, t policy.Transition) {
	fmt.Fprintf(w, "Scheduling at %s (from %s).\n\n", in.now.Format(time.RFC3339), in.nowFrom)
	lines := policy.Summarize(t, in.st)
	fmt.Fprintln(w, "Transition summary:")
	if len(lines) == 0 {
		fmt.Fprintln(w, "  nothing to do")
	}
	for _, l := range lines {
		fmt.Fprintln(w, "  *", l)
	}
	if len(t.Actions) > 0 {
		fmt.Fprintln(w, "\nActions, in order:")
		for _, a := range t.Actions {
			fmt.Fprintln(w, "  ", policy.FormatAction(a))
		}
	}
	fmt.Fprintln(w, "\nAfterwards:")
	for _, n := range t.Nodes {
		fmt.Fprintf(w, "  node %-20s %s\n", n.Name, n.State)
	}
	for _, p := range t.Placements {
		fmt.Fprintf(w, "  %-28s %-11s %s\n", p.Resource, p.Role, p.Node)
	}
	for _, f := range t.Failed {
		fmt.Fprintf(w, "  %-28s FAILED      %s\n", f.Resource, f.Node)
	}
	if t.NextRecheck != nil {
		fmt.Fprintf(w, "\nThe answer may change at %s (date rule or failure timeout).\n", t.NextRecheck.Format(time.RFC3339))
	}
	if len(t.Warnings) > 0 {
		fmt.Fprintln(w, "\nWarnings:")
		for _, s := range t.Warnings {
			fmt.Fprintln(w, "  !", s)
		}
	}
}
