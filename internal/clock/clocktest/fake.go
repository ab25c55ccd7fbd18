// Package clocktest provides Fake, a clock.Clock that moves only when a
// test advances it.
package clocktest

import (
	"context"
	"sort"
	"sync"
	"time"

	"github.com/ward-ha/ward/internal/clock"
)

// Fake is a manual clock.Clock. Time stands still until Advance or Set
// moves it; timers due by then fire in order of their deadline. AfterFunc
// callbacks run synchronously inside Advance, without Fake's lock held, so
// they may call back into the Fake. The zero value is not usable; call
// NewFake.
type Fake struct {
	// mu guards the following.
	mu      sync.Mutex
	now     time.Time
	timers  []*fakeTimer
	seq     uint64        // orders timers with equal deadlines
	changed chan struct{} // closed and replaced whenever timers change
}

// NewFake returns a Fake clock that reads start.
func NewFake(start time.Time) *Fake {
	return &Fake{now: start, changed: make(chan struct{})}
}

var _ clock.Clock = (*Fake)(nil)

// Now returns the fake current time.
func (f *Fake) Now() time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.now
}

// NewTimer returns a timer that fires when the fake time reaches now+d.
// A timer with d <= 0 fires at the next Advance (even Advance(0)).
func (f *Fake) NewTimer(d time.Duration) clock.Timer {
	t := &fakeTimer{f: f, c: make(chan time.Time, 1)}
	t.Reset(d)
	return t
}

// AfterFunc returns a timer that calls fn inside the Advance call that
// moves the fake time to now+d or beyond.
func (f *Fake) AfterFunc(d time.Duration, fn func()) clock.Timer {
	t := &fakeTimer{f: f, fn: fn}
	t.Reset(d)
	return t
}

// Advance moves the fake time forward by d and fires, in deadline order,
// every timer due by the new time. It returns after every AfterFunc
// callback it triggered has returned.
func (f *Fake) Advance(d time.Duration) {
	f.mu.Lock()
	f.now = f.now.Add(d)
	f.mu.Unlock()
	f.fireDue()
}

// Set moves the fake time to t (never backwards) and fires due timers.
func (f *Fake) Set(t time.Time) {
	f.mu.Lock()
	if t.After(f.now) {
		f.now = t
	}
	f.mu.Unlock()
	f.fireDue()
}

// Timers returns the number of active (armed, not yet fired) timers.
func (f *Fake) Timers() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.timers)
}

// WaitForTimers blocks until at least n timers are active or ctx ends,
// and reports whether the count was reached. Tests use it to know that
// the code under test has armed its timers before they Advance.
func (f *Fake) WaitForTimers(ctx context.Context, n int) bool {
	for {
		f.mu.Lock()
		if len(f.timers) >= n {
			f.mu.Unlock()
			return true
		}
		ch := f.changed
		f.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			return false
		}
	}
}

// NextDeadline returns the deadline of the earliest active timer, and
// false when there is none.
func (f *Fake) NextDeadline() (time.Time, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.timers) == 0 {
		return time.Time{}, false
	}
	return f.timers[0].when, true
}

func (f *Fake) fireDue() {
	for {
		f.mu.Lock()
		if len(f.timers) == 0 || f.timers[0].when.After(f.now) {
			f.mu.Unlock()
			return
		}
		t := f.timers[0]
		f.timers = f.timers[1:]
		t.active = false
		now := f.now
		f.notifyLocked()
		f.mu.Unlock()
		if t.fn != nil {
			t.fn()
			continue
		}
		select {
		case t.c <- now:
		default:
		}
	}
}

// notifyLocked wakes WaitForTimers callers. f.mu must be held.
func (f *Fake) notifyLocked() {
	close(f.changed)
	f.changed = make(chan struct{})
}

// removeLocked drops t from the active list. f.mu must be held.
func (f *Fake) removeLocked(t *fakeTimer) bool {
	for i, x := range f.timers {
		if x == t {
			f.timers = append(f.timers[:i], f.timers[i+1:]...)
			t.active = false
			return true
		}
	}
	return false
}

type fakeTimer struct {
	f  *Fake
	c  chan time.Time
	fn func()
	// f.mu guards the following.
	when   time.Time
	active bool
	seq    uint64
}

func (t *fakeTimer) C() <-chan time.Time {
	if t.c == nil {
		return nil
	}
	return t.c
}

func (t *fakeTimer) Stop() bool {
	t.f.mu.Lock()
	defer t.f.mu.Unlock()
	ok := t.f.removeLocked(t)
	if ok {
		t.f.notifyLocked()
	}
	return ok
}

func (t *fakeTimer) Reset(d time.Duration) bool {
	f := t.f
	f.mu.Lock()
	defer f.mu.Unlock()
	was := f.removeLocked(t)
	t.when = f.now.Add(d)
	t.active = true
	f.seq++
	t.seq = f.seq
	f.timers = append(f.timers, t)
	sort.SliceStable(f.timers, func(i, j int) bool {
		if !f.timers[i].when.Equal(f.timers[j].when) {
			return f.timers[i].when.Before(f.timers[j].when)
		}
		return f.timers[i].seq < f.timers[j].seq
	})
	f.notifyLocked()
	return was
}
