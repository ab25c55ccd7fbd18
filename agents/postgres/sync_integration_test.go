//go:build integration

package postgres

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/ward-ha/ward/resources"
)

// TestIntegrationSynchronous: a primary in synchronous mode keeps
// synchronous_standby_names to its streaming standbys as they leave and
// return, keeps the last one named when none is left (commits wait), and
// empties it only when relaxing is allowed.
func TestIntegrationSynchronous(t *testing.T) {
	alpha, beta, gamma := newNode(t, "alpha"), newNode(t, "beta"), newNode(t, "gamma")
	h := newHarness(t, Options{})
	hosts := nodeHosts(alpha, beta, gamma)
	p := func(n *node, extra ...string) map[string]string {
		return n.params(append([]string{"node_hosts", hosts, "synchronous", "on"}, extra...)...)
	}
	h.expect(alpha, "start", p(alpha), resources.OK)
	h.expect(alpha, "promote", p(alpha), resources.OK)
	if got := alpha.sql(t, "SHOW synchronous_standby_names"); got != `FIRST 1 ("beta", "gamma")` {
		t.Errorf("after promote with no standby: synchronous_standby_names = %q, want every peer", got)
	}
	h.expect(beta, "start", p(beta), resources.OK)
	h.expect(gamma, "start", p(gamma), resources.OK)
	names := func(want string) {
		t.Helper()
		h.waitMonitor(alpha, p(alpha), want, func(o resources.Outcome) bool {
			return o.Code == resources.RunningPromoted && alpha.sql(t, "SHOW synchronous_standby_names") == want
		})
	}
	names(`FIRST 1 ("beta", "gamma")`)
	alpha.exec(t, "CREATE TABLE s (v int); INSERT INTO s VALUES (1)")

	h.expect(gamma, "stop", p(gamma), resources.OK)
	names(`FIRST 1 ("beta")`)
	h.expect(gamma, "start", p(gamma), resources.OK)
	names(`FIRST 1 ("beta", "gamma")`)

	// No standby left: the names stay, commits wait.
	h.expect(gamma, "stop", p(gamma), resources.OK)
	names(`FIRST 1 ("beta")`)
	h.expect(beta, "stop", p(beta), resources.OK)
	h.expect(alpha, "monitor", p(alpha), resources.RunningPromoted)
	if got := alpha.sql(t, "SHOW synchronous_standby_names"); got != `FIRST 1 ("beta")` {
		t.Errorf("with no standby and synchronous_relax false: synchronous_standby_names = %q, want the last one kept", got)
	}
	if err := insertWithin(alpha, 500*time.Millisecond); err == nil || strings.Contains(err.Error(), "unexpected error") {
		t.Errorf("a commit with no synchronous standby: %v, want it still waiting after 500ms", err)
	}
	// Relaxing allowed: writes go on.
	h.waitMonitor(alpha, p(alpha, "synchronous_relax", "true"), "relaxed", func(o resources.Outcome) bool {
		return alpha.sql(t, "SHOW synchronous_standby_names") == ""
	})
	if err := insertWithin(alpha, 5*time.Second); err != nil {
		t.Errorf("a commit after relaxing: %v, want success", err)
	}
	h.checkNoPassword()
}

func insertWithin(n *node, d time.Duration) error {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	conn, err := pgx.Connect(ctx, fmt.Sprintf("host=%s port=%d user=postgres dbname=postgres", n.base, n.port))
	if err != nil {
		return err
	}
	defer conn.Close(context.Background())
	_, err = conn.Exec(ctx, "INSERT INTO s VALUES (2)")
	if err != nil && !strings.Contains(err.Error(), "context deadline") && !strings.Contains(err.Error(), "cancel") {
		return fmt.Errorf("unexpected error: %w", err)
	}
	return err
}
