package main

import (
	"context"
	"fmt"
	"net"
	"os"
	"strconv"
	"time"
)

// This file is systemd's notify protocol (sd_notify(3)): READY=1 once
// the daemon serves, WATCHDOG=1 while its controller answers, STOPPING=1
// on the way out. Without NOTIFY_SOCKET (not under systemd) it does
// nothing.

// sdNotify sends state to the socket in NOTIFY_SOCKET; it reports
// whether a message was sent.
func sdNotify(state string) (bool, error) {
	path := os.Getenv("NOTIFY_SOCKET")
	if path == "" {
		return false, nil
	}
	if path[0] == '@' {
		path = "\x00" + path[1:] // abstract socket
	}
	conn, err := net.DialUnix("unixgram", nil, &net.UnixAddr{Name: path, Net: "unixgram"})
	if err != nil {
		return false, fmt.Errorf("sd_notify: %w", err)
	}
	defer conn.Close()
	if _, err := conn.Write([]byte(state)); err != nil {
		return false, fmt.Errorf("sd_notify: %w", err)
	}
	return true, nil
}

// watchdogInterval returns half of WatchdogSec when systemd asked this
// process for watchdog pings (WATCHDOG_USEC, WATCHDOG_PID), else 0.
func watchdogInterval() time.Duration {
	us, err := strconv.ParseInt(os.Getenv("WATCHDOG_USEC"), 10, 64)
	if err != nil || us <= 0 {
		return 0
	}
	if pid := os.Getenv("WATCHDOG_PID"); pid != "" && pid != strconv.Itoa(os.Getpid()) {
		return 0
	}
	return time.Duration(us) * time.Microsecond / 2
}

// runWatchdog pings systemd's watchdog every interval while alive()
// succeeds (the controller answers a status request), until ctx ends. A
// hung controller stops the pings and systemd restarts the daemon.
func runWatchdog(ctx context.Context, interval time.Duration, alive func(context.Context) error, warn func(msg string, args ...any)) error {
	if interval <= 0 {
		return nil
	}
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
		actx, cancel := context.WithTimeout(ctx, interval)
		err := alive(actx)
		cancel()
		if err != nil {
			if ctx.Err() == nil {
				warn("systemd watchdog: the controller does not answer; not pinging", "err", err)
			}
			continue
		}
		if _, err := sdNotify("WATCHDOG=1"); err != nil {
			warn("systemd watchdog ping failed", "err", err)
		}
	}
}
