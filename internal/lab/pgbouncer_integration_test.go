//go:build integration

package lab

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// pgbouncerIni is the lab's PgBouncer: in the client namespace, every
// server connection to the VIP (as examples/pgbouncer/pgbouncer.ini).
const pgbouncerIni = `[databases]
* = host=%s port=5432

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = 6432
unix_socket_dir =
auth_type = trust
auth_file = %s
pool_mode = session
server_connect_timeout = 2
server_login_retry = 1
server_check_delay = 1
server_check_query = select 1
tcp_keepalive = 1
tcp_keepidle = 2
tcp_keepintvl = 1
tcp_keepcnt = 3
logfile = %s
pidfile = %s
`

// TestIntegrationPGPairPgBouncer writes through Debian's PgBouncer,
// pointed at the VIP, across a power-off of the primary's host: writes
// resume through PgBouncer and every acknowledged one is present.
func TestIntegrationPGPairPgBouncer(t *testing.T) {
	bouncer, err := exec.LookPath("pgbouncer")
	if err != nil {
		bouncer = "/usr/sbin/pgbouncer"
		if _, err := os.Stat(bouncer); err != nil {
			t.Fatalf("pgbouncer is not installed (Debian: pgbouncer; scripts/deps.sh): %v", err)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	l := newTestLab(t, 2)
	e := startPG(t, l, pairOptions)
	dir := filepath.Join(l.cfg.Dir, "pgbouncer")
	os.MkdirAll(dir, 0o755)
	uid, gid, err := postgresIDs()
	if err != nil {
		t.Fatal(err)
	}
	os.Chown(dir, int(uid), int(gid))
	users := filepath.Join(dir, "userlist.txt")
	os.WriteFile(users, []byte(`"postgres" ""`+"\n"), 0o644)
	ini := filepath.Join(dir, "pgbouncer.ini")
	os.WriteFile(ini, fmt.Appendf(nil, pgbouncerIni, l.VIP(), users, filepath.Join(dir, "log"), filepath.Join(dir, "pid")), 0o644)
	// PgBouncer refuses to run as root.
	cmd := l.ClientCommand(context.Background(), "runuser", "-u", "postgres", "--", bouncer, ini)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go cmd.Wait() // Down kills it with the client namespace
	// A table of its own: the harness's writer uses clientTable.
	const table = "acked_pgbouncer"
	if err := l.CreateTables(ctx, l.VIP(), table); err != nil {
		t.Fatal(err)
	}
	w, err := l.NewWriterPort("127.0.0.1", 6432, table, 3*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	rctx, stop := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { w.Run(rctx); close(done) }()
	defer func() { stop(); <-done }()
	if _, err := w.WaitAckAfter(ctx, time.Now()); err != nil {
		b, _ := os.ReadFile(filepath.Join(dir, "log"))
		t.Fatalf("%v\npgbouncer log:\n%s", err, b)
	}
	p := e.primary(ctx)
	e.waitSyncStandby(ctx)
	t0 := time.Now()
	if err := l.PowerOff(ctx, p); err != nil {
		t.Fatal(err)
	}
	a, err := w.WaitAckAfter(ctx, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("power off %s: first write through PgBouncer %v later", l.Name(p), a.At.Sub(t0).Round(time.Millisecond))
	stop()
	<-done
	acks := w.Acks()
	var missing []int64
	waitFor(t, ctx, "reading back", func() error {
		missing, err = l.Missing(ctx, l.VIP(), table, acks)
		return err
	})
	if len(missing) > 0 {
		t.Errorf("%d of %d writes acknowledged through PgBouncer missing: %v", len(missing), len(acks), missing[:min(20, len(missing))])
	}
	if d := e.watcher.Dual(); len(d) > 0 {
		t.Errorf("two primaries acknowledged writes at once: %v", d)
	}
}
