//go:build integration

package postgres

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ward-ha/ward/internal/clock/clocktest"
	"github.com/ward-ha/ward/resources"
	"github.com/ward-ha/ward/resources/agenttest"
)

func TestIntegrationConformance(t *testing.T) {
	agenttest.Run(t, func(t *testing.T) agenttest.Setup {
		n := newNode(t, "solo")
		return agenttest.Setup{Agent: New(Options{}), Params: n.params(), Meta: map[string]string{"on_node": "solo"}}
	})
}

func scoreOf(t testing.TB, o resources.Outcome) string {
	t.Helper()
	v, ok := o.Attributes["master-db"]
	if !ok {
		t.Fatalf("outcome %v %q has no master-db attribute", o.Code, o.Output)
	}
	return v
}

func standbyScoreInRange(t testing.TB, v string) {
	t.Helper()
	n, err := strconv.Atoi(v)
	if err != nil || n < ScoreWorst || n > ScoreBest {
		t.Fatalf("standby score = %q, want %d..%d", v, ScoreWorst, ScoreBest)
	}
}

// TestIntegrationFailover: alpha primary, beta streaming; scores; a
// promote refused while alpha answers; beta promoted while cut off from
// alpha (node_hosts without it), both written to (divergence); alpha's
// demote refused without rewind; alpha demoted with rewind and following
// beta, its diverged write gone.
func TestIntegrationFailover(t *testing.T) {
	alpha, beta := newNode(t, "alpha"), newNode(t, "beta")
	clk := clocktest.NewFake(time.Now())
	h := newHarness(t, Options{Clock: clk})
	hosts := nodeHosts(alpha, beta)
	pa, pb := alpha.params("node_hosts", hosts), beta.params("node_hosts", hosts)

	h.expect(alpha, "monitor", pa, resources.NotRunning)
	o := h.expect(alpha, "start", pa, resources.OK)
	if v := scoreOf(t, o); v != strconv.Itoa(ScoreUnknown) {
		t.Errorf("score of a standby that never knew a primary = %s, want %d", v, ScoreUnknown)
	}
	o = h.expect(alpha, "promote", pa, resources.OK)
	if v := scoreOf(t, o); v != strconv.Itoa(ScorePrimary) {
		t.Errorf("score after promote = %s, want %d", v, ScorePrimary)
	}
	h.expect(alpha, "monitor", pa, resources.RunningPromoted)
	h.expect(beta, "start", pb, resources.OK)
	o = h.waitMonitor(beta, pb, "streaming", func(o resources.Outcome) bool {
		return o.Code == resources.OK && strings.Contains(o.Output, "streaming from")
	})
	standbyScoreInRange(t, scoreOf(t, o))
	if o := h.expect(alpha, "monitor", pa, resources.RunningPromoted); scoreOf(t, o) != strconv.Itoa(ScorePrimary) {
		t.Errorf("primary's monitor score = %s, want %d", scoreOf(t, o), ScorePrimary)
	}
	alpha.exec(t, "CREATE TABLE t (v text); INSERT INTO t VALUES ('before')")

	// A promote while alpha answers as primary is refused.
	o = h.expect(beta, "promote", pb, resources.ErrGeneric)
	if !strings.Contains(o.Output, "alpha already answers as a primary") {
		t.Errorf("promote beyond a live primary: output %q, want a refusal naming alpha", o.Output)
	}
	h.waitMonitor(beta, pb, "the row", func(resources.Outcome) bool {
		return beta.sql(t, "SELECT count(*)::text FROM pg_class WHERE relname = 't'") == "1"
	})

	// A partition: beta no longer sees alpha (node_hosts without it) and
	// is promoted; both then take writes.
	alphaDown := beta.params("node_hosts", nodeHosts(beta))
	t0 := time.Now()
	o = h.expect(beta, "promote", alphaDown, resources.OK)
	promoteTook := time.Since(t0)
	if v := scoreOf(t, o); v != strconv.Itoa(ScorePrimary) {
		t.Errorf("beta's score after promote = %s, want %d", v, ScorePrimary)
	}
	beta.exec(t, "INSERT INTO t VALUES ('on beta')")
	alpha.exec(t, "INSERT INTO t VALUES ('diverged on alpha')")

	// Demote without rewind permission: refused, alpha left stopped.
	o = h.expect(alpha, "demote", pa, resources.ErrGeneric)
	if !strings.Contains(o.Output, "rewind refused") || !strings.Contains(o.Output, "diverged") {
		t.Errorf("demote of a diverged primary without rewind: %q, want a rewind refusal", o.Output)
	}
	h.expect(alpha, "monitor", pa, resources.NotRunning)
	// Start is refused too.
	h.expect(alpha, "start", pa, resources.ErrGeneric)

	// Bring alpha back as the (diverged) primary by hand, then demote
	// with rewind allowed.
	os.Remove(filepath.Join(alpha.data(), "standby.signal"))
	asPostgres(t, "pg_ctl", "start", "-D", alpha.data(), "-l", filepath.Join(alpha.base, "log"), "-w", "-o", "-p "+strconv.Itoa(alpha.port)+" -k "+alpha.base)
	if alpha.sql(t, "SELECT pg_is_in_recovery()::text") != "false" {
		t.Fatal("alpha did not come back as a primary")
	}
	pr := alpha.params("node_hosts", hosts, "rewind", "true")
	t0 = time.Now()
	o = h.expect(alpha, "demote", pr, resources.OK)
	demoteTook := time.Since(t0)
	o = h.waitMonitor(alpha, pr, "streaming from beta", func(o resources.Outcome) bool {
		return o.Code == resources.OK && strings.Contains(o.Output, "streaming from")
	})
	standbyScoreInRange(t, scoreOf(t, o))
	h.waitMonitor(alpha, pr, "beta's row", func(resources.Outcome) bool {
		return alpha.sql(t, "SELECT string_agg(v, ',' ORDER BY v) FROM t") == "before,on beta"
	})
	h.expect(beta, "monitor", alphaDown, resources.RunningPromoted)

	// Staleness: with beta gone, alpha's knowledge ages on the fake clock.
	h.expect(beta, "stop", alphaDown, resources.OK)
	o = h.waitMonitor(alpha, pr, "not streaming", func(o resources.Outcome) bool {
		return strings.Contains(o.Output, "not streaming")
	})
	standbyScoreInRange(t, scoreOf(t, o))
	clk.Advance(DefaultStaleAfter + time.Second)
	o = h.expect(alpha, "monitor", pr, resources.OK)
	if v := scoreOf(t, o); v != NotPromotable {
		t.Errorf("score of a standby whose knowledge is %v old = %s, want %s (%s)", DefaultStaleAfter+time.Second, v, NotPromotable, o.Output)
	}
	o = h.expect(alpha, "promote", pr, resources.ErrGeneric)
	if !strings.Contains(o.Output, "not promotable") {
		t.Errorf("promote of a stale standby: %q, want a refusal", o.Output)
	}
	h.expect(alpha, "stop", pr, resources.OK)
	h.expect(alpha, "stop", pr, resources.OK)
	h.checkNoPassword()
	if b, _ := os.ReadFile(filepath.Join(alpha.data(), "postgresql.auto.conf")); !strings.Contains(string(b), "password=") {
		t.Errorf("alpha's postgresql.auto.conf has no password in primary_conninfo:\n%s", b)
	}
	t.Logf("timings: start %v, promote %v (beta), demote+rewind %v (alpha)", h.timing["start"], promoteTook, demoteTook)
}

// TestIntegrationMonitorCodes: a standby the agent recorded as promoted
// is a failed primary (9), and so is a killed primary; a stop then
// succeeds.
func TestIntegrationMonitorCodes(t *testing.T) {
	n := newNode(t, "solo")
	h := newHarness(t, Options{})
	p := n.params()
	h.expect(n, "monitor", p, resources.NotRunning)
	h.expect(n, "start", p, resources.OK)
	state := filepath.Join(n.base, ".ward-data.json")
	if err := writeRecord(state, record{Role: rolePrimary}); err != nil {
		t.Fatal(err)
	}
	o := h.expect(n, "monitor", p, resources.FailedPromoted)
	if !strings.Contains(o.Output, "in recovery") {
		t.Errorf("monitor of a recorded primary in recovery: %q, want it to say so", o.Output)
	}
	if err := writeRecord(state, record{Role: roleStandby}); err != nil {
		t.Fatal(err)
	}
	h.expect(n, "promote", p, resources.OK)
	h.expect(n, "promote", p, resources.OK)
	pid, err := postmasterPID(n.data())
	if err != nil || pid == 0 {
		t.Fatalf("postmasterPID = %d, %v, want the running server", pid, err)
	}
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	waitGone(t, pid)
	// The recurring monitor of the promoted role reports a failed
	// primary; a probe (what a node that rejoins runs) reports that
	// nothing runs, so the cluster does not count a primary here.
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	o = h.agent.Do(ctx, resources.Call{Resource: "db:0", Action: "monitor", Params: p, Meta: map[string]string{"on_node": n.name}, Interval: 9 * time.Second, Timeout: 20 * time.Second})
	if o.Code != resources.FailedPromoted || !strings.Contains(o.Output, "not running") {
		t.Errorf("recurring monitor of a killed primary = %v %q, want failed promoted, \"not running\"", o.Code, o.Output)
	}
	o = h.expect(n, "monitor", p, resources.NotRunning)
	if !strings.Contains(o.Output, "rejoin as a standby") {
		t.Errorf("probe of a killed primary: %q, want it to say it rejoins as a standby", o.Output)
	}
	h.expect(n, "stop", p, resources.OK)
	h.expect(n, "monitor", p, resources.NotRunning)
	// A start after the kill waits for the zombie postmaster to be
	// reaped (its pid file is still there), recovers, and runs.
	h.expect(n, "start", p, resources.OK)
	h.expect(n, "stop", p, resources.OK)
	// Bad configuration and missing software are reported as such.
	h.expect(n, "start", n.params("bindir", "/nonexistent"), resources.ErrNotInstalled)
	h.expect(n, "start", n.params("pgdata", n.base), resources.ErrNotConfigured)
	h.expect(n, "start", map[string]string{"pgdata": n.data(), "bogus": "1"}, resources.ErrNotConfigured)
	h.checkNoPassword()
}

// waitGone waits until pid is dead or a zombie.
func waitGone(t *testing.T, pid int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for alive(pid) {
		if time.Now().After(deadline) {
			t.Fatalf("process %d still alive 10 s after SIGKILL", pid)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestIntegrationNotifyFollowsPromoted: a standby that knows no primary
// follows the node a post-promote notification names.
func TestIntegrationNotifyFollowsPromoted(t *testing.T) {
	alpha, beta := newNode(t, "alpha"), newNode(t, "beta")
	h := newHarness(t, Options{})
	h.expect(alpha, "start", alpha.params(), resources.OK)
	h.expect(alpha, "promote", alpha.params(), resources.OK)
	alone := beta.params("node_hosts", nodeHosts(beta))
	h.expect(beta, "start", alone, resources.OK)
	if o := h.expect(beta, "monitor", alone, resources.OK); !strings.Contains(o.Output, "not streaming") {
		t.Fatalf("beta before the notification: %q, want not streaming", o.Output)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	o := h.agent.Do(ctx, resources.Call{Resource: "db:1", Action: resources.ActionNotify, Params: beta.params("node_hosts", nodeHosts(alpha, beta)),
		Meta:   map[string]string{"on_node": "beta"},
		Notify: &resources.Notify{Type: "post", Operation: "promote", Instances: map[string][]resources.Instance{"promote": {{Resource: "db:0", Node: "alpha"}}}}})
	if o.Code != resources.OK || o.Output != "following alpha" {
		t.Fatalf("notify post-promote = %v %q, want OK \"following alpha\"", o.Code, o.Output)
	}
	h.waitMonitor(beta, alone, "streaming", func(o resources.Outcome) bool { return strings.Contains(o.Output, "streaming from") })
	h.checkNoPassword()
}
