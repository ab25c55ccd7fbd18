package registry

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/ward-ha/ward/agents/ocf"
	"github.com/ward-ha/ward/resources"
)

// benchWall is how long BenchmarkMonitorLoad runs: WARD_BENCH_SECONDS,
// default 30 s.
func benchWall() time.Duration {
	if s, err := strconv.Atoi(os.Getenv("WARD_BENCH_SECONDS")); err == nil && s > 0 {
		return time.Duration(s) * time.Second
	}
	return 30 * time.Second
}

func cpuTime() time.Duration {
	var self, children syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &self)
	syscall.Getrusage(syscall.RUSAGE_CHILDREN, &children)
	tv := func(t syscall.Timeval) time.Duration { return time.Duration(t.Nano()) }
	return tv(self.Utime) + tv(self.Stime) + tv(children.Utime) + tv(children.Stime)
}

// BenchmarkMonitorLoad starts 500 resources and monitors each every 10 s
// on the real clock for benchWall of wall time, and reports the CPU time
// (ward plus the agents it ran) per minute of wall time. It runs once
// whatever b.N is:
//
//	WARD_BENCH_SECONDS=60 go test -run '^$' -bench MonitorLoad -benchtime 1x ./agents/registry
func BenchmarkMonitorLoad(b *testing.B) {
	for _, agent := range []string{"dummy", "ocf:heartbeat:Dummy"} {
		b.Run(agent, func(b *testing.B) {
			if agent == "ocf:heartbeat:Dummy" {
				if _, err := os.Stat(filepath.Join(ocf.DefaultRoot, "resource.d/heartbeat/Dummy")); err != nil {
					b.Fatalf("ocf:heartbeat:Dummy is not installed: apt-get install resource-agents")
				}
			}
			monitorLoad(b, agent, 500, 10*time.Second, benchWall())
		})
	}
}

func monitorLoad(b *testing.B, agent string, n int, interval, wall time.Duration) {
	dir := b.TempDir()
	reg := New(Options{StateDir: dir, OCF: ocf.Options{RunDir: dir}}, Builtins())
	var runs, fails atomic.Int64
	e, err := resources.New(resources.Config{Agents: reg, Reporter: resources.ReporterFunc(func(r resources.Result) {
		if r.Action == resources.ActionMonitor {
			runs.Add(1)
			if r.Failure() != resources.SeverityNone {
				fails.Add(1)
			}
		}
	})})
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	for i := 0; i < n; i++ {
		id := fmt.Sprintf("r%d", i)
		if r, err := e.Exec(ctx, resources.Request{Resource: id, Agent: agent, Action: "start"}); err != nil || r.Code != resources.OK {
			b.Fatalf("start %s: %v %+v", id, err, r)
		}
		e.StartMonitor(resources.MonitorSpec{Resource: id, Agent: agent, Interval: interval})
	}
	runCtx, cancel := context.WithCancel(ctx)
	done := make(chan error)
	b.ResetTimer()
	cpu0, t0 := cpuTime(), time.Now()
	go func() { done <- e.Run(runCtx) }()
	time.Sleep(wall) // the benchmark measures wall time on purpose
	cancel()
	<-done
	cpu, el := cpuTime()-cpu0, time.Since(t0)
	b.StopTimer()
	b.ReportMetric(cpu.Seconds()/el.Minutes(), "cpu-s/min")
	b.ReportMetric(float64(runs.Load())/el.Seconds(), "monitors/s")
	if f := fails.Load(); f > 0 {
		b.Errorf("%d of %d monitor runs failed", f, runs.Load())
	}
}
