//go:build integration

package postgres

import (
	"testing"

	"github.com/ward-ha/ward/resources"
)

// TestIntegrationCrashedStandbyRestarts: a standby that crashed (immediate
// stop, so its control file says "in archive recovery") starts again with
// rewind = true. Before the fix pg_rewind ran PostgreSQL's single-user
// crash recovery, which refuses standby.signal, and every start failed.
func TestIntegrationCrashedStandbyRestarts(t *testing.T) {
	alpha, beta := newNode(t, "alpha"), newNode(t, "beta")
	h := newHarness(t, Options{})
	_, pb := h.startPair(alpha, beta, "rewind", "true")
	streaming := streamingFrom
	alpha.exec(t, "CREATE TABLE t (v text); INSERT INTO t VALUES ('before')")

	beta.kill(t) // crash: no shutdown checkpoint
	alpha.exec(t, "INSERT INTO t VALUES ('while beta was down')")

	if o := h.do(beta, "start", pb); o.Code != resources.OK {
		t.Fatalf("start of a crashed standby = %v %q, want OK", o.Code, o.Output)
	}
	h.waitMonitor(beta, pb, "streaming again", streaming)
	alpha.exec(t, "INSERT INTO t VALUES ('after')")
	h.waitMonitor(beta, pb, "caught up", func(o resources.Outcome) bool {
		return streaming(o) && beta.sql(t, "SELECT count(*) FROM t") == "3"
	})
	if got := beta.sql(t, "SELECT pg_is_in_recovery()::text"); got != "true" {
		t.Errorf("beta pg_is_in_recovery() = %s, want true", got)
	}
}
