package policy

import (
	"fmt"
	"sort"
	"strings"
)

// This file renders a transition for people: one summary line per
// resource instance ("Move db (node1 -> node2)") and one line per action.

// FormatAction renders one action as a line: "stop db on node1 (failed)".
func FormatAction(a Action) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%3d  ", a.ID)
	switch a.Kind {
	case ActionFence:
		fmt.Fprintf(&b, "fence %s", a.Node)
	case ActionMonitor:
		fmt.Fprintf(&b, "monitor %s on %s every %s", a.Resource, a.Node, a.Interval)
	default:
		fmt.Fprintf(&b, "%s %s on %s", a.Kind, a.Resource, a.Node)
	}
	if a.Implied {
		b.WriteString(" [done by fencing]")
	}
	if a.Reason != "" {
		fmt.Fprintf(&b, " (%s)", a.Reason)
	}
	return b.String()
}

// Summarize returns one line per fenced node and per resource instance
// that changes, in the style of crm_simulate's transition summary.
func Summarize(t Transition, st Status) []string {
	type change struct {
		stops, starts   []string
		promote, demote []string
		failed, implied bool
		clear           []string
	}
	failed := map[[2]string]bool{}
	for _, n := range st.Nodes {
		for _, r := range n.Resources {
			if r.Failed || r.FailedStop {
				failed[[2]string{r.ID, n.Name}] = true
			}
		}
	}
	var out []string
	ch := map[string]*change{}
	var ids []string
	get := func(id string) *change {
		c := ch[id]
		if c == nil {
			c = &change{}
			ch[id] = c
			ids = append(ids, id)
		}
		return c
	}
	for _, a := range t.Actions {
		switch a.Kind {
		case ActionFence:
			out = append(out, fmt.Sprintf("Fence %s: %s", a.Node, a.Reason))
		case ActionStop:
			c := get(a.Resource)
			c.stops = append(c.stops, a.Node)
			if failed[[2]string{a.Resource, a.Node}] {
				c.failed = true
			}
			c.implied = c.implied || a.Implied
		case ActionStart:
			c := get(a.Resource)
			c.starts = append(c.starts, a.Node)
		case ActionPromote:
			get(a.Resource).promote = append(get(a.Resource).promote, a.Node)
		case ActionDemote:
			get(a.Resource).demote = append(get(a.Resource).demote, a.Node)
		case ActionClearFailcount:
			get(a.Resource).clear = append(get(a.Resource).clear, a.Node)
		}
	}
	sort.Strings(ids)
	for _, id := range ids {
		c := ch[id]
		verb := ""
		where := ""
		switch {
		case len(c.stops) > 0 && len(c.starts) > 0:
			from, to := strings.Join(c.stops, ", "), strings.Join(c.starts, ", ")
			switch {
			case c.failed:
				verb = "Recover"
			case from == to:
				verb = "Restart"
			default:
				verb = "Move"
			}
			if from == to {
				where = to
			} else {
				where = from + " -> " + to
			}
		case len(c.stops) > 0:
			verb, where = "Stop", strings.Join(c.stops, ", ")
		case len(c.starts) > 0:
			verb, where = "Start", strings.Join(c.starts, ", ")
		}
		if verb != "" {
			line := fmt.Sprintf("%s %s (%s)", verb, id, where)
			if len(c.promote) > 0 {
				line += " and promote"
			}
			if c.implied {
				line += " after fencing"
			}
			out = append(out, line)
		} else {
			if len(c.promote) > 0 {
				out = append(out, fmt.Sprintf("Promote %s (%s)", id, strings.Join(c.promote, ", ")))
			}
			if len(c.demote) > 0 {
				out = append(out, fmt.Sprintf("Demote %s (%s)", id, strings.Join(c.demote, ", ")))
			}
		}
		if len(c.clear) > 0 {
			out = append(out, fmt.Sprintf("Clear fail count of %s (%s): failure_timeout expired", id, strings.Join(c.clear, ", ")))
		}
	}
	return out
}
