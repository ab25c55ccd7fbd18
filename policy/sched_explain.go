package policy

import (
	"fmt"
	"strings"
)

// This file renders a resource's score table for operators who have never
// heard of scores: where it will run, and for every node why or why not.

// Explain renders why resource id runs where it will (or does not run),
// node by node. The error names the resource when it is unknown.
func (t Transition) Explain(id string) (string, error) {
	rs, ok := t.ScoresOf(id)
	if !ok {
		return "", fmt.Errorf("explain: resource %q is not in the policy", id)
	}
	var b strings.Builder
	switch {
	case len(rs.Chosen) == 0 && rs.Reason != ReasonNone:
		fmt.Fprintf(&b, "%s (%s) will not run: %s.\n", rs.Resource, rs.Kind, rs.Reason.Text())
	case len(rs.Chosen) == 0:
		fmt.Fprintf(&b, "%s (%s) will not run.\n", rs.Resource, rs.Kind)
	default:
		fmt.Fprintf(&b, "%s (%s) will run on %s.\n", rs.Resource, rs.Kind, strings.Join(dedupeStrings(rs.Chosen), ", "))
	}
	if rs.Kind == "clone" && len(rs.Promoted) > 0 {
		fmt.Fprintf(&b, "Promoted on %s.\n", strings.Join(rs.Promoted, ", "))
	}
	if len(rs.Current) > 0 {
		fmt.Fprintf(&b, "It runs now on %s.\n", strings.Join(rs.Current, ", "))
	} else {
		b.WriteString("It does not run anywhere now.\n")
	}
	if rs.Kind == "group" {
		b.WriteString("A group runs on one node: its score there is the sum of its members' scores.\n")
	}
	b.WriteString("\nNode by node (the highest score wins; a negative score rules a node out):\n")
	chosen := map[string]bool{}
	for _, n := range rs.Chosen {
		chosen[n] = true
	}
	for _, n := range t.fullTable(rs) {
		mark := " "
		if chosen[n.Node] {
			mark = "*"
		}
		fmt.Fprintf(&b, " %s %s: ", mark, n.Node)
		place, promo := splitPromotion(n)
		terms := describeContributions(place)
		switch {
		case n.Reason != ReasonNone:
			fmt.Fprintf(&b, "cannot run here: %s", n.Reason.Text())
			if len(terms) > 0 {
				fmt.Fprintf(&b, " (score %s: %s)", n.Score, strings.Join(terms, ", "))
			}
		case len(terms) == 0:
			fmt.Fprintf(&b, "score %s (no preference either way)", n.Score)
		default:
			fmt.Fprintf(&b, "score %s: %s", n.Score, strings.Join(terms, ", "))
		}
		if n.Promotion != nil {
			fmt.Fprintf(&b, "; promotion score %s", *n.Promotion)
			if pt := describeContributions(promo); len(pt) > 0 {
				fmt.Fprintf(&b, ": %s", strings.Join(pt, ", "))
			}
		}
		b.WriteString("\n")
	}
	b.WriteString("\n* marks the node(s) chosen.\n")
	return b.String(), nil
}

// fullTable completes a sparse score table with every node of the
// transition: unlisted nodes score 0, with their node-level reason.
func (t Transition) fullTable(rs ResourceScores) []NodeScore {
	out := make([]NodeScore, 0, len(t.Nodes))
	k := 0
	for _, n := range t.Nodes {
		for k < len(rs.Nodes) && rs.Nodes[k].Node < n.Name {
			out = append(out, rs.Nodes[k])
			k++
		}
		if k < len(rs.Nodes) && rs.Nodes[k].Node == n.Name {
			out = append(out, rs.Nodes[k])
			k++
			continue
		}
		out = append(out, NodeScore{Node: n.Name, Reason: n.Reason})
	}
	return append(out, rs.Nodes[k:]...)
}

// splitPromotion separates the promotion terms of n from the others.
func splitPromotion(n NodeScore) (place, promo NodeScore) {
	place, promo = n, n
	place.Contributions, promo.Contributions = nil, nil
	for _, c := range n.Contributions {
		if c.Kind == "promotion" {
			promo.Contributions = append(promo.Contributions, c)
		} else {
			place.Contributions = append(place.Contributions, c)
		}
	}
	return place, promo
}

func signed(s Score) string {
	if s >= 0 {
		return "+" + s.String()
	}
	return s.String()
}

func describeContributions(n NodeScore) []string {
	var out []string
	for _, c := range n.Contributions {
		if c.Member != "" {
			c.Source += " (member " + c.Member + ")"
		}
		switch c.Kind {
		case "location":
			out = append(out, fmt.Sprintf("%s from location '%s'", signed(c.Score), c.Source))
		case "stickiness":
			why := c.Source
			if why == "it runs on "+n.Node+" now" {
				why = "it runs here now"
			}
			out = append(out, fmt.Sprintf("%s stickiness (%s)", signed(c.Score), why))
		case "colocation":
			out = append(out, fmt.Sprintf("%s from colocation %s", signed(c.Score), c.Source))
		case "ban":
			out = append(out, fmt.Sprintf("%s because %s", signed(c.Score), c.Source))
		case "promotion":
			out = append(out, fmt.Sprintf("%s from %s", signed(c.Score), c.Source))
		default:
			out = append(out, fmt.Sprintf("%s from %s %s", signed(c.Score), c.Kind, c.Source))
		}
	}
	return out
}
