package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/ward-ha/ward/api"
)

// explainLive asks the daemon to explain resource on the live cluster.
func explainLive(cmd *cobra.Command, socket, resource, output string) error {
	ctx, stop := signalContext(cmd.Context())
	defer stop()
	cl := api.NewClient(socket)
	defer cl.CloseIdleConnections()
	res, err := cl.Explain(ctx, resource)
	if err != nil {
		return daemonError(socket, err)
	}
	out := cmd.OutOrStdout()
	if output == "json" {
		var b bytes.Buffer
		if err := json.Indent(&b, res.Scores, "", "  "); err != nil {
			return fmt.Errorf("explain: the daemon's score table: %w", err)
		}
		b.WriteByte('\n')
		_, err := out.Write(b.Bytes())
		return err
	}
	fmt.Fprintf(out, "Scheduling at %s (live, from the daemon).\n\n", res.At.Format(time.RFC3339))
	fmt.Fprint(out, res.Text)
	return nil
}
