package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/ward-ha/ward/api"
)

// addSocketFlag adds --socket (the daemon's API socket) to c.
func addSocketFlag(c *cobra.Command, socket *string) {
	c.Flags().StringVar(socket, "socket", api.DefaultSocket, "the ward daemon's API socket")
}

// daemonError turns an API call's error into the CLI's error: a daemon
// that cannot be reached, a refusal with the daemon's message, or a plain
// failure. All exit with 1.
func daemonError(socket string, err error) error {
	var ue *api.UnreachableError
	if errors.As(err, &ue) && errors.Is(err, fs.ErrPermission) {
		return &exitError{code: 1, msg: fmt.Sprintf("cannot reach the ward daemon at %s: %v; run as root or as a member of the socket's group", socket, ue.Err)}
	}
	if errors.As(err, &ue) {
		return &exitError{code: 1, msg: fmt.Sprintf("cannot reach the ward daemon at %s: %v; is it running? (start it with `ward daemon`)", socket, ue.Err)}
	}
	var ae *api.Error
	if errors.As(err, &ae) {
		return &exitError{code: 1, msg: fmt.Sprintf("the daemon refused: %s (%s)", ae.Message, ae.Code)}
	}
	return &exitError{code: 1, msg: err.Error()}
}

// signalContext returns a context cancelled by SIGINT or SIGTERM.
func signalContext(parent context.Context) (context.Context, context.CancelFunc) {
	return signal.NotifyContext(parent, os.Interrupt, syscall.SIGTERM)
}

// checkTextJSON refuses -o values other than text and json.
func checkTextJSON(c *cobra.Command, format string) error {
	if format != "text" && format != "json" {
		return &usageError{cmd: c.CommandPath(), err: fmt.Errorf("-o %q: want text or json", format)}
	}
	return nil
}
