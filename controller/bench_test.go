package controller

import (
	"sort"
	"testing"
	"time"
)

// BenchmarkFailover measures, on the in-process cluster (3 nodes,
// heartbeat lan profile over the in-memory network), the time from the
// crash of the DC that runs vip to the fencing of that node, and to vip
// started on a survivor. It reports the medians over b.N crashes:
//
//	go test -run '^$' -bench Failover -benchtime 7x ./controller
func BenchmarkFailover(b *testing.B) {
	var fenced, started []time.Duration
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		h := newHarness(b, clusterPolicy(3, vipPolicy+preferN1))
		startAll(b, h)
		b.StartTimer()
		mark := h.mark()
		killed := time.Now()
		h.crash("n1")
		h.eventually(20*time.Second, "vip recovered", func() bool {
			r := h.running("vip")
			return len(r) == 1 && r[0] != "n1"
		})
		b.StopTimer()
		f, s := h.eventIndex(mark, "fence", "n1", ""), h.eventIndex(mark, "start", "", "vip")
		if f < 0 || s < f {
			b.Fatalf("fence at %d, start at %d: want the fence first", f, s)
		}
		fenced = append(fenced, h.event(f).at.Sub(killed))
		started = append(started, h.event(s).at.Sub(killed))
		for _, n := range h.sortedNodes() {
			h.stop(n)
		}
	}
	b.ReportMetric(median(fenced).Seconds()*1000, "ms-to-fenced")
	b.ReportMetric(median(started).Seconds()*1000, "ms-to-recovered")
}

func median(d []time.Duration) time.Duration {
	if len(d) == 0 {
		return 0
	}
	s := append([]time.Duration(nil), d...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	return s[len(s)/2]
}
