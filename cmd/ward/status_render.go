package main

import (
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/ward-ha/ward/api"
)

// ANSI colours for status output on a terminal.
const (
	ansiReset  = "\x1b[0m"
	ansiBold   = "\x1b[1m"
	ansiRed    = "\x1b[31m"
	ansiGreen  = "\x1b[32m"
	ansiYellow = "\x1b[33m"
	ansiDim    = "\x1b[2m"
)

// painter colours text when writing to a terminal and does nothing
// otherwise.
type painter bool

func (p painter) paint(color, s string) string {
	if !p || s == "" {
		return s
	}
	return color + s + ansiReset
}

// renderStatus prints st as one screen.
func renderStatus(w io.Writer, st api.ClusterStatus, color bool) {
	var b strings.Builder
	writeStatus(&b, st, color)
	// Tables pad their last, often empty, column: drop trailing blanks.
	lines := strings.SplitAfter(b.String(), "\n")
	for i, l := range lines {
		if strings.HasSuffix(l, "\n") {
			lines[i] = strings.TrimRight(l[:len(l)-1], " ") + "\n"
		}
	}
	io.WriteString(w, strings.Join(lines, ""))
}

func writeStatus(w io.Writer, st api.ClusterStatus, color bool) {
	p := painter(color)
	fmt.Fprintf(w, "%s %s   seen by %s   policy epoch %d   term %d   %s\n",
		p.paint(ansiBold, "Cluster"), p.paint(ansiBold, st.Cluster), st.Node, st.PolicyEpoch, st.Term, formatAt(st.At))
	q := st.Quorum
	quorum := p.paint(ansiGreen, "yes")
	if !q.Quorate {
		quorum = p.paint(ansiRed, "NO")
	}
	fmt.Fprintf(w, "Quorum   %s: %d of %d votes present, %d needed\n", quorum, q.Votes, q.Expected, q.Needed)
	dc := st.DC
	if dc == "" {
		dc = p.paint(ansiRed, "none elected")
	}
	fmt.Fprintf(w, "DC       %s\n", dc)
	writeFencingFailures(w, p, st)
	if t := st.Transition; t != nil {
		if t.Total == 0 {
			fmt.Fprintf(w, "Transition %d   %s, nothing to do", t.ID, t.State)
		} else {
			fmt.Fprintf(w, "Transition %d   %s, %d of %d actions done", t.ID, t.State, t.Done, t.Total)
		}
		if t.Failed > 0 {
			fmt.Fprintf(w, ", %s", p.paint(ansiRed, fmt.Sprintf("%d failed", t.Failed)))
		}
		fmt.Fprintln(w)
	}

	fmt.Fprintf(w, "\n%s\n", p.paint(ansiBold, fmt.Sprintf("Nodes (%d)", len(st.Nodes))))
	tw := tabwriter.NewWriter(w, 0, 4, 3, ' ', 0)
	for _, n := range st.Nodes {
		fmt.Fprintf(tw, "  %s\t%s\t%s\n", n.Name, nodeState(p, n), nodeAttrs(n.Attributes))
	}
	tw.Flush()

	fmt.Fprintf(w, "\n%s\n", p.paint(ansiBold, fmt.Sprintf("Resources (%d)", len(st.Resources))))
	tw = tabwriter.NewWriter(w, 0, 4, 3, ' ', 0)
	for _, r := range st.Resources {
		node := r.Node
		if node == "" {
			node = "-"
		}
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\t%s\n", r.ID, r.Primitive, roleText(p, r.Role), node, resourceFlags(p, r))
	}
	tw.Flush()
	if len(st.Resources) == 0 {
		fmt.Fprintln(w, "  none configured")
	}

	if len(st.FailedActions) > 0 {
		fmt.Fprintf(w, "\n%s\n", p.paint(ansiBold+ansiRed, fmt.Sprintf("Failed actions (%d)", len(st.FailedActions))))
		for _, f := range st.FailedActions {
			op := f.Op
			if f.Interval != "" && f.Interval != "0s" {
				op += " every " + f.Interval
			}
			what := fmt.Sprintf("rc=%d", f.RC)
			if f.RCName != "" {
				what += " (" + f.RCName + ")"
			}
			if f.Kind != "" {
				what = f.Kind
			}
			fmt.Fprintf(w, "  %s %s on %s: %s at %s\n", f.Resource, op, f.Node, p.paint(ansiRed, what), formatAt(f.At))
			if out := safeLine(f.Output); out != "" {
				fmt.Fprintf(w, "      %s\n", out)
			}
		}
	}

	if len(st.Fencing) > 0 {
		fmt.Fprintf(w, "\n%s\n", p.paint(ansiBold, "Fencing history"))
		for _, f := range st.Fencing {
			res := p.paint(ansiGreen, "ok")
			if f.Result != "ok" {
				res = p.paint(ansiRed, "FAILED: "+safeLine(f.Result))
			}
			by := ""
			if f.Device != "" {
				by += " by device " + f.Device
			}
			if f.RequestedBy != "" {
				by += ", requested by " + f.RequestedBy
			}
			fmt.Fprintf(w, "  %s %s%s at %s: %s\n", f.Action, f.Node, by, formatAt(f.At), res)
		}
	}
}

func nodeState(p painter, n api.NodeInfo) string {
	var parts []string
	switch n.State {
	case api.StateOnline:
		parts = append(parts, p.paint(ansiGreen, "online"))
	case api.StateUnclean:
		parts = append(parts, p.paint(ansiRed, "UNCLEAN (must be fenced)"))
	case api.StateOffline:
		parts = append(parts, p.paint(ansiDim, "offline"))
	default:
		parts = append(parts, p.paint(ansiYellow, n.State))
	}
	if n.Standby {
		parts = append(parts, p.paint(ansiYellow, "standby"))
	}
	if n.Maintenance {
		parts = append(parts, p.paint(ansiYellow, "maintenance"))
	}
	return strings.Join(parts, ", ")
}

func nodeAttrs(attrs map[string]string) string {
	if len(attrs) == 0 {
		return ""
	}
	keys := make([]string, 0, len(attrs))
	for k := range attrs {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	var b strings.Builder
	for i, k := range keys {
		if i > 0 {
			b.WriteByte(' ')
		}
		fmt.Fprintf(&b, "%s=%s", k, attrs[k])
	}
	return b.String()
}

func roleText(p painter, role string) string {
	switch role {
	case "Started", "Promoted":
		return p.paint(ansiGreen, role)
	case "Stopped":
		return p.paint(ansiDim, role)
	}
	return role
}

func resourceFlags(p painter, r api.ResourceInfo) string {
	var f []string
	if r.Failed {
		f = append(f, p.paint(ansiRed, "FAILED"))
	}
	if r.Blocked {
		f = append(f, p.paint(ansiRed, "BLOCKED (needs an operator)"))
	}
	if !r.Managed {
		f = append(f, p.paint(ansiYellow, "unmanaged"))
	}
	return strings.Join(f, " ")
}

// formatAt prints an instant in UTC to the second, "-" when unknown.
func formatAt(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.UTC().Format("2006-01-02 15:04:05Z")
}

// safeLine folds an agent's message onto one bounded line and strips
// control characters, so agent output cannot move the cursor.
func safeLine(s string) string {
	s = strings.Map(func(r rune) rune {
		switch {
		case r == '\n' || r == '\t' || r == '\r':
			return ' '
		case r < 0x20 || r == 0x7f:
			return -1
		}
		return r
	}, strings.TrimSpace(s))
	if len(s) > 200 {
		s = s[:200] + "..."
	}
	return s
}
