package controller

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/ward-ha/ward/heartbeat"
	"github.com/ward-ha/ward/resources"
)

type fakeMembership struct{ quorate bool }

func (f *fakeMembership) Membership() heartbeat.Membership {
	var m heartbeat.Membership
	m.Quorum.Quorate = f.quorate
	return m
}
func (f *fakeMembership) Changes() <-chan struct{} { return nil }

// fakeExecutor knows histories only.
type fakeExecutor struct{ hist map[string]resources.History }

func (f *fakeExecutor) Exec(context.Context, resources.Request) (resources.Result, error) {
	return resources.Result{}, nil
}
func (f *fakeExecutor) StartMonitor(resources.MonitorSpec) error { return nil }
func (f *fakeExecutor) StopMonitor(string, time.Duration) bool   { return false }
func (f *fakeExecutor) Monitors(string) []resources.MonitorSpec  { return nil }
func (f *fakeExecutor) ClearFailures(string)                     {}
func (f *fakeExecutor) History(id string) (resources.History, bool) {
	h, ok := f.hist[id]
	return h, ok
}
func (f *fakeExecutor) Resources() []string {
	var out []string
	for id := range f.hist {
		out = append(out, id)
	}
	return out
}

func TestWatchdogHealth(t *testing.T) {
	m := &fakeMembership{quorate: true}
	ex := &fakeExecutor{hist: map[string]resources.History{
		"vip": {Resource: "vip", Last: []resources.Result{{Resource: "vip", Action: resources.ActionStart, Code: resources.OK, Seq: 1}}},
		"db":  {Resource: "db", Last: []resources.Result{{Resource: "db", Action: resources.ActionStop, Code: resources.OK, Seq: 2}}},
	}}
	health := WatchdogHealth(m, ex)
	if ok, why := health(); !ok {
		t.Fatalf("health(quorate, running vip) = false, %q; want true", why)
	}
	m.quorate = false
	if ok, why := health(); ok || !strings.Contains(why, "vip") || strings.Contains(why, "db") {
		t.Fatalf("health(no quorum, running vip) = %v, %q; want false naming vip only", ok, why)
	}
	ex.hist["vip"] = resources.History{Resource: "vip", Last: []resources.Result{
		{Resource: "vip", Action: resources.ActionStart, Code: resources.OK, Seq: 1},
		{Resource: "vip", Action: resources.ActionStop, Code: resources.OK, Seq: 3}}}
	if ok, why := health(); !ok {
		t.Fatalf("health(no quorum, everything stopped) = false, %q; want true", why)
	}
}
