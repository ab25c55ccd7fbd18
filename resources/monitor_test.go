package resources_test

import (
	"testing"
	"time"

	"github.com/ward-ha/ward/resources"
)

func TestMonitorCadenceOnFakeClock(t *testing.T) {
	a := newFakeAgent()
	a.setCodes("monitor", resources.OK, resources.OK, resources.NotRunning, resources.NotRunning, resources.OK)
	h := newHarness(t, resolver{"fake": a}, 0)
	if err := h.exec.StartMonitor(resources.MonitorSpec{Resource: "db", Agent: "fake", Interval: 10 * time.Second, Timeout: 5 * time.Second}); err != nil {
		t.Fatalf("StartMonitor: %v", err)
	}
	wantCodes := []resources.Code{resources.OK, resources.OK, resources.NotRunning, resources.NotRunning, resources.OK, resources.OK}
	wantChanged := []bool{true, false, true, false, true, false}
	for i, want := range wantCodes {
		if i > 0 {
			// The next run is armed 10 s after the previous one ended.
			h.waitTimers(1)
			h.clock.Advance(9 * time.Second)
			if n := a.numCalls(); n != i {
				t.Fatalf("after run %d and 9 s more, agent calls = %d, want %d", i, n, i)
			}
			h.clock.Advance(time.Second)
		}
		r := h.report()
		if r.Action != "monitor" || r.Interval != 10*time.Second || r.Code != want || r.Changed != wantChanged[i] {
			t.Errorf("run %d = %s rc %v changed %v, want monitor_10000 rc %v changed %v", i, r.Key(), r.Code, r.Changed, want, wantChanged[i])
		}
		if at := t0.Add(time.Duration(i) * 10 * time.Second); !r.Started.Equal(at) {
			t.Errorf("run %d started at %v, want %v", i, r.Started, at)
		}
		if wantFail := want != resources.OK; (r.Failure() != resources.SeverityNone) != wantFail {
			t.Errorf("run %d Failure() = %v, want failure %v", i, r.Failure(), wantFail)
		}
	}
	c := a.calls[0]
	if c.Interval != 10*time.Second || c.Timeout != 5*time.Second || c.Action != "monitor" {
		t.Errorf("agent call = %+v, want monitor with interval 10s timeout 5s", c)
	}
	hist, _ := h.exec.History("db")
	if hist.FailCount != 2 || len(hist.Last) != 1 || hist.Last[0].Code != resources.OK {
		t.Errorf("History(db) fail count %d last %v, want 2 failures and last OK", hist.FailCount, hist.Last)
	}
	if got := h.exec.Monitors("db"); len(got) != 1 || got[0].Interval != 10*time.Second {
		t.Errorf("Monitors(db) = %v, want the 10s monitor", got)
	}
	if err := h.exec.Forget("db"); err == nil {
		t.Errorf("Forget(db) with a monitor = nil, want an error")
	}
	if !h.exec.StopMonitor("db", 10*time.Second) {
		t.Fatalf("StopMonitor(db, 10s) = false, want true")
	}
	if h.exec.StopMonitor("db", 10*time.Second) {
		t.Errorf("second StopMonitor = true, want false")
	}
	if n := h.clock.Timers(); n != 0 {
		t.Errorf("timers after StopMonitor = %d, want 0", n)
	}
}

func TestMonitorsPerRoleAndBeforeRun(t *testing.T) {
	a := newFakeAgent()
	a.setCodes("monitor", resources.RunningPromoted)
	h := newHarness(t, resolver{"fake": a}, 0)
	// Two monitors with their own intervals; the promoted one expects 8.
	h.exec.StartMonitor(resources.MonitorSpec{Resource: "pg", Agent: "fake", Interval: 5 * time.Second, Expect: resources.RunningPromoted})
	h.exec.StartMonitor(resources.MonitorSpec{Resource: "pg", Agent: "fake", Interval: 7 * time.Second})
	got := map[time.Duration]int{}
	fails := map[time.Duration]int{}
	for i := 0; i < 2; i++ {
		r := h.report()
		got[r.Interval]++
		if r.Failure() != resources.SeverityNone {
			fails[r.Interval]++
		}
	}
	// At 35 s: the 5 s monitor ran 7 more times, the 7 s one 5 more.
	for s := 1; s <= 35; s++ {
		h.waitTimers(2)
		h.clock.Advance(time.Second)
		for len(h.reports) > 0 || (s%5 == 0 && got[5*time.Second] < s/5+1) || (s%7 == 0 && got[7*time.Second] < s/7+1) {
			r := h.report()
			got[r.Interval]++
			if r.Failure() != resources.SeverityNone {
				fails[r.Interval]++
			}
		}
	}
	if got[5*time.Second] != 8 || got[7*time.Second] != 6 {
		t.Errorf("runs by interval = %v, want 8 of 5s and 6 of 7s", got)
	}
	if fails[5*time.Second] != 0 || fails[7*time.Second] != 6 {
		t.Errorf("failures by interval = %v, want none for the promoted monitor, 6 for the one expecting 0", fails)
	}
}

func TestMonitorReplacedKeepsOneTimer(t *testing.T) {
	a := newFakeAgent()
	h := newHarness(t, resolver{"fake": a}, 0)
	spec := resources.MonitorSpec{Resource: "db", Agent: "fake", Interval: 10 * time.Second}
	h.exec.StartMonitor(spec)
	h.report()
	h.waitTimers(1)
	h.exec.StartMonitor(spec) // replaces: runs at once, old timer gone
	h.report()
	h.waitTimers(1)
	if n := h.clock.Timers(); n != 1 {
		t.Errorf("timers after replacing the monitor = %d, want 1", n)
	}
}
