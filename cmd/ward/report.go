package main

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/ward-ha/ward/api"
	"github.com/ward-ha/ward/api/eventlog"
)

func newReportCmd() *cobra.Command {
	c := &cobra.Command{
		Use:   "report",
		Short: "Reports computed from the event log (availability)",
		Args:  argsUsage(cobra.NoArgs),
		RunE: func(c *cobra.Command, _ []string) error {
			return &usageError{cmd: c.CommandPath(), err: fmt.Errorf("missing subcommand (availability)")}
		},
	}
	c.AddCommand(newReportAvailabilityCmd())
	return c
}

func newReportAvailabilityCmd() *cobra.Command {
	var socket, format, since, resource string
	c := &cobra.Command{
		Use:   "availability",
		Short: "Per resource: uptime as a percentage and in nines, downtime incidents, their causes and MTTR",
		Long: `availability reads the local daemon's event log and computes, per resource,
its uptime over the window as (n - y) x 100 / n, where n is the minutes in
the window the log covers and y the minutes the resource was not running
while the policy wanted it running (a resource stopped by an operator, by
target_role or in maintenance is not down). It lists every downtime
incident with its likely cause (the failure, fencing, node or quorum event
just before it) and the mean time to recovery (MTTR) of those that ended.

The log covers what this node observed since it was first started (it is
bounded: DefaultMaxPerFile events per file, two files); time before the
first event about a resource is not counted.

Exit status: 0 when the daemon answered, 1 when it could not be reached,
2 on usage errors.`,
		Example: `  ward report availability
  ward report availability --since 7d --resource db -o json`,
		Args: argsUsage(cobra.NoArgs),
		RunE: func(c *cobra.Command, _ []string) error {
			if err := checkTextJSON(c, format); err != nil {
				return err
			}
			now := time.Now()
			from, err := parseSince(since, now)
			if err != nil {
				return &usageError{cmd: c.CommandPath(), err: err}
			}
			ctx, stop := signalContext(c.Context())
			defer stop()
			cl := api.NewClient(socket)
			defer cl.CloseIdleConnections()
			// Every event: the state at the window's start comes from
			// the last event before it.
			evs, err := cl.Events(ctx, api.EventQuery{})
			if err != nil {
				return daemonError(socket, err)
			}
			av := eventlog.Compute(evs.Events, resource, from, now)
			return renderAvailability(c.OutOrStdout(), av, format)
		},
	}
	addSocketFlag(c, &socket)
	c.Flags().StringVarP(&format, "output", "o", "text", "output format: text or json")
	c.Flags().StringVar(&since, "since", "30d", "window: this long back from now (30d, 24h) or an RFC 3339 instant")
	c.Flags().StringVar(&resource, "resource", "", "only this resource")
	return c
}

func renderAvailability(w io.Writer, av []eventlog.Availability, format string) error {
	if format == "json" {
		if av == nil {
			av = []eventlog.Availability{}
		}
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(av)
	}
	if len(av) == 0 {
		fmt.Fprintln(w, "No resource events in the log for this window.")
		return nil
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "RESOURCE\tUPTIME\tNINES\tDOWN\tINCIDENTS\tMTTR\tOBSERVED")
	for _, a := range av {
		mttr := "-"
		if a.MTTR > 0 {
			mttr = roundDur(a.MTTR)
		}
		fmt.Fprintf(tw, "%s\t%s\t%.1f\t%s\t%d\t%s\t%s\n", a.Resource, percentText(a.Percent), a.Nines, roundDur(a.Down), len(a.Incidents), mttr, roundDur(a.Observed))
	}
	tw.Flush()
	for _, a := range av {
		if len(a.Incidents) == 0 {
			continue
		}
		fmt.Fprintf(w, "\n%s incidents:\n", a.Resource)
		for _, in := range a.Incidents {
			end := in.End.Local().Format("2006-01-02 15:04:05")
			if in.Ongoing {
				end = "ongoing"
			}
			fmt.Fprintf(w, "  %s .. %s  %s  cause: %s\n", in.Start.Local().Format("2006-01-02 15:04:05"), end, roundDur(in.Duration), safeLine(in.Cause))
		}
	}
	return nil
}

// percentText prints enough decimals to show the nines (99.99%, not 100%).
func percentText(p float64) string {
	if p >= 100 {
		return "100%"
	}
	s := fmt.Sprintf("%.4f", p)
	s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	return s + "%"
}

func roundDur(d time.Duration) string {
	switch {
	case d >= time.Hour:
		return d.Round(time.Minute).String()
	case d >= time.Minute:
		return d.Round(time.Second).String()
	}
	return d.Round(time.Millisecond).String()
}
