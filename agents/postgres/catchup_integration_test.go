//go:build integration

package postgres

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ward-ha/ward/resources"
)

// TestIntegrationPromoteCatchesUp: alpha primary, beta and gamma its
// standbys; beta stops receiving (its WAL receiver is turned off), alpha
// commits more, which only gamma gets, and alpha dies. Promoting beta
// (the scheduler's choice, from scores a monitor old) first fetches
// from gamma what beta lacks: beta has the rows, and gamma, no longer
// ahead of it, can follow it. The follower started by gamma's monitor
// aims gamma at beta once it is promoted, without another monitor.
func TestIntegrationPromoteCatchesUp(t *testing.T) {
	alpha, beta, gamma := newNode(t, "alpha"), newNode(t, "beta"), newNode(t, "gamma")
	h := newHarness(t, Options{})
	hosts := nodeHosts(alpha, beta, gamma)
	pa, pb, pg := alpha.params("node_hosts", hosts), beta.params("node_hosts", hosts), gamma.params("node_hosts", hosts)
	h.expect(alpha, "start", pa, resources.OK)
	h.expect(alpha, "promote", pa, resources.OK)
	alpha.exec(t, "CREATE TABLE t (v int)")
	for _, n := range []struct {
		n *node
		p map[string]string
	}{{beta, pb}, {gamma, pg}} {
		h.expect(n.n, "start", n.p, resources.OK)
		o := h.waitMonitor(n.n, n.p, "streaming", func(o resources.Outcome) bool {
			return o.Code == resources.OK && strings.Contains(o.Output, "streaming from")
		})
		if v, err := strconv.Atoi(o.Attributes["db_lag"]); err != nil || v%lagQuantum != 0 {
			t.Errorf("%s: streaming standby's db_lag = %q, want a multiple of %d", n.n.name, o.Attributes["db_lag"], lagQuantum)
		}
	}
	// gamma's recurring monitor starts its follower.
	gm := pg
	if o := h.doInterval(gamma, "monitor", gm, 2*time.Second); o.Code != resources.OK {
		t.Fatalf("gamma's recurring monitor = %v %s", o.Code, o.Output)
	}
	// Any action but a monitor ends beta's follower (started by its
	// start), which would otherwise aim beta at alpha again.
	h.expect(beta, "notify", pb, resources.OK)
	beta.exec(t, "ALTER SYSTEM SET primary_conninfo = ''")
	beta.exec(t, "SELECT pg_reload_conf()")
	waitSQL(t, beta, "SELECT count(*)::text FROM pg_stat_wal_receiver", "0")
	alpha.exec(t, "INSERT INTO t SELECT generate_series(1, 1000)")
	waitSQL(t, gamma, "SELECT count(*)::text FROM t", "1000")
	if got := beta.sql(t, "SELECT count(*)::text FROM t"); got != "0" {
		t.Fatalf("beta has %s rows before alpha dies, want 0 (it should be behind)", got)
	}
	alpha.kill(t)

	o := h.expect(beta, "promote", pb, resources.OK)
	if got := beta.sql(t, "SELECT count(*)::text FROM t"); got != "1000" {
		t.Errorf("promoted beta has %s rows, want the 1000 gamma had (promote output %q)", got, o.Output)
	}
	// gamma follows beta (its follower re-aims it) on beta's new timeline.
	waitSQL(t, gamma, "SELECT count(*)::text FROM pg_stat_wal_receiver WHERE status = 'streaming' AND sender_port = "+strconv.Itoa(beta.port), "1")
	beta.exec(t, "INSERT INTO t VALUES (1001)")
	waitSQL(t, gamma, "SELECT count(*)::text FROM t", "1001")
	h.mu.Lock()
	logs := h.logs.String()
	h.mu.Unlock()
	if !strings.Contains(logs, "caught up with the standby that was ahead") {
		t.Errorf("agent log does not say beta caught up from gamma:\n%s", lastLines(logs, 20))
	}
	h.checkNoPassword()
}

// doInterval runs a recurring-monitor-like action (Interval set).
func (h *harness) doInterval(n *node, action string, p map[string]string, interval time.Duration) resources.Outcome {
	h.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	return h.agent.Do(ctx, resources.Call{Resource: "db:0", Action: action, Params: p, Interval: interval,
		Meta: map[string]string{"on_node": n.name}, Timeout: 30 * time.Second})
}

// waitSQL polls q on n until it returns want, for up to 20 s.
func waitSQL(t *testing.T, n *node, q, want string) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		got := n.sql(t, q)
		if got == want {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: %s = %s, want %s (waited 20 s)", n.name, q, got, want)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
