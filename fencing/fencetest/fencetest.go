// Package fencetest is the conformance suite every fencing.Device plugin
// passes, as resources/agenttest is for resource agents: Run builds fresh
// rigs (a device plus the simulated hosts behind it) and checks that off
// powers exactly the victim off, that it is idempotent, that a reboot
// succeeds, that anything but off or reboot is refused, that a device
// that fails or hangs reports an error promptly (a hang ends with its
// context), that concurrent fencing of different hosts works, and that
// status and monitor, where the device has them, tell the truth.
package fencetest

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/ward-ha/ward/fencing"
)

// Rig is one device under test and the hosts behind it, every one
// powered on when the rig is built.
type Rig struct {
	// Device fences the hosts of Ports.
	Device fencing.Device
	// Ports are the device's names for its hosts (at least one).
	Ports []string
	// Power reports a host's power as the rig observes it directly, not
	// through the device.
	Power func(port string) fencing.Power
	// RebootPowersOn says a host is on again when a reboot returns
	// (false: a reboot may leave it off, as a lab power-off does).
	RebootPowersOn bool
	// Failing is a device for the same hosts whose every action fails
	// (nil: that case is skipped; say why in the test).
	Failing fencing.Device
	// Hanging is a device for the same hosts that never answers (nil:
	// that case is skipped).
	Hanging fencing.Device
}

// hangBound is how long a hanging device may take to return once its
// context ended.
const hangBound = 10 * time.Second

// Run runs the suite; newRig builds a fresh rig for each case.
func Run(t *testing.T, newRig func(t *testing.T) Rig) {
	t.Helper()
	ctx := func(t *testing.T) context.Context {
		c, cancel := context.WithTimeout(context.Background(), time.Minute)
		t.Cleanup(cancel)
		return c
	}
	rig := func(t *testing.T) Rig {
		r := newRig(t)
		if r.Device == nil || len(r.Ports) == 0 || r.Power == nil {
			t.Fatal("fencetest: the rig needs Device, Ports and Power")
		}
		for _, p := range r.Ports {
			if got := r.Power(p); got != fencing.PowerOn {
				t.Fatalf("fencetest: new rig: Power(%s) = %v, want on", p, got)
			}
		}
		return r
	}
	t.Run("OffPowersOnlyTheVictimOff", func(t *testing.T) {
		r := rig(t)
		if err := r.Device.Fence(ctx(t), "node-"+r.Ports[0], r.Ports[0], "off"); err != nil {
			t.Fatalf("Fence(%s, off) = %v, want nil", r.Ports[0], err)
		}
		if got := r.Power(r.Ports[0]); got != fencing.PowerOff {
			t.Fatalf("after Fence(%s, off): Power = %v, want off", r.Ports[0], got)
		}
		for _, p := range r.Ports[1:] {
			if got := r.Power(p); got != fencing.PowerOn {
				t.Errorf("after Fence(%s, off): Power(%s) = %v, want on (not the victim)", r.Ports[0], p, got)
			}
		}
	})
	t.Run("OffTwiceSucceeds", func(t *testing.T) {
		r := rig(t)
		for i := 0; i < 2; i++ {
			if err := r.Device.Fence(ctx(t), "node-"+r.Ports[0], r.Ports[0], "off"); err != nil {
				t.Fatalf("Fence(%s, off) #%d = %v, want nil (fencing an off host succeeds)", r.Ports[0], i+1, err)
			}
		}
		if got := r.Power(r.Ports[0]); got != fencing.PowerOff {
			t.Fatalf("Power(%s) = %v, want off", r.Ports[0], got)
		}
	})
	t.Run("Reboot", func(t *testing.T) {
		r := rig(t)
		if err := r.Device.Fence(ctx(t), "node-"+r.Ports[0], r.Ports[0], "reboot"); err != nil {
			t.Fatalf("Fence(%s, reboot) = %v, want nil", r.Ports[0], err)
		}
		got := r.Power(r.Ports[0])
		if r.RebootPowersOn && got != fencing.PowerOn {
			t.Fatalf("after Fence(%s, reboot): Power = %v, want on", r.Ports[0], got)
		}
		if got == fencing.PowerUnknown {
			t.Fatalf("after Fence(%s, reboot): Power = unknown", r.Ports[0])
		}
	})
	t.Run("OtherActionsRefused", func(t *testing.T) {
		r := rig(t)
		for _, a := range []string{"", "on", "status", "dance", "off\naction=on"} {
			if err := r.Device.Fence(ctx(t), "node-"+r.Ports[0], r.Ports[0], a); err == nil {
				t.Errorf("Fence(%s, %q) = nil, want an error (only off and reboot fence)", r.Ports[0], a)
			}
		}
		if got := r.Power(r.Ports[0]); got != fencing.PowerOn {
			t.Fatalf("after refused actions: Power(%s) = %v, want on", r.Ports[0], got)
		}
	})
	t.Run("Status", func(t *testing.T) {
		r := rig(t)
		s, ok := r.Device.(fencing.StatusReader)
		if !ok {
			t.Skip("the device reports no status (it does not implement fencing.StatusReader)")
		}
		if got, err := s.Status(ctx(t), "node-"+r.Ports[0], r.Ports[0]); got != fencing.PowerOn || err != nil {
			t.Fatalf("Status(%s) = %v, %v, want on, nil", r.Ports[0], got, err)
		}
		if err := r.Device.Fence(ctx(t), "node-"+r.Ports[0], r.Ports[0], "off"); err != nil {
			t.Fatalf("Fence(%s, off) = %v", r.Ports[0], err)
		}
		if got, err := s.Status(ctx(t), "node-"+r.Ports[0], r.Ports[0]); got != fencing.PowerOff || err != nil {
			t.Fatalf("after off: Status(%s) = %v, %v, want off, nil", r.Ports[0], got, err)
		}
	})
	t.Run("Monitor", func(t *testing.T) {
		r := rig(t)
		m, ok := r.Device.(fencing.Monitor)
		if !ok {
			t.Skip("the device has no monitor (it does not implement fencing.Monitor)")
		}
		if err := m.Monitor(ctx(t)); err != nil {
			t.Fatalf("Monitor() = %v, want nil", err)
		}
	})
	t.Run("FailingDeviceReportsError", func(t *testing.T) {
		r := rig(t)
		if r.Failing == nil {
			t.Skip("the rig has no failing device")
		}
		if err := r.Failing.Fence(ctx(t), "node-"+r.Ports[0], r.Ports[0], "off"); err == nil {
			t.Fatalf("failing device: Fence(%s, off) = nil, want an error", r.Ports[0])
		}
		if got := r.Power(r.Ports[0]); got != fencing.PowerOn {
			t.Fatalf("failing device: Power(%s) = %v, want on", r.Ports[0], got)
		}
	})
	t.Run("HangingDeviceEndsWithContext", func(t *testing.T) {
		r := rig(t)
		if r.Hanging == nil {
			t.Skip("the rig has no hanging device")
		}
		c, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
		defer cancel()
		done := make(chan error, 1)
		go func() { done <- r.Hanging.Fence(c, "node-"+r.Ports[0], r.Ports[0], "off") }()
		select {
		case err := <-done:
			if err == nil {
				t.Fatalf("hanging device: Fence(%s, off) = nil, want an error", r.Ports[0])
			}
		case <-time.After(hangBound):
			t.Fatalf("hanging device: Fence(%s, off) still running %v after its context ended", r.Ports[0], hangBound)
		}
	})
	t.Run("ConcurrentTargets", func(t *testing.T) {
		r := rig(t)
		if len(r.Ports) < 2 {
			t.Skip("the device controls one host")
		}
		var wg sync.WaitGroup
		errs := make([]error, len(r.Ports))
		c := ctx(t)
		for i, p := range r.Ports {
			wg.Add(1)
			go func() {
				defer wg.Done()
				errs[i] = r.Device.Fence(c, "node-"+p, p, "off")
			}()
		}
		wg.Wait()
		for i, p := range r.Ports {
			if errs[i] != nil {
				t.Errorf("concurrent Fence(%s, off) = %v, want nil", p, errs[i])
			}
			if got := r.Power(p); got != fencing.PowerOff {
				t.Errorf("after concurrent off: Power(%s) = %v, want off", p, got)
			}
		}
	})
}
