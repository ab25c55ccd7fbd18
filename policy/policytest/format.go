package policytest

import (
	"fmt"
	"strings"
	"time"

	"github.com/ward-ha/ward/policy"
)

// FormatTransition renders t for golden files: one action per line in
// execution order with what it waits for, then the placement, the fenced
// nodes, the still-failed instances, the recheck time and the warnings.
func FormatTransition(t policy.Transition) string {
	var b strings.Builder
	deps := make([][]int, len(t.Actions))
	for _, e := range t.Edges {
		deps[e.After] = append(deps[e.After], e.Before)
	}
	for _, a := range t.Actions {
		line := actionLine(a)
		if len(deps[a.ID]) > 0 {
			var ds []string
			for _, d := range deps[a.ID] {
				ds = append(ds, fmt.Sprint(d))
			}
			line += " after " + strings.Join(ds, ",")
		}
		fmt.Fprintf(&b, "%d: %s\n", a.ID, line)
	}
	if len(t.Actions) == 0 {
		b.WriteString("no actions\n")
	}
	b.WriteString("placement:\n")
	for _, p := range t.Placements {
		fmt.Fprintf(&b, "  %s %s %s\n", p.Resource, p.Role, p.Node)
	}
	if len(t.Placements) == 0 {
		b.WriteString("  (nothing runs)\n")
	}
	if len(t.Fenced) > 0 {
		fmt.Fprintf(&b, "fenced: %s\n", strings.Join(t.Fenced, " "))
	}
	for _, f := range t.Failed {
		fmt.Fprintf(&b, "failed: %s on %s\n", f.Resource, f.Node)
	}
	if t.NextRecheck != nil {
		fmt.Fprintf(&b, "recheck: %s\n", t.NextRecheck.UTC().Format(time.RFC3339))
	}
	for _, w := range t.Warnings {
		fmt.Fprintf(&b, "warning: %s\n", w)
	}
	return b.String()
}

func actionLine(a policy.Action) string {
	switch a.Kind {
	case policy.ActionFence:
		return "fence " + a.Node
	case policy.ActionMonitor:
		return fmt.Sprintf("monitor %s on %s every %s", a.Resource, a.Node, a.Interval)
	}
	s := fmt.Sprintf("%s %s on %s", a.Kind, a.Resource, a.Node)
	if a.Implied {
		s += " (by fencing)"
	}
	return s
}
