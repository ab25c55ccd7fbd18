package resources_test

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/ward-ha/ward/agents/registry"
	"github.com/ward-ha/ward/resources"
)

// The controller's use of the executor in miniature: build it, run it,
// probe, start, monitor, read the history.
func ExampleExecutor() {
	dir, _ := os.MkdirTemp("", "ward-example-")
	defer os.RemoveAll(dir)
	reg := registry.New(registry.Options{StateDir: dir}, registry.Builtins())
	monitors := make(chan resources.Result, 1)
	ex, _ := resources.New(resources.Config{
		Agents: reg,
		Reporter: resources.ReporterFunc(func(r resources.Result) {
			if r.Interval > 0 {
				monitors <- r
			}
		}),
	})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- ex.Run(ctx) }()

	req := resources.Request{Resource: "web", Agent: "dummy", Timeout: 5 * time.Second}
	probe, _ := ex.Probe(ctx, req)
	fmt.Println("probe:", probe.Code, "failure:", probe.Failure())
	req.Action = resources.ActionStart
	start, _ := ex.Exec(ctx, req)
	fmt.Println("start:", start.Code)
	ex.StartMonitor(resources.MonitorSpec{Resource: "web", Agent: "dummy", Interval: 10 * time.Second})
	m := <-monitors
	fmt.Println(m.Key()+":", m.Code, "failure:", m.Failure())
	ex.StopMonitor("web", 10*time.Second)

	cancel()
	<-done
	h, _ := ex.History("web")
	fmt.Println("fail count:", h.FailCount, "ops:", len(h.Last))
	// Output:
	// probe: not-running failure: none
	// start: success
	// monitor_10000: success failure: none
	// fail count: 0 ops: 3
}
