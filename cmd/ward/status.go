package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/ward-ha/ward/api"
)

func newStatusCmd() *cobra.Command {
	var socket, format string
	var watch bool
	var interval time.Duration
	c := &cobra.Command{
		Use:   "status",
		Short: "Show the cluster on one screen: quorum, DC, nodes, resources, failures, fencing",
		Long: `status asks the local ward daemon for the cluster as it sees it and prints
one screen: the cluster and its quorum (votes present of votes needed), the
DC, every node (online, offline, standby, maintenance, UNCLEAN), every
resource with its role and node, failed actions with the agent's message,
the fencing history and the transition in progress.

Colours are used when stdout is a terminal (unless NO_COLOR is set). --watch redraws the screen in
place every --interval until Ctrl-C. -o json prints the daemon's answer
(see docs/api.md, GET /v1/status).

Exit status: 0 when the daemon answered, 1 when it could not be reached or
failed, 2 on usage errors.`,
		Example: `  ward status
  ward status --watch
  ward status -o json | jq '.resources[] | select(.failed)'`,
		Args: argsUsage(cobra.NoArgs),
		RunE: func(c *cobra.Command, _ []string) error {
			if err := checkTextJSON(c, format); err != nil {
				return err
			}
			if watch && format == "json" {
				return &usageError{cmd: c.CommandPath(), err: fmt.Errorf("--watch and -o json do not go together")}
			}
			if interval < 100*time.Millisecond {
				return &usageError{cmd: c.CommandPath(), err: fmt.Errorf("--interval %v: must be at least 100ms", interval)}
			}
			ctx, stop := signalContext(c.Context())
			defer stop()
			cl := api.NewClient(socket)
			defer cl.CloseIdleConnections()
			out := c.OutOrStdout()
			if watch {
				return watchStatus(ctx, out, cl, interval, isTerminal(out), useColor(out))
			}
			st, err := cl.Status(ctx)
			if err != nil {
				return daemonError(socket, err)
			}
			if format == "json" {
				enc := json.NewEncoder(out)
				enc.SetIndent("", "  ")
				return enc.Encode(st)
			}
			renderStatus(out, st, useColor(out))
			return nil
		},
	}
	addSocketFlag(c, &socket)
	c.Flags().StringVarP(&format, "output", "o", "text", "output format: text or json")
	c.Flags().BoolVarP(&watch, "watch", "w", false, "redraw in place until Ctrl-C")
	c.Flags().DurationVar(&interval, "interval", time.Second, "refresh interval for --watch")
	return c
}

// watchStatus redraws the status every interval until ctx is done. A
// daemon that cannot be reached is shown as such and retried.
func watchStatus(ctx context.Context, out io.Writer, cl *api.Client, interval time.Duration, tty, color bool) error {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		var frame bytesBuffer
		st, err := cl.Status(ctx)
		if ctx.Err() != nil {
			return nil
		}
		if err != nil {
			fmt.Fprintf(&frame, "%s\n\n", daemonError(cl.Socket(), err).(*exitError).msg)
		} else {
			renderStatus(&frame, st, color)
		}
		fmt.Fprintf(&frame, "\n(every %v, Ctrl-C to stop)\n", interval)
		if tty {
			// Home the cursor, draw, clear what is left of an older,
			// longer frame: no flicker.
			io.WriteString(out, "\x1b[H"+frame.withClearedLines()+"\x1b[J")
		} else {
			out.Write(frame.b)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

// useColor reports whether to colour output to w: on a terminal, unless
// NO_COLOR is set or TERM is "dumb".
func useColor(w io.Writer) bool {
	return isTerminal(w) && os.Getenv("NO_COLOR") == "" && os.Getenv("TERM") != "dumb"
}

// isTerminal reports whether w is a character device (a terminal).
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

// bytesBuffer collects one frame of --watch output.
type bytesBuffer struct{ b []byte }

func (b *bytesBuffer) Write(p []byte) (int, error) {
	b.b = append(b.b, p...)
	return len(p), nil
}

// withClearedLines returns the frame with "clear to end of line" before
// every newline, so a redraw leaves nothing of the previous frame.
func (b *bytesBuffer) withClearedLines() string {
	out := make([]byte, 0, len(b.b)+len(b.b)/8)
	for _, c := range b.b {
		if c == '\n' {
			out = append(out, "\x1b[K"...)
		}
		out = append(out, c)
	}
	return string(out)
}
