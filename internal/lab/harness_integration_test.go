//go:build integration

package lab

import (
	"cmp"
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/ward-ha/ward/api"
)

// wardExe is the ward binary built by TestMain.
var wardExe string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "wardlab-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	wardExe = filepath.Join(dir, "ward")
	if out, err := exec.Command("go", "build", "-o", wardExe, "github.com/ward-ha/ward/cmd/ward").CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "build ward: %v\n%s", err, out)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// testPrefix keeps the tests' namespaces apart from a `ward lab` an
// operator may have running.
// WARD_LAB_TEST_PREFIX overrides it, for helpers running labs side by side.
var testPrefix = cmp.Or(os.Getenv("WARD_LAB_TEST_PREFIX"), "wardlt-")

// newTestLab builds a lab of n hosts and registers its removal.
func newTestLab(t *testing.T, n int) *Lab {
	t.Helper()
	if err := CheckRoot(); err != nil {
		t.Fatal(err)
	}
	base, err := os.MkdirTemp("", "wardlab-e2e-")
	if err != nil {
		t.Fatal(err)
	}
	os.Chmod(base, 0o755)
	l, err := New(Config{Dir: filepath.Join(base, "lab"), Prefix: testPrefix, Nodes: n, Exe: wardExe},
		slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})))
	if err != nil {
		t.Fatal(err)
	}
	// A lab left by a crashed run.
	if err := l.Down(context.Background(), false); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if t.Failed() {
			keep, _ := os.MkdirTemp("", "wardlab-failed-")
			for i := 1; i <= n; i++ {
				if b, err := os.ReadFile(l.DaemonLog(i)); err == nil {
					t.Logf("%s daemon log (tail):\n%s", l.Name(i), tail(string(b), 30))
					os.WriteFile(filepath.Join(keep, l.Name(i)+".log"), b, 0o644)
				}
				if b, err := os.ReadFile(filepath.Join(l.HostDir(i), "postgresql.log")); err == nil {
					os.WriteFile(filepath.Join(keep, l.Name(i)+"-postgresql.log"), b, 0o644)
				}
			}
			t.Logf("logs kept in %s", keep)
		}
		if err := l.Down(context.Background(), true); err != nil {
			t.Errorf("lab down: %v", err)
		}
		os.RemoveAll(base)
	})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := l.Up(ctx); err != nil {
		t.Fatal(err)
	}
	return l
}

func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// pgEnv is a running PostgreSQL + VIP cluster in a lab with a client
// writing through the VIP and a watcher of every host.
type pgEnv struct {
	t       *testing.T
	l       *Lab
	daemons map[int]*Daemon
	writer  *Writer
	watcher *Watcher
	stop    context.CancelFunc
	done    chan struct{}
}

const clientTable = "acked"

// startPG starts the daemons with the lab's PostgreSQL policy, waits for
// a primary behind the VIP with a synchronous standby, then starts the
// writer and the watcher.
func startPG(t *testing.T, l *Lab, opts PolicyOptions) *pgEnv {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	if err := l.InitPostgres(ctx); err != nil {
		t.Fatal(err)
	}
	if err := l.WriteFiles(l.Policy(opts)); err != nil {
		t.Fatal(err)
	}
	e := &pgEnv{t: t, l: l, daemons: map[int]*Daemon{}}
	for i := 1; i <= l.cfg.Nodes; i++ {
		e.boot(ctx, i, false)
	}
	// A primary behind the VIP, then the tables.
	waitFor(t, ctx, "the VIP to answer as a primary", func() error {
		return l.CreateTables(ctx, l.VIP(), clientTable)
	})
	if opts.Synchronous {
		e.waitSyncStandby(ctx)
	}
	w, err := l.NewWriter(l.VIP(), clientTable, 3*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	e.writer = w
	e.watcher = l.NewWatcher(100 * time.Millisecond)
	rctx, stop := context.WithCancel(context.Background())
	e.stop = stop
	e.done = make(chan struct{})
	go func() {
		defer close(e.done)
		done := make(chan struct{})
		go func() { e.watcher.Run(rctx); close(done) }()
		e.writer.Run(rctx)
		<-done
	}()
	t.Cleanup(e.close)
	if _, err := w.WaitAckAfter(ctx, time.Now()); err != nil {
		t.Fatal(err)
	}
	return e
}

func (e *pgEnv) close() {
	if e.stop != nil {
		e.stop()
		<-e.done
		e.stop = nil
	}
}

// boot starts host i's daemon (after a power-off: link up first).
func (e *pgEnv) boot(ctx context.Context, i int, again bool) {
	e.t.Helper()
	var d *Daemon
	var err error
	if again {
		d, err = e.l.Boot(ctx, i, false)
	} else {
		d, err = e.l.StartDaemon(i, false)
	}
	if err != nil {
		e.t.Fatal(err)
	}
	e.daemons[i] = d
	if err := e.l.WaitSocket(ctx, i, d); err != nil {
		e.t.Fatal(err)
	}
}

// waitFor retries f every 100 ms until it succeeds or ctx ends.
func waitFor(t *testing.T, ctx context.Context, what string, f func() error) {
	t.Helper()
	var err error
	for {
		if err = f(); err == nil {
			return
		}
		select {
		case <-ctx.Done():
			t.Fatalf("waiting for %s: %v (last error: %v)", what, ctx.Err(), err)
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// query runs a one-value query on host i through its unix socket.
func (e *pgEnv) query(ctx context.Context, i int, sql string, dst any) error {
	cfg, err := e.l.LocalConfig(i)
	if err != nil {
		return err
	}
	qctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	conn, err := pgx.ConnectConfig(qctx, cfg)
	if err != nil {
		return err
	}
	defer conn.Close(context.Background())
	return conn.QueryRow(qctx, sql).Scan(dst)
}

// role returns "primary", "standby" or an error for host i.
func (e *pgEnv) role(ctx context.Context, i int) (string, error) {
	var rec bool
	if err := e.query(ctx, i, "SELECT pg_is_in_recovery()", &rec); err != nil {
		return "", err
	}
	if rec {
		return "standby", nil
	}
	return "primary", nil
}

// primary waits until exactly one host answers as primary and returns it.
func (e *pgEnv) primary(ctx context.Context) int {
	e.t.Helper()
	var p int
	waitFor(e.t, ctx, "exactly one primary", func() error {
		var ps []int
		for i := 1; i <= e.l.cfg.Nodes; i++ {
			if r, err := e.role(ctx, i); err == nil && r == "primary" {
				ps = append(ps, i)
			}
		}
		if len(ps) != 1 {
			return fmt.Errorf("primaries %v", ps)
		}
		p = ps[0]
		return nil
	})
	return p
}

// waitSyncStandby waits until the primary has a synchronous standby.
func (e *pgEnv) waitSyncStandby(ctx context.Context) {
	e.t.Helper()
	p := e.primary(ctx)
	waitFor(e.t, ctx, fmt.Sprintf("a synchronous standby of %s", e.l.Name(p)), func() error {
		var n int
		if err := e.query(ctx, p, "SELECT count(*) FROM pg_stat_replication WHERE sync_state IN ('sync','quorum') AND state = 'streaming'", &n); err != nil {
			return err
		}
		if n == 0 {
			return fmt.Errorf("no synchronous standby streaming")
		}
		return nil
	})
}

// vipHolders lists the hosts with the VIP on their interface.
func (e *pgEnv) vipHolders(ctx context.Context) []int {
	st, err := e.l.Status(ctx)
	if err != nil {
		e.t.Fatal(err)
	}
	var h []int
	for i, s := range st {
		// A powered-off host keeps its (dead) interface's addresses.
		if len(s.Pids) > 0 && slices.Contains(s.Addrs, e.l.VIP()+"/24") {
			h = append(h, i+1)
		}
	}
	return h
}

// fenced reports whether a daemon's status shows node fenced with ok.
func (e *pgEnv) fenced(ctx context.Context, from int, node string) bool {
	cl := api.NewClient(e.l.Socket(from))
	defer cl.CloseIdleConnections()
	qctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	st, err := cl.Status(qctx)
	if err != nil {
		return false
	}
	for _, f := range st.Fencing {
		if f.Node == node && f.Result == "ok" {
			return true
		}
	}
	return false
}

// checkNoLoss reads every acknowledged id back through the VIP.
func (e *pgEnv) checkNoLoss(ctx context.Context) {
	e.t.Helper()
	acks := e.writer.Acks()
	var missing []int64
	waitFor(e.t, ctx, "reading the acknowledged ids back", func() error {
		var err error
		missing, err = e.l.Missing(ctx, e.l.VIP(), clientTable, acks)
		return err
	})
	if len(missing) > 0 {
		e.t.Errorf("%d of %d acknowledged writes missing after failover: %v", len(missing), len(acks), missing[:min(len(missing), 20)])
	}
	if d := e.watcher.Dual(); len(d) > 0 {
		e.t.Errorf("two primaries acknowledged writes at once: %v", d)
	}
}

func other(i int) int { return 3 - i }
