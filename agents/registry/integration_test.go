//go:build integration

package registry

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/ward-ha/ward/agents/ocf"
	"github.com/ward-ha/ward/resources"
)

// TestIntegrationExecutorDrivesOCFDummy runs Debian's Dummy through the
// executor on the real clock: probe, start, recurring monitor, a monitor
// failure when the state file vanishes, stop.
func TestIntegrationExecutorDrivesOCFDummy(t *testing.T) {
	if _, err := os.Stat(filepath.Join(ocf.DefaultRoot, "resource.d/heartbeat/Dummy")); err != nil {
		t.Fatalf("ocf:heartbeat:Dummy is not installed (%v): run scripts/deps.sh", err)
	}
	dir := t.TempDir()
	reg := New(Options{StateDir: dir, OCF: ocf.Options{RunDir: dir}}, Builtins())
	reports := make(chan resources.Result, 100)
	e, err := resources.New(resources.Config{Agents: reg, NodeName: "n1",
		Reporter: resources.ReporterFunc(func(r resources.Result) { reports <- r })})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- e.Run(ctx) }()
	defer func() { cancel(); <-done }()

	state := filepath.Join(dir, "d.state")
	req := resources.Request{Resource: "d", Agent: "ocf:heartbeat:Dummy", Params: map[string]string{"state": state}, Timeout: 20 * time.Second}
	next := func() resources.Result {
		t.Helper()
		select {
		case r := <-reports:
			return r
		case <-time.After(20 * time.Second):
			t.Fatalf("no result within 20s")
		}
		return resources.Result{}
	}
	probe := e.ProbeAll(ctx, []resources.Request{req})[0]
	if probe.Code != resources.NotRunning || probe.Failure() != resources.SeverityNone {
		t.Fatalf("probe = %v %v, want not-running, no failure", probe.Code, probe.Failure())
	}
	next()
	req.Action = "start"
	if r, err := e.Exec(ctx, req); err != nil || r.Code != resources.OK {
		t.Fatalf("start = %+v, %v", r, err)
	}
	next()
	if err := e.StartMonitor(resources.MonitorSpec{Resource: "d", Agent: req.Agent, Params: req.Params, Interval: 200 * time.Millisecond}); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 3; i++ {
		if r := next(); r.Code != resources.OK || r.Interval != 200*time.Millisecond {
			t.Fatalf("monitor run %d = %s rc %v, want monitor_200 OK", i, r.Key(), r.Code)
		}
	}
	os.Remove(state) // the "service" dies
	r := next()
	if r.Code != resources.NotRunning || r.Failure() != resources.SeveritySoft || !r.Changed {
		t.Fatalf("monitor after the state file vanished = rc %v failure %v changed %v, want 7 soft changed", r.Code, r.Failure(), r.Changed)
	}
	if !e.StopMonitor("d", 200*time.Millisecond) {
		t.Fatalf("StopMonitor = false")
	}
	req.Action = "stop"
	if r, err := e.Exec(ctx, req); err != nil || r.Code != resources.OK {
		t.Fatalf("stop = %+v, %v", r, err)
	}
	hist, _ := e.History("d")
	if hist.FailCount < 1 {
		t.Errorf("History(d).FailCount = %d, want at least 1", hist.FailCount)
	}
}
