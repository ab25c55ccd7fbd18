package clocktest

import (
	"context"
	"testing"
	"time"
)

var t0 = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

func TestFakeTimerFiresOnlyWhenDue(t *testing.T) {
	f := NewFake(t0)
	tm := f.NewTimer(10 * time.Second)
	f.Advance(9 * time.Second)
	select {
	case <-tm.C():
		t.Fatalf("timer fired at +9s, want +10s")
	default:
	}
	f.Advance(time.Second)
	select {
	case got := <-tm.C():
		if !got.Equal(t0.Add(10 * time.Second)) {
			t.Errorf("timer value = %v, want %v", got, t0.Add(10*time.Second))
		}
	default:
		t.Fatalf("timer did not fire at +10s")
	}
	if n := f.Timers(); n != 0 {
		t.Errorf("Timers() = %d after firing, want 0", n)
	}
}

func TestFakeAfterFuncOrderAndStop(t *testing.T) {
	f := NewFake(t0)
	var got []int
	f.AfterFunc(3*time.Second, func() { got = append(got, 3) })
	f.AfterFunc(1*time.Second, func() { got = append(got, 1) })
	stopped := f.AfterFunc(2*time.Second, func() { got = append(got, 2) })
	if !stopped.Stop() {
		t.Fatalf("Stop() = false on an active timer, want true")
	}
	if stopped.Stop() {
		t.Fatalf("second Stop() = true, want false")
	}
	f.Advance(5 * time.Second)
	if len(got) != 2 || got[0] != 1 || got[1] != 3 {
		t.Errorf("fired = %v, want [1 3]", got)
	}
}

func TestFakeAfterFuncMayRearm(t *testing.T) {
	f := NewFake(t0)
	n := 0
	var tick func()
	tick = func() {
		n++
		if n < 5 {
			f.AfterFunc(time.Second, tick)
		}
	}
	f.AfterFunc(time.Second, tick)
	f.Advance(10 * time.Second)
	// The callback rearms relative to the new time (+10s), so it is not
	// due again within the same Advance.
	if n != 1 {
		t.Fatalf("callbacks after Advance(10s) = %d, want 1", n)
	}
	for i := 0; i < 10; i++ {
		f.Advance(time.Second)
	}
	if n != 5 {
		t.Errorf("callbacks after 10 more seconds = %d, want 5", n)
	}
}

func TestFakeResetAndWaitForTimers(t *testing.T) {
	f := NewFake(t0)
	tm := f.NewTimer(time.Hour)
	if tm.Reset(time.Second) != true {
		t.Errorf("Reset on active timer = false, want true")
	}
	if d, ok := f.NextDeadline(); !ok || !d.Equal(t0.Add(time.Second)) {
		t.Errorf("NextDeadline() = %v, %v, want %v, true", d, ok, t0.Add(time.Second))
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan bool)
	go func() { done <- f.WaitForTimers(ctx, 2) }()
	f.AfterFunc(time.Minute, func() {})
	if !<-done {
		t.Fatalf("WaitForTimers(2) = false, want true")
	}
	cancel()
	if f.WaitForTimers(ctx, 3) {
		t.Errorf("WaitForTimers(3) with canceled ctx = true, want false")
	}
	f.Set(t0.Add(-time.Hour))
	if !f.Now().Equal(t0) {
		t.Errorf("Set backwards moved time to %v, want %v", f.Now(), t0)
	}
}
