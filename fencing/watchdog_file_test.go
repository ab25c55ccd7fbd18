package fencing

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/ward-ha/ward/internal/clock/clocktest"
)

func TestFileWatchdogSupervisor(t *testing.T) {
	clk := clocktest.NewFake(time.Unix(1000, 0))
	path := filepath.Join(t.TempDir(), "wd")
	w, err := NewFileWatchdog(path, clk)
	if err != nil {
		t.Fatal(err)
	}
	resets := make(chan struct{}, 1)
	done := make(chan error, 1)
	go func() {
		done <- SuperviseFile(context.Background(), path, 2*time.Second, clk, func() error { resets <- struct{}{}; return nil })
	}()
	step := func(d time.Duration) {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if !clk.WaitForTimers(ctx, 1) {
			t.Fatal("the supervisor armed no timer")
		}
		clk.Advance(d)
	}
	// Fed every second: never reset.
	for i := 0; i < 40; i++ {
		step(100 * time.Millisecond)
		if i%10 == 9 {
			if err := w.Pet(); err != nil {
				t.Fatal(err)
			}
		}
	}
	select {
	case <-resets:
		t.Fatal("a fed watchdog reset the host")
	default:
	}
	// Starved: reset 2s after the last feed.
	for i := 0; i < 25; i++ {
		for {
			select {
			case err := <-done:
				if err != nil {
					t.Fatalf("SuperviseFile = %v, want nil after a reset", err)
				}
				<-resets
				if i < 19 {
					t.Fatalf("reset after %dms of starvation, want 2s", i*100)
				}
				return
			default:
			}
			ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
			armed := clk.WaitForTimers(ctx, 1)
			cancel()
			if armed {
				break
			}
		}
		clk.Advance(100 * time.Millisecond)
	}
	t.Fatal("a starved watchdog never reset the host")
}

func TestFileWatchdogDisarm(t *testing.T) {
	path := filepath.Join(t.TempDir(), "wd")
	w, err := NewFileWatchdog(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Disarm(); err != nil {
		t.Fatal(err)
	}
	err = SuperviseFile(context.Background(), path, time.Hour, nil, func() error { t.Fatal("reset after disarm"); return nil })
	if !errors.Is(err, ErrWatchdogDisarmed) {
		t.Fatalf("SuperviseFile(disarmed) = %v, want ErrWatchdogDisarmed", err)
	}
}
