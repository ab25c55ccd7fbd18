package fencing

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/ward-ha/ward/internal/clock"
)

// Watchdog fencing is diskless self-fencing, as sbd does without a disk.
// Every node arms a watchdog whose reset time is half of the cluster's
// watchdog_timeout, and feeds it only while it is healthy: quorate, or
// running nothing. A node that loses quorum therefore stops its
// resources within half of watchdog_timeout, or stops feeding and is
// reset by its watchdog; a node that hangs stops feeding too. The quorate
// side counts a lost node as fenced once watchdog_timeout has passed
// since it decided to fence it (the "watchdog" plugin): by then the node
// has either stopped everything or been reset.
//
// Safety rests on one timing assumption, which docs/fencing.md states:
// a node notices that it lost quorum no later than half of
// watchdog_timeout after the others declare it lost (watchdog_timeout is
// at least twice the failure-detection time).

// WatchdogDevice is the hardware (or simulated) watchdog of this node.
type WatchdogDevice interface {
	// Pet feeds the watchdog; it does not block.
	Pet() error
	// Disarm stops the watchdog (clean shutdown); it does not block.
	Disarm() error
}

// WatchdogWait is the watchdog plugin seen from the fencing side: Fence
// returns success once timeout has passed on the clock, when the victim
// has surely stopped its resources or been reset by its watchdog.
type WatchdogWait struct {
	timeout time.Duration
	clk     clock.Clock
}

// NewWatchdogWait returns the watchdog device for watchdog_timeout.
func NewWatchdogWait(timeout time.Duration, clk clock.Clock) (*WatchdogWait, error) {
	if timeout <= 0 {
		return nil, errors.New("fencing: plugin watchdog needs cluster.watchdog_timeout > 0")
	}
	return &WatchdogWait{timeout: timeout, clk: clk}, nil
}

// Fence waits the watchdog timeout, then reports the target fenced.
func (w *WatchdogWait) Fence(ctx context.Context, target, port, action string) error {
	if action != "off" && action != "reboot" {
		return fmt.Errorf("fencing: watchdog: action %q is not a fencing action (off or reboot)", action)
	}
	t := w.clk.NewTimer(w.timeout)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return fmt.Errorf("fencing: watchdog: %s not yet fenced: %w", target, ctx.Err())
	case <-t.C():
		return nil
	}
}

// Health tells the feeder whether this node may feed its watchdog; why
// says what is wrong when it may not. It must not block.
type Health func() (ok bool, why string)

// Feeder feeds a watchdog while the node is healthy.
type Feeder struct {
	dev     WatchdogDevice
	period  time.Duration
	health  Health
	clk     clock.Clock
	log     *slog.Logger
	starved bool
}

// NewFeeder returns a feeder that checks health and feeds dev every
// quarter of the device's reset time (half of watchdog_timeout, so every
// watchdog_timeout/8). It starts nothing.
func NewFeeder(dev WatchdogDevice, watchdogTimeout time.Duration, health Health, clk clock.Clock, log *slog.Logger) *Feeder {
	if clk == nil {
		clk = clock.Real()
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Feeder{dev: dev, period: max(watchdogTimeout/8, time.Millisecond), health: health, clk: clk, log: log}
}

// Run feeds the watchdog until ctx ends, then disarms it (a clean stop
// must not reset the node). It returns ctx's error.
func (f *Feeder) Run(ctx context.Context) error {
	f.step()
	t := f.clk.NewTimer(f.period)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			if err := f.dev.Disarm(); err != nil {
				f.log.Error("could not disarm the watchdog on shutdown; the node will reset", "err", err)
			}
			return ctx.Err()
		case <-t.C():
			f.step()
			t.Reset(f.period)
		}
	}
}

// step feeds the watchdog once if the node is healthy.
func (f *Feeder) step() {
	ok, why := f.health()
	if !ok {
		if !f.starved {
			f.log.Error("NOT FEEDING THE WATCHDOG: this node will reset unless it recovers quorum or stops every resource",
				"reason", why, "reset_within", 4*f.period)
		}
		f.starved = true
		return
	}
	if f.starved {
		f.log.Warn("feeding the watchdog again", "reason", "healthy")
	}
	f.starved = false
	if err := f.dev.Pet(); err != nil {
		f.log.Error("could not feed the watchdog", "err", err)
	}
}

// SimWatchdog is a simulated watchdog on an injected clock: when it is
// not fed for its timeout it calls powerOff once (the lab powers the
// host off; tests record it). It is safe for concurrent use.
type SimWatchdog struct {
	mu sync.Mutex
	// timer, fired and disarmed are guarded by mu.
	timer    clock.Timer
	fired    bool
	disarmed bool
	timeout  time.Duration
	powerOff func()
}

// NewSimWatchdog arms a simulated watchdog that resets after timeout.
func NewSimWatchdog(clk clock.Clock, timeout time.Duration, powerOff func()) *SimWatchdog {
	w := &SimWatchdog{timeout: timeout, powerOff: powerOff}
	w.timer = clk.AfterFunc(timeout, w.expire)
	return w
}

func (w *SimWatchdog) expire() {
	w.mu.Lock()
	if w.fired || w.disarmed {
		w.mu.Unlock()
		return
	}
	w.fired = true
	w.mu.Unlock()
	w.powerOff()
}

// Pet restarts the countdown; after a reset it fails.
func (w *SimWatchdog) Pet() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.fired {
		return errors.New("fencing: simulated watchdog already reset the node")
	}
	w.timer.Reset(w.timeout)
	return nil
}

// Disarm stops the countdown.
func (w *SimWatchdog) Disarm() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.disarmed = true
	w.timer.Stop()
	return nil
}

// Fired reports whether the watchdog reset the node.
func (w *SimWatchdog) Fired() bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.fired
}

// DevWatchdog is a Linux watchdog device (/dev/watchdog).
type DevWatchdog struct {
	f *os.File
}

// OpenDevWatchdog opens path (usually /dev/watchdog), which arms it, and
// sets its timeout (rounded up to whole seconds).
func OpenDevWatchdog(path string, timeout time.Duration) (*DevWatchdog, error) {
	f, err := os.OpenFile(path, os.O_WRONLY, 0)
	if err != nil {
		return nil, fmt.Errorf("fencing: watchdog %s: %w (no watchdog device: load a watchdog driver such as softdog, or do not use watchdog fencing)", path, err)
	}
	secs := int32((timeout + time.Second - 1) / time.Second)
	if _, _, errno := unix.Syscall(unix.SYS_IOCTL, f.Fd(), unix.WDIOC_SETTIMEOUT, uintptr(unsafe.Pointer(&secs))); errno != 0 {
		f.Close()
		return nil, fmt.Errorf("fencing: watchdog %s: set timeout %ds: %w", path, secs, errno)
	}
	return &DevWatchdog{f: f}, nil
}

// Pet feeds the device.
func (d *DevWatchdog) Pet() error {
	_, err := d.f.Write([]byte{0})
	return err
}

// Disarm writes the magic close character and closes the device.
func (d *DevWatchdog) Disarm() error {
	_, err := d.f.Write([]byte("V"))
	return errors.Join(err, d.f.Close())
}
