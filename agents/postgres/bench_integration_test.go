//go:build integration

package postgres

import (
	"testing"
	"time"

	"github.com/ward-ha/ward/resources"
)

// BenchmarkIntegrationActions times the agent's actions on real servers:
// start of a standby that follows a primary (with the divergence check),
// promote, and demote of a diverged primary with pg_rewind. Each
// iteration builds a fresh pair.
func BenchmarkIntegrationActions(b *testing.B) {
	var start, promote, demote time.Duration
	n := 0
	for b.Loop() {
		b.StopTimer()
		alpha, beta := newNode(b, "alpha"), newNode(b, "beta")
		h := newHarness(b, Options{})
		hosts := nodeHosts(alpha, beta)
		pa, pb := alpha.params("node_hosts", hosts, "rewind", "true"), beta.params("node_hosts", nodeHosts(beta))
		h.expect(alpha, "start", pa, resources.OK)
		h.expect(alpha, "promote", pa, resources.OK)
		t0 := time.Now()
		h.expect(beta, "start", beta.params("node_hosts", hosts), resources.OK)
		start += time.Since(t0)
		h.waitMonitor(beta, pb, "streaming", func(o resources.Outcome) bool { return o.Code == resources.OK })
		t0 = time.Now()
		h.expect(beta, "promote", pb, resources.OK)
		promote += time.Since(t0)
		alpha.exec(b, "CREATE TABLE d (v int)")
		t0 = time.Now()
		h.expect(alpha, "demote", pa, resources.OK)
		demote += time.Since(t0)
		n++
		alpha.kill(b)
		beta.kill(b)
		b.StartTimer()
	}
	b.ReportMetric(float64(start.Milliseconds())/float64(n), "start-ms")
	b.ReportMetric(float64(promote.Milliseconds())/float64(n), "promote-ms")
	b.ReportMetric(float64(demote.Milliseconds())/float64(n), "demote+rewind-ms")
}
