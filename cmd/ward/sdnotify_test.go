package main

import (
	"context"
	"errors"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"
)

func TestSdNotify(t *testing.T) {
	path := filepath.Join(t.TempDir(), "notify")
	ln, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: path, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	t.Setenv("NOTIFY_SOCKET", path)
	if sent, err := sdNotify("READY=1"); !sent || err != nil {
		t.Fatalf("sdNotify(READY=1) = %v, %v", sent, err)
	}
	buf := make([]byte, 64)
	n, _ := ln.Read(buf)
	if got := string(buf[:n]); got != "READY=1" {
		t.Errorf("socket got %q, want READY=1", got)
	}
	t.Setenv("WATCHDOG_USEC", "200000")
	t.Setenv("WATCHDOG_PID", strconv.Itoa(os.Getpid()))
	if got := watchdogInterval(); got != 100*time.Millisecond {
		t.Fatalf("watchdogInterval() = %v, want 100ms", got)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	fails := 0
	go func() {
		done <- runWatchdog(ctx, time.Millisecond, func(context.Context) error {
			if fails < 2 {
				fails++
				return errors.New("hung")
			}
			return nil
		}, func(string, ...any) {})
	}()
	n, _ = ln.Read(buf) // the first ping comes after two failed checks
	cancel()
	<-done
	if got := string(buf[:n]); got != "WATCHDOG=1" || fails != 2 {
		t.Errorf("watchdog sent %q after %d failed checks, want WATCHDOG=1 after 2", got, fails)
	}
	t.Setenv("NOTIFY_SOCKET", "")
	if sent, err := sdNotify("READY=1"); sent || err != nil {
		t.Errorf("sdNotify without NOTIFY_SOCKET = %v, %v; want nothing", sent, err)
	}
}
