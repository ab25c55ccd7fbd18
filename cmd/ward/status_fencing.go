package main

import (
	"fmt"
	"io"

	"github.com/ward-ha/ward/api"
)

// writeFencingFailures prints, in red under the DC line, every node whose
// latest fencing failed and that is not back online: its resources stay
// where they are (blocked) until it is fenced, and the DC keeps retrying.
func writeFencingFailures(w io.Writer, p painter, st api.ClusterStatus) {
	latest := map[string]api.FenceEvent{}
	var order []string
	for _, f := range st.Fencing {
		if _, seen := latest[f.Node]; !seen {
			order = append(order, f.Node)
		}
		latest[f.Node] = f
	}
	online := map[string]bool{}
	for _, n := range st.Nodes {
		online[n.Name] = n.State == api.StateOnline
	}
	for _, n := range order {
		f := latest[n]
		if f.Result == "ok" || online[n] {
			continue
		}
		fmt.Fprintf(w, "%s %s at %s: %s\n         its resources stay blocked until it is fenced; the DC retries with backoff: check the device\n",
			p.paint(ansiBold+ansiRed, "FENCING FAILED"), p.paint(ansiRed, n), formatAt(f.At), p.paint(ansiRed, safeLine(f.Result)))
	}
}
