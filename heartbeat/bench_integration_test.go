//go:build integration

package heartbeat

import (
	"fmt"
	"slices"
	"testing"
	"time"
)

// BenchmarkDeadDetection measures, per timing profile, the time from a
// failure of n3 (kill -9 of its process, or its only link cut at the
// switch) until n1 declares it dead, over real UDP/TCP between network
// namespaces. Run with a fixed count, for example:
//
//	go test -tags integration -run '^$' -bench DeadDetection -benchtime 7x ./heartbeat/
//
// It reports the median, min and max in milliseconds (ms-median, ...).
func BenchmarkDeadDetection(b *testing.B) {
	for _, sc := range []struct {
		profile, failure string
	}{
		{ProfileLAN, "kill"},
		{ProfileLAN, "linkcut"},
		{ProfileWAN, "kill"},
		{ProfileConservative, "kill"},
	} {
		b.Run(fmt.Sprintf("%s/%s", sc.profile, sc.failure), func(b *testing.B) {
			labUp(b, 3, 1)
			key := writeKey(b, 0o600)
			nodes := labSpecs(3, 1)
			begin := time.Now()
			n1 := startNode(b, 1, nodes, key, sc.profile)
			startNode(b, 2, nodes, key, sc.profile)
			n3 := startNode(b, 3, nodes, key, sc.profile)
			n1.waitEvent(b, begin, 20*time.Second, "all alive", everyoneAlive("n1", "n2", "n3"))
			var took []time.Duration
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				// Let a few probe rounds pass so the failure lands at a
				// random point of the probe cycle.
				time.Sleep(time.Second)
				var at time.Time
				if sc.failure == "kill" {
					at = n3.kill()
				} else {
					at = time.Now()
					labCut(b, 3, 0)
				}
				ev := n1.waitEvent(b, at, 60*time.Second, "n3 dead", func(ev helperEvent) bool { return ev.States["n3"] == "dead" })
				took = append(took, time.Duration(ev.T-at.UnixNano()))
				back := time.Now()
				if sc.failure == "kill" {
					n3 = startNode(b, 3, nodes, key, sc.profile)
				} else {
					labHeal(b, 3, 0)
				}
				n1.waitEvent(b, back, 60*time.Second, "n3 alive", func(ev helperEvent) bool { return ev.States["n3"] == "alive" })
			}
			b.StopTimer()
			slices.Sort(took)
			ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
			b.ReportMetric(ms(took[len(took)/2]), "ms-median")
			b.ReportMetric(ms(took[0]), "ms-min")
			b.ReportMetric(ms(took[len(took)-1]), "ms-max")
			b.ReportMetric(0, "ns/op")
			b.Logf("%s/%s: %v", sc.profile, sc.failure, took)
		})
	}
}
