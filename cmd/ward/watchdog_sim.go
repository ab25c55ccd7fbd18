package main

import (
	"errors"
	"fmt"
	"os/exec"
	"time"

	"github.com/spf13/cobra"

	"github.com/ward-ha/ward/fencing"
)

// newWatchdogSimCmd builds `ward watchdog-sim --file PATH --timeout D --
// COMMAND...`: the simulated watchdog of a machine without
// /dev/watchdog (the lab), the supervisor that runs COMMAND (which
// powers the host off) once the daemon stops feeding the file.
func newWatchdogSimCmd() *cobra.Command {
	var file string
	var timeout time.Duration
	c := &cobra.Command{
		Use:    "watchdog-sim --file PATH --timeout D -- COMMAND [ARG...]",
		Short:  "Simulated watchdog: run COMMAND (a power-off) when ward daemon --watchdog-device file:PATH stops feeding PATH",
		Hidden: true,
		Long: `watchdog-sim supervises the file that ward daemon --watchdog-device
file:PATH feeds (it writes the time there every watchdog_timeout/8 while
the node is healthy). When the time in the file is older than --timeout
(half of watchdog_timeout, as a real watchdog's reset time), it runs
COMMAND once and exits 0; when the daemon disarms it (a clean stop) it
exits 0 without running anything. Run it outside the daemon, for the lab
in the host's namespace with a COMMAND that powers the host off.`,
		Example: `  ward watchdog-sim --file /run/ward/watchdog --timeout 2s -- /usr/local/sbin/lab-power-off n1`,
		Args:    argsUsage(cobra.MinimumNArgs(1)),
		RunE: func(c *cobra.Command, args []string) error {
			if file == "" || timeout <= 0 {
				return &usageError{cmd: c.CommandPath(), err: errors.New("--file and a --timeout above 0 are required")}
			}
			ctx, stop := signalContext(c.Context())
			defer stop()
			err := fencing.SuperviseFile(ctx, file, timeout, nil, func() error {
				fmt.Fprintf(c.ErrOrStderr(), "ward watchdog-sim: %s not fed for %v: resetting the host\n", file, timeout)
				cmd := exec.Command(args[0], args[1:]...)
				cmd.Stdout, cmd.Stderr = c.OutOrStdout(), c.ErrOrStderr()
				return cmd.Run()
			})
			switch {
			case err == nil, errors.Is(err, fencing.ErrWatchdogDisarmed), ctx.Err() != nil:
				return nil
			default:
				return &exitError{code: 1, msg: fmt.Sprintf("watchdog-sim: %v", err)}
			}
		},
	}
	c.Flags().StringVar(&file, "file", "", "the file the daemon feeds")
	c.Flags().DurationVar(&timeout, "timeout", 0, "reset after this long without a feed (half of watchdog_timeout)")
	return c
}
