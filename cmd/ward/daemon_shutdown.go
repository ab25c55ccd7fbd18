package main

import (
	"context"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/spf13/pflag"
	"github.com/ward-ha/ward/controller"
)

// defaultShutdownTimeout bounds a clean leave: the stops (or moves) of
// this node's resources and the announcement. It stays below the
// example systemd unit's TimeoutStopSec (30 s), so systemd does not kill
// the daemon in the middle of it.
const defaultShutdownTimeout = 20 * time.Second

// shutdownOptions are the flags of a clean leave.
type shutdownOptions struct {
	timeout time.Duration
}

// addShutdownFlag registers --shutdown-timeout.
func addShutdownFlag(f *pflag.FlagSet, o *shutdownOptions) {
	f.DurationVar(&o.timeout, "shutdown-timeout", defaultShutdownTimeout,
		"on SIGTERM or SIGINT, how long to wait for the DC to move this node's resources away before leaving anyway (the node is then fenced if a managed resource still runs here); a second signal leaves at once; 0 leaves at once")
}

// leaveOnStop waits until stop ends (SIGINT or SIGTERM) or run ends. On a
// stop it has the controller leave the cluster cleanly (its resources
// moved away unless maintenance leaves them unmanaged, then its leave
// announced, docs/operating.md) within timeout, then cancels run. A
// second signal cuts the wait short.
func leaveOnStop(stop, run context.Context, cancel context.CancelFunc, ctrl *controller.Controller, timeout time.Duration, log *slog.Logger) {
	select {
	case <-run.Done():
		return
	case <-stop.Done():
	}
	defer cancel()
	again := make(chan os.Signal, 1)
	signal.Notify(again, syscall.SIGINT, syscall.SIGTERM)
	defer signal.Stop(again)
	ctx, cancelLeave := context.WithTimeout(run, timeout)
	defer cancelLeave()
	go func() {
		select {
		case <-again:
			log.Warn("second stop signal: leaving at once, without waiting for this node's resources to move away")
			cancelLeave()
		case <-ctx.Done():
		}
	}()
	log.Info("stopping: leaving the cluster cleanly", "timeout", timeout)
	start := time.Now()
	if err := ctrl.Shutdown(ctx); err != nil {
		log.Warn("left the cluster uncleanly: the DC will fence this node", "err", err, "after", time.Since(start).Round(time.Millisecond))
		return
	}
	log.Info("left the cluster cleanly", "after", time.Since(start).Round(time.Millisecond))
}
