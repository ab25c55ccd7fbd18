// Package clock is the injected source of time for every ward component
// that waits: operation timeouts, monitor intervals, retries.
//
// Components take a Clock in their configuration instead of calling the
// time package, so tests drive them with clocktest.Fake and never sleep.
// Production code passes Real().
package clock

import "time"

// Clock tells the time and makes timers. Implementations are safe for
// concurrent use.
type Clock interface {
	// Now returns the current time.
	Now() time.Time
	// NewTimer returns a timer that sends the time on its channel once,
	// after at least d.
	NewTimer(d time.Duration) Timer
	// AfterFunc calls f in its own goroutine (Real) or in the goroutine
	// that advances time (clocktest.Fake) after at least d, and returns a
	// timer whose Stop cancels the call. f must not block for long.
	AfterFunc(d time.Duration, f func()) Timer
}

// Timer is a single-shot timer made by a Clock.
type Timer interface {
	// C returns the channel the time is sent on. It is nil for timers
	// made by AfterFunc.
	C() <-chan time.Time
	// Stop prevents the timer from firing. It reports whether the call
	// stopped it (false: it already fired or was stopped).
	Stop() bool
	// Reset makes the timer fire after d from now. It reports whether
	// the timer was active.
	Reset(d time.Duration) bool
}

// Real returns the Clock backed by the time package.
func Real() Clock { return realClock{} }

type realClock struct{}

func (realClock) Now() time.Time { return time.Now() }

func (realClock) NewTimer(d time.Duration) Timer {
	t := time.NewTimer(d)
	return realTimer{t: t, c: t.C}
}

func (realClock) AfterFunc(d time.Duration, f func()) Timer {
	return realTimer{t: time.AfterFunc(d, f)}
}

type realTimer struct {
	t *time.Timer
	c <-chan time.Time
}

func (r realTimer) C() <-chan time.Time        { return r.c }
func (r realTimer) Stop() bool                 { return r.t.Stop() }
func (r realTimer) Reset(d time.Duration) bool { return r.t.Reset(d) }
