//go:build integration

package postgres

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ward-ha/ward/resources"
)

// TestIntegrationStandbyReconnectsToRestartedPrimary: the primary
// crashes and restarts in place (what the cluster does after a failed
// promoted monitor). beta's WAL receiver failed meanwhile, and PostgreSQL
// then sleeps out wal_retrieve_retry_interval before it tries again:
// here 60 s, so that only the follower's wake can bring beta back within
// the 20 s the test waits (with the default 5 s, the lab soak saw writes
// blocked up to 5 s, in synchronous mode, after a kill -9 of the
// primary's postmaster).
func TestIntegrationStandbyReconnectsToRestartedPrimary(t *testing.T) {
	alpha, beta := newNode(t, "alpha"), newNode(t, "beta")
	h := newHarness(t, Options{})
	pa, pb := h.startPair(alpha, beta)
	beta.exec(t, "ALTER SYSTEM SET wal_retrieve_retry_interval = '60s'")
	beta.exec(t, "SELECT pg_reload_conf()")
	// A recurring monitor starts beta's follower, with a lease long
	// enough for the whole test.
	if o := h.doInterval(beta, "monitor", pb, time.Minute); o.Code != resources.OK {
		t.Fatalf("beta's recurring monitor = %v %s", o.Code, o.Output)
	}

	alpha.kill(t)
	// beta's receiver fails and tries once more at once; that attempt is
	// refused, and the startup process goes to sleep.
	logFile := filepath.Join(beta.base, "log")
	deadline := time.Now().Add(20 * time.Second)
	for {
		b, _ := os.ReadFile(logFile)
		if strings.Contains(string(b), "could not connect to the primary server") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("beta never failed to reach the stopped alpha; its log:\n%s", lastLines(string(b), 20))
		}
		time.Sleep(20 * time.Millisecond)
	}

	h.expect(alpha, "start", pa, resources.OK)
	h.expect(alpha, "promote", pa, resources.OK)
	waitSQL(t, beta, "SELECT count(*)::text FROM pg_stat_wal_receiver WHERE status = 'streaming' AND sender_port = "+strconv.Itoa(alpha.port), "1")
	h.mu.Lock()
	logs := h.logs.String()
	h.mu.Unlock()
	if !strings.Contains(logs, "woke the WAL receiver to reconnect to the primary now") {
		t.Errorf("agent log does not say the follower woke beta:\n%s", lastLines(logs, 20))
	}
}
