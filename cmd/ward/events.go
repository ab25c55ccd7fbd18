package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/ward-ha/ward/api"
)

func newEventsCmd() *cobra.Command {
	var socket, format, since, resource, node, kind string
	var follow bool
	var limit int
	c := &cobra.Command{
		Use:   "events",
		Short: "Show the timeline: membership, quorum, DC, transitions, resources, failures, fencing",
		Long: `events prints the local daemon's event log, oldest first: nodes joining,
leaving and going unclean, quorum, DC elections, policy epochs,
transitions, resources starting, stopping and moving, failed operations
and fencing. Each node keeps its own log (in its state directory,
bounded, kept across restarts), as it observed the cluster.

--since takes a duration back from now (90m, 24h, 7d) or an RFC 3339
instant. -f keeps printing new events until Ctrl-C.

Exit status: 0 when the daemon answered, 1 when it could not be reached,
2 on usage errors.`,
		Example: `  ward events --since 1h
  ward events --resource db -f
  ward events --node n2 --kind fencing -o json`,
		Args: argsUsage(cobra.NoArgs),
		RunE: func(c *cobra.Command, _ []string) error {
			if err := checkTextJSON(c, format); err != nil {
				return err
			}
			q := api.EventQuery{Resource: resource, Node: node, Kind: api.EventKind(kind), Limit: limit}
			if since != "" {
				t, err := parseSince(since, time.Now())
				if err != nil {
					return &usageError{cmd: c.CommandPath(), err: err}
				}
				q.Since = t
			}
			if _, err := api.ParseEventQuery(q.Values()); err != nil {
				return &usageError{cmd: c.CommandPath(), err: fmt.Errorf("%s", err.(*api.Error).Message)}
			}
			ctx, stop := signalContext(c.Context())
			defer stop()
			cl := api.NewClient(socket)
			defer cl.CloseIdleConnections()
			return runEvents(ctx, c.OutOrStdout(), cl, socket, q, format, follow, time.Second, useColor(c.OutOrStdout()))
		},
	}
	addSocketFlag(c, &socket)
	f := c.Flags()
	f.StringVarP(&format, "output", "o", "text", "output format: text or json (one event per line)")
	f.StringVar(&since, "since", "", "only events since this long ago (90m, 24h, 7d) or this RFC 3339 instant")
	f.StringVar(&resource, "resource", "", "only events about this resource")
	f.StringVar(&node, "node", "", "only events about this node")
	f.StringVar(&kind, "kind", "", "only events of this kind (node, quorum, dc, policy, transition, resource, failure, fencing)")
	f.IntVar(&limit, "limit", 0, "only the last N events (0: all)")
	f.BoolVarP(&follow, "follow", "f", false, "keep printing new events until Ctrl-C")
	return c
}

// runEvents prints the events matching q and, with follow, new ones
// every poll until ctx is done.
func runEvents(ctx context.Context, out io.Writer, cl *api.Client, socket string, q api.EventQuery, format string, follow bool, poll time.Duration, color bool) error {
	t := time.NewTicker(poll)
	defer t.Stop()
	enc := json.NewEncoder(out)
	for {
		evs, err := cl.Events(ctx, q)
		if err != nil {
			if follow && ctx.Err() != nil {
				return nil
			}
			return daemonError(socket, err)
		}
		for _, e := range evs.Events {
			if format == "json" {
				if err := enc.Encode(e); err != nil {
					return err
				}
				continue
			}
			fmt.Fprintln(out, eventLine(e, color))
		}
		if !follow {
			return nil
		}
		q.After, q.Limit = max(q.After, evs.Last), 0
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

// eventLine renders one event on one line.
func eventLine(e api.Event, color bool) string {
	p := painter(color)
	msg := safeLine(e.Message)
	switch e.Severity {
	case api.SeverityCritical:
		msg = p.paint(ansiRed, msg)
	case api.SeverityWarning:
		msg = p.paint(ansiYellow, msg)
	}
	return fmt.Sprintf("%s  %-10s  %s", e.At.Local().Format("2006-01-02 15:04:05"), e.Kind, msg)
}

// parseSince reads a duration back from now ("90m", "7d") or an RFC
// 3339 instant.
func parseSince(s string, now time.Time) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	if d, ok := strings.CutSuffix(s, "d"); ok {
		n, err := strconv.Atoi(d)
		if err == nil && n > 0 && n <= 36500 {
			return now.Add(-time.Duration(n) * 24 * time.Hour), nil
		}
	} else if d, err := time.ParseDuration(s); err == nil && d > 0 {
		return now.Add(-d), nil
	}
	return time.Time{}, fmt.Errorf("--since %q: want a duration back from now (90m, 24h, 7d) or an RFC 3339 instant", s)
}
