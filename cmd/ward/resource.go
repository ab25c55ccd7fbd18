package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/ward-ha/ward/api"
	"github.com/ward-ha/ward/policy"
)

// newResourceCmd returns `ward resource`: move, ban, clear, start, stop,
// restart, cleanup and list.
func newResourceCmd() *cobra.Command {
	c := &cobra.Command{
		Use:   "resource",
		Short: "Move, ban, stop, start, restart or clean up a resource",
		Long: `resource changes a resource through the local ward daemon, which must be the
DC (the command says which node is when it is not).

move, ban, clear, start and stop change the live policy: the DC adds or
removes a location constraint (ids cli-prefer-RESOURCE and
cli-ban-RESOURCE-on-NODE) or sets the resource's target_role, and
distributes the policy with the next epoch, exactly like ward policy apply.
The live policy is rewritten in normalized form (comments are not kept).
move and ban take --for DURATION: the constraint then lapses by itself, so
a move does not leave a forgotten constraint behind. ward resource list
shows the constraints moves and bans created; clear removes them.

cleanup forgets the resource's failures (fail counts, failed actions) on
every node, or on NODE: ward then tries it again where failures had
banned it.

Every command takes --wait: follow the resulting transition and exit 0
only once the cluster has settled as intended.`,
		Example: `  ward resource move db n2 --for 2h --wait
  ward resource ban web n1
  ward resource clear db
  ward resource restart web --wait
  ward resource cleanup db
  ward resource list`,
		Args: argsUsage(cobra.NoArgs),
		RunE: func(c *cobra.Command, _ []string) error {
			return &usageError{cmd: c.CommandPath(), err: fmt.Errorf("missing subcommand (move, ban, clear, start, stop, restart, cleanup or list)")}
		},
	}
	c.AddCommand(
		newResourceActionCmd(api.ResourceMove, "move RESOURCE [NODE]", "Move a resource to NODE, or away from where it runs", cobra.RangeArgs(1, 2)),
		newResourceActionCmd(api.ResourceBan, "ban RESOURCE [NODE]", "Keep a resource off NODE (default: the node it runs on)", cobra.RangeArgs(1, 2)),
		newResourceActionCmd(api.ResourceClear, "clear RESOURCE [NODE]", "Remove the constraints move and ban created for a resource", cobra.RangeArgs(1, 2)),
		newResourceActionCmd(api.ResourceStart, "start RESOURCE", "Let a stopped resource run again (clear its target_role)", cobra.ExactArgs(1)),
		newResourceActionCmd(api.ResourceStop, "stop RESOURCE", "Stop a resource everywhere (target_role = Stopped)", cobra.ExactArgs(1)),
		newResourceActionCmd(api.ResourceCleanup, "cleanup RESOURCE [NODE]", "Forget a resource's failures on every node (or NODE)", cobra.RangeArgs(1, 2)),
		newResourceRestartCmd(),
		newResourceListCmd(),
	)
	return c
}

func newResourceActionCmd(action api.ResourceAction, use, short string, args cobra.PositionalArgs) *cobra.Command {
	var socket, format, forDur string
	var wo waitOptions
	c := &cobra.Command{
		Use:   use,
		Short: short,
		Long: short + `.

Exit status: 0 when the DC recorded the change (with --wait: once the
cluster settled as intended), 1 when the daemon refused it (unknown
resource or node, no quorum, not the DC), could not be reached, or the
cluster did not settle in time, 2 on usage errors.`,
		Args: argsUsage(args),
		RunE: func(c *cobra.Command, args []string) error {
			if err := checkTextJSON(c, format); err != nil {
				return err
			}
			req := api.ResourceRequest{Resource: args[0], Action: action, For: forDur}
			if len(args) > 1 {
				req.Node = args[1]
			}
			if err := req.Check(); err != nil {
				return &usageError{cmd: c.CommandPath(), err: fmt.Errorf("%s", err.(*api.Error).Message)}
			}
			ctx, stop := signalContext(c.Context())
			defer stop()
			cl := api.NewClient(socket)
			defer cl.CloseIdleConnections()
			return runResourceAction(ctx, c.OutOrStdout(), cl, socket, req, format, wo, useColor(c.OutOrStdout()))
		},
	}
	addSocketFlag(c, &socket)
	c.Flags().StringVarP(&format, "output", "o", "text", "output format: text or json")
	if action == api.ResourceMove || action == api.ResourceBan {
		c.Flags().StringVar(&forDur, "for", "", "let the constraint lapse after this long (e.g. 30m, 2h)")
	}
	addWaitFlags(c, &wo)
	return c
}

// runResourceAction sends req, prints the answer and, with --wait,
// follows the transition.
func runResourceAction(ctx context.Context, out io.Writer, cl api.Backend, socket string, req api.ResourceRequest, format string, wo waitOptions, color bool) error {
	var ws waitStart
	var before api.ClusterStatus
	if wo.wait || req.Node == "" {
		var err error
		if before, err = cl.Status(ctx); err != nil {
			return daemonError(socket, err)
		}
		ws = newWaitStart(before)
	}
	tg := resolveTarget(ctx, cl, req.Resource)
	res, err := cl.ResourceAction(ctx, req)
	if err != nil {
		return daemonError(socket, err)
	}
	if format == "json" {
		if err := json.NewEncoder(out).Encode(res); err != nil {
			return err
		}
	} else {
		renderResourceResult(out, req, res, color)
	}
	if !wo.wait {
		return nil
	}
	var want intent
	switch req.Action {
	case api.ResourceMove:
		if req.Node != "" {
			want = runsOn(tg, req.Node)
		} else {
			from := nodesOf(before, tg)
			want = func(st api.ClusterStatus) (bool, string) {
				for _, n := range from {
					if ok, why := notOn(tg, n)(st); !ok {
						return false, why
					}
				}
				return true, ""
			}
		}
	case api.ResourceBan:
		node := req.Node
		if node == "" && len(res.Added) == 1 {
			node = strings.TrimPrefix(res.Added[0], api.BanPrefix+req.Resource+"-on-")
		}
		want = notOn(tg, node)
	case api.ResourceStop:
		want = stopped(tg)
	case api.ResourceStart:
		want = runsSomewhere(tg)
	case api.ResourceCleanup:
		want = func(st api.ClusterStatus) (bool, string) {
			for _, f := range st.FailedActions {
				if tg.match(api.ResourceInfo{ID: f.Resource}) && (req.Node == "" || f.Node == req.Node) {
					return false, fmt.Sprintf("the failure of %s %s on %s is still counted", f.Resource, f.Op, f.Node)
				}
			}
			return true, ""
		}
	}
	sink := out
	if format == "json" {
		sink = io.Discard
	}
	return followTransition(ctx, sink, cl, socket, wo, res.Epoch, ws, want, color)
}

// nodesOf returns the nodes where t is active in st.
func nodesOf(st api.ClusterStatus, t target) []string {
	var out []string
	for _, r := range st.Resources {
		if r.Node != "" && t.match(r) {
			out = append(out, r.Node)
		}
	}
	return out
}

// resolveTarget reads the live policy to learn what id stands for (a
// group's members, a clone's primitive); when it cannot, id alone.
func resolveTarget(ctx context.Context, cl api.Backend, id string) target {
	t := target{id: id}
	pi, err := cl.Policy(ctx)
	if err != nil {
		return t
	}
	cfg, err := policy.Parse("live policy", []byte(pi.Source))
	if err != nil {
		return t
	}
	var expand func(string) []string
	expand = func(id string) []string {
		for _, g := range cfg.Groups {
			if g.ID == id {
				return g.Members
			}
		}
		for _, c := range cfg.Clones {
			if c.ID == id {
				return expand(c.Resource)
			}
		}
		return []string{id}
	}
	t.ids = expand(id)
	return t
}

// renderResourceResult prints what the DC did.
func renderResourceResult(w io.Writer, req api.ResourceRequest, res api.ResourceResult, color bool) {
	p := painter(color)
	switch req.Action {
	case api.ResourceCleanup:
		fmt.Fprintf(w, "%s: failures cleared on %s\n", res.Resource, orText(strings.Join(res.Nodes, ", "), "no node"))
		return
	case api.ResourceMove, api.ResourceBan, api.ResourceClear:
		for _, id := range res.Added {
			line := "added " + id
			if res.Expires != nil {
				line += ", expires " + res.Expires.Local().Format(time.RFC3339)
			} else if req.Action != api.ResourceClear {
				line += " (until ward resource clear " + res.Resource + ")"
			}
			fmt.Fprintf(w, "%s: %s\n", res.Resource, line)
		}
		for _, id := range res.Removed {
			fmt.Fprintf(w, "%s: removed %s\n", res.Resource, id)
		}
		if len(res.Added)+len(res.Removed) == 0 {
			fmt.Fprintf(w, "%s: no constraint to remove\n", res.Resource)
		}
	case api.ResourceStart:
		fmt.Fprintf(w, "%s: may run again (target_role cleared)\n", res.Resource)
	case api.ResourceStop:
		fmt.Fprintf(w, "%s: stopping everywhere (target_role = Stopped)\n", res.Resource)
	}
	if res.Applied {
		fmt.Fprintf(w, "live policy is now epoch %d\n", res.Epoch)
	} else {
		fmt.Fprintf(w, "live policy unchanged (epoch %d)\n", res.Epoch)
	}
	if len(res.Actions) == 0 {
		fmt.Fprintln(w, "nothing to do")
	} else {
		fmt.Fprintf(w, "%d actions planned:\n", len(res.Actions))
		for _, a := range res.Actions {
			fmt.Fprintf(w, "  %s\n", plannedText(a))
		}
	}
	for _, warn := range res.Warnings {
		fmt.Fprintln(w, p.paint(ansiYellow, "warning: "+warn))
	}
}

func plannedText(a api.PlannedAction) string {
	s := a.Kind
	if a.Resource != "" {
		s += " " + a.Resource
	}
	if a.Interval != "" {
		s += " every " + a.Interval
	}
	s += " on " + a.Node
	return s
}

func newResourceRestartCmd() *cobra.Command {
	var socket string
	var wo waitOptions
	c := &cobra.Command{
		Use:   "restart RESOURCE",
		Short: "Stop a resource everywhere, wait until it stopped, then start it again",
		Long: `restart stops RESOURCE (target_role = Stopped), waits until it is stopped
everywhere, then clears the target_role again so it starts where the policy
wants it. Each step is a policy change on the DC. With --wait it also waits
until the resource runs again.

Exit status: 0 when restarted, 1 when the daemon refused or the cluster did
not settle within --wait-timeout, 2 on usage errors.`,
		Args: argsUsage(cobra.ExactArgs(1)),
		RunE: func(c *cobra.Command, args []string) error {
			ctx, stop := signalContext(c.Context())
			defer stop()
			cl := api.NewClient(socket)
			defer cl.CloseIdleConnections()
			out, color := c.OutOrStdout(), useColor(c.OutOrStdout())
			first := wo
			first.wait = true
			if err := runResourceAction(ctx, out, cl, socket, api.ResourceRequest{Resource: args[0], Action: api.ResourceStop}, "text", first, color); err != nil {
				return err
			}
			return runResourceAction(ctx, out, cl, socket, api.ResourceRequest{Resource: args[0], Action: api.ResourceStart}, "text", wo, color)
		},
	}
	addSocketFlag(c, &socket)
	addWaitFlags(c, &wo)
	return c
}

func newResourceListCmd() *cobra.Command {
	var socket, format string
	c := &cobra.Command{
		Use:   "list",
		Short: "List resources and the constraints move and ban created",
		Args:  argsUsage(cobra.NoArgs),
		RunE: func(c *cobra.Command, _ []string) error {
			if err := checkTextJSON(c, format); err != nil {
				return err
			}
			ctx, stop := signalContext(c.Context())
			defer stop()
			cl := api.NewClient(socket)
			defer cl.CloseIdleConnections()
			pi, err := cl.Policy(ctx)
			if err != nil {
				return daemonError(socket, err)
			}
			st, err := cl.Status(ctx)
			if err != nil {
				return daemonError(socket, err)
			}
			cfg, err := policy.Parse("live policy", []byte(pi.Source))
			if err != nil {
				return &exitError{code: 1, msg: fmt.Sprintf("the live policy (epoch %d) does not parse here: %v", pi.Epoch, err)}
			}
			return renderResourceList(c.OutOrStdout(), cfg, st, format, time.Now())
		},
	}
	addSocketFlag(c, &socket)
	c.Flags().StringVarP(&format, "output", "o", "text", "output format: text or json")
	return c
}

// cliConstraint is one constraint created by move or ban.
type cliConstraint struct {
	ID       string `json:"id"`
	Resource string `json:"resource"`
	Node     string `json:"node"`
	Kind     string `json:"kind"` // prefer or ban
	Expires  string `json:"expires,omitempty"`
	Expired  bool   `json:"expired,omitempty"`
}

// cliConstraints returns the constraints of cfg that move and ban made.
func cliConstraints(cfg *policy.Config, now time.Time) []cliConstraint {
	var out []cliConstraint
	for _, l := range cfg.Locations {
		kind := ""
		switch {
		case strings.HasPrefix(l.ID, api.PreferPrefix):
			kind = "prefer"
		case strings.HasPrefix(l.ID, api.BanPrefix):
			kind = "ban"
		default:
			continue
		}
		cc := cliConstraint{ID: l.ID, Resource: l.Resource, Node: l.Node, Kind: kind, Expires: l.Expires}
		if t, err := time.Parse(time.RFC3339, l.Expires); err == nil && !now.Before(t) {
			cc.Expired = true
		}
		out = append(out, cc)
	}
	return out
}

func renderResourceList(w io.Writer, cfg *policy.Config, st api.ClusterStatus, format string, now time.Time) error {
	cons := cliConstraints(cfg, now)
	if format == "json" {
		return json.NewEncoder(w).Encode(struct {
			Resources   []api.ResourceInfo `json:"resources"`
			Constraints []cliConstraint    `json:"constraints"`
		}{st.Resources, cons})
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "RESOURCE\tROLE\tNODE\tAGENT")
	for _, r := range st.Resources {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", r.ID, r.Role, orText(r.Node, "-"), r.Primitive)
	}
	tw.Flush()
	fmt.Fprintln(w)
	if len(cons) == 0 {
		fmt.Fprintln(w, "No constraints from move or ban.")
		return nil
	}
	fmt.Fprintln(w, "Constraints from move and ban (remove with ward resource clear RESOURCE):")
	tw = tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tRESOURCE\tNODE\tKIND\tEXPIRES")
	for _, c := range cons {
		exp := "never"
		if c.Expires != "" {
			exp = c.Expires
			if c.Expired {
				exp += " (lapsed)"
			}
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", c.ID, c.Resource, c.Node, c.Kind, exp)
	}
	return tw.Flush()
}
