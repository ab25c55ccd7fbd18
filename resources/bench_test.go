package resources_test

import (
	"context"
	"os/exec"
	"sort"
	"testing"
	"time"

	"github.com/ward-ha/ward/resources"
)

// trueAgent runs /bin/true for every action: an agent whose own work is
// nothing but a fork and exec.
type trueAgent struct{}

func (trueAgent) Do(ctx context.Context, c resources.Call) resources.Outcome {
	return resources.Command{Path: "/bin/true", Args: []string{c.Action}}.Run(ctx).Outcome()
}

func (trueAgent) Metadata(context.Context) (*resources.Metadata, error) {
	return &resources.Metadata{Name: "true"}, nil
}

// reportLatency adds median and p99 of d as metrics.
func reportLatency(b *testing.B, d []time.Duration) {
	if len(d) == 0 {
		return
	}
	sort.Slice(d, func(i, j int) bool { return d[i] < d[j] })
	b.ReportMetric(float64(d[len(d)/2].Microseconds()), "median-µs")
	b.ReportMetric(float64(d[len(d)*99/100].Microseconds()), "p99-µs")
}

// BenchmarkExecOverhead compares running /bin/true directly (os/exec),
// through resources.Command (process group, capped capture), and through
// the Executor (queue, slot, timeout timer, history, report). The
// difference of the medians is the executor's overhead per operation.
//
//	go test -run '^$' -bench ExecOverhead -benchtime 2000x ./resources
func BenchmarkExecOverhead(b *testing.B) {
	b.Run("direct", func(b *testing.B) {
		d := make([]time.Duration, 0, b.N)
		for i := 0; i < b.N; i++ {
			t := time.Now()
			if err := exec.Command("/bin/true", "monitor").Run(); err != nil {
				b.Fatal(err)
			}
			d = append(d, time.Since(t))
		}
		reportLatency(b, d)
	})
	b.Run("command", func(b *testing.B) {
		d := make([]time.Duration, 0, b.N)
		for i := 0; i < b.N; i++ {
			t := time.Now()
			if r := (resources.Command{Path: "/bin/true", Args: []string{"monitor"}}).Run(context.Background()); r.Code != resources.OK {
				b.Fatal(r.Err)
			}
			d = append(d, time.Since(t))
		}
		reportLatency(b, d)
	})
	b.Run("executor", func(b *testing.B) {
		e, err := resources.New(resources.Config{Agents: resolver{"true": trueAgent{}}, Reporter: resources.ReporterFunc(func(resources.Result) {})})
		if err != nil {
			b.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error)
		go func() { done <- e.Run(ctx) }()
		d := make([]time.Duration, 0, b.N)
		for i := 0; i < b.N; i++ {
			t := time.Now()
			r, err := e.Exec(context.Background(), resources.Request{Resource: "r", Agent: "true", Action: "monitor", Timeout: 20 * time.Second})
			if err != nil || r.Code != resources.OK {
				b.Fatal(err, r)
			}
			d = append(d, time.Since(t))
		}
		cancel()
		<-done
		reportLatency(b, d)
	})
	b.Run("executor-inprocess", func(b *testing.B) {
		// A Go agent with no process: the executor's own cost.
		a := newFakeAgent()
		e, _ := resources.New(resources.Config{Agents: resolver{"fake": a}, HistoryLimit: 8})
		d := make([]time.Duration, 0, b.N)
		for i := 0; i < b.N; i++ {
			t := time.Now()
			e.Exec(context.Background(), resources.Request{Resource: "r", Agent: "fake", Action: "monitor"})
			d = append(d, time.Since(t))
			if i%1000 == 999 {
				a.mu.Lock()
				a.calls = a.calls[:0]
				a.mu.Unlock()
			}
		}
		reportLatency(b, d)
	})
}
