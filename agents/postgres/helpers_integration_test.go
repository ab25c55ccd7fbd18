//go:build integration

package postgres

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/ward-ha/ward/resources"
)

const (
	pgBin    = DefaultBinDir
	password = "S3cret-Repl-PW-7b1e"
)

var (
	templateOnce sync.Once
	templateDir  string
	templateErr  error
)

// TestMain removes the template cluster after the tests.
func TestMain(m *testing.M) {
	code := m.Run()
	if templateDir != "" {
		os.RemoveAll(filepath.Dir(templateDir))
	}
	os.Exit(code)
}

// asPostgres runs a command as the postgres OS user.
func asPostgres(t testing.TB, name string, args ...string) string {
	t.Helper()
	cmd := exec.Command(filepath.Join(pgBin, name), args...)
	id, err := lookupIDs("postgres")
	if err != nil {
		t.Fatal(err)
	}
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: id.uid, Gid: id.gid}}
	cmd.Dir = "/"
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return string(out)
}

func chownPostgres(t testing.TB, path string) {
	t.Helper()
	id, err := lookupIDs("postgres")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Chown(path, int(id.uid), int(id.gid)); err != nil {
		t.Fatal(err)
	}
}

// template initdb's one cluster per test binary (2 s); every node is a
// copy of it, so copies share a system identifier and can replicate.
func template(t testing.TB) string {
	t.Helper()
	if _, err := os.Stat(filepath.Join(pgBin, "initdb")); err != nil {
		t.Fatalf("PostgreSQL 15 is not installed at %s (%v): run scripts/deps.sh", pgBin, err)
	}
	templateOnce.Do(func() {
		dir, err := os.MkdirTemp("", "wardpg-template-")
		if err != nil {
			templateErr = err
			return
		}
		os.Chmod(dir, 0o755)
		chownPostgres(t, dir)
		data := filepath.Join(dir, "data")
		asPostgres(t, "initdb", "-D", data, "-U", "postgres", "--auth-local=trust", "--auth-host=trust", "-N", "-k")
		conf := `listen_addresses = '127.0.0.1'
wal_level = replica
wal_log_hints = on
max_wal_senders = 10
wal_keep_size = '64MB'
hot_standby = on
shared_buffers = '16MB'
fsync = off
wal_receiver_status_interval = 1s
`
		f, err := os.OpenFile(filepath.Join(data, "postgresql.conf"), os.O_APPEND|os.O_WRONLY, 0)
		if err != nil {
			templateErr = err
			return
		}
		f.WriteString(conf)
		f.Close()
		h, _ := os.OpenFile(filepath.Join(data, "pg_hba.conf"), os.O_APPEND|os.O_WRONLY, 0)
		h.WriteString("host replication all 127.0.0.1/32 trust\n")
		h.Close()
		templateDir = data
	})
	if templateErr != nil {
		t.Fatal(templateErr)
	}
	return templateDir
}

func freePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// node is one PostgreSQL instance of a test cluster.
type node struct {
	name string
	base string
	port int
}

func (n *node) data() string { return filepath.Join(n.base, "data") }

// newNode copies the template into a fresh folder owned by postgres and
// registers its cleanup: an immediate stop, waiting for the postmaster to
// go, and removal.
func newNode(t testing.TB, name string) *node {
	t.Helper()
	tpl := template(t)
	base, err := os.MkdirTemp("", "wardpg-"+name+"-")
	if err != nil {
		t.Fatal(err)
	}
	os.Chmod(base, 0o755)
	chownPostgres(t, base)
	n := &node{name: name, base: base, port: freePort(t)}
	if out, err := exec.Command("cp", "-a", tpl, n.data()).CombinedOutput(); err != nil {
		t.Fatalf("copy template: %v\n%s", err, out)
	}
	t.Cleanup(func() { n.kill(t); os.RemoveAll(base) })
	return n
}

// kill stops the server immediately and waits until its pid file is gone.
func (n *node) kill(t testing.TB) {
	if pid, _ := postmasterPID(n.data()); pid == 0 {
		return
	}
	id, _ := lookupIDs("postgres")
	cmd := exec.Command(filepath.Join(pgBin, "pg_ctl"), "stop", "-D", n.data(), "-m", "immediate", "-w", "-t", "30")
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: id.uid, Gid: id.gid}}
	cmd.Dir = "/"
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Logf("cleanup: pg_ctl stop -m immediate %s: %v %s", n.name, err, out)
	}
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if _, err := os.Stat(filepath.Join(n.data(), "postmaster.pid")); os.IsNotExist(err) {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Errorf("cleanup: %s: postmaster.pid still there 10 s after an immediate stop", n.name)
}

func (n *node) params(extra ...string) map[string]string {
	p := map[string]string{
		"pgdata":        n.data(),
		"pgport":        strconv.Itoa(n.port),
		"socket_dir":    n.base,
		"logfile":       filepath.Join(n.base, "log"),
		"repl_password": password,
	}
	for i := 0; i+1 < len(extra); i += 2 {
		p[extra[i]] = extra[i+1]
	}
	return p
}

func nodeHosts(ns ...*node) string {
	var s []string
	for _, n := range ns {
		s = append(s, fmt.Sprintf("%s=127.0.0.1:%d", n.name, n.port))
	}
	return strings.Join(s, ",")
}

// harness drives the agent for several nodes and keeps every output and
// log line, to check that the password never shows.
type harness struct {
	t       testing.TB
	agent   *Agent
	mu      sync.Mutex
	logs    bytes.Buffer
	outputs []string
	timing  map[string][]time.Duration
}

func newHarness(t testing.TB, o Options) *harness {
	h := &harness{t: t, timing: map[string][]time.Duration{}}
	o.Logger = slog.New(slog.NewTextHandler(&lockedWriter{h: h}, &slog.HandlerOptions{Level: slog.LevelDebug}))
	h.agent = New(o)
	return h
}

type lockedWriter struct{ h *harness }

func (w *lockedWriter) Write(p []byte) (int, error) {
	w.h.mu.Lock()
	defer w.h.mu.Unlock()
	return w.h.logs.Write(p)
}

func (h *harness) do(n *node, action string, p map[string]string) resources.Outcome {
	h.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	t0 := time.Now()
	o := h.agent.Do(ctx, resources.Call{Resource: "db:0", Action: action, Params: p, Meta: map[string]string{"on_node": n.name}, Timeout: 60 * time.Second})
	h.mu.Lock()
	h.timing[action] = append(h.timing[action], time.Since(t0))
	h.outputs = append(h.outputs, o.Output, o.ExitReason)
	if o.Err != nil {
		h.outputs = append(h.outputs, o.Err.Error())
	}
	h.mu.Unlock()
	return o
}

func (h *harness) expect(n *node, action string, p map[string]string, want resources.Code) resources.Outcome {
	h.t.Helper()
	o := h.do(n, action, p)
	if o.Code != want {
		log, _ := os.ReadFile(filepath.Join(n.base, "log"))
		h.t.Fatalf("Do(%s %s) = %v: %s, want %v\nserver log tail:\n%s", n.name, action, o.Code, o.Output, want, lastLines(string(log), 15))
	}
	return o
}

// checkNoPassword fails if the password appears in any output or log.
func (h *harness) checkNoPassword() {
	h.t.Helper()
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, s := range append(h.outputs, h.logs.String()) {
		if strings.Contains(s, password) {
			h.t.Errorf("the replication password appears in agent output or logs: %q", s)
		}
	}
}

// waitMonitor polls monitor until cond holds (replication state changes
// on the server's own time), for up to 15 s.
func (h *harness) waitMonitor(n *node, p map[string]string, what string, cond func(resources.Outcome) bool) resources.Outcome {
	h.t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		o := h.do(n, "monitor", p)
		if cond(o) {
			return o
		}
		if time.Now().After(deadline) {
			h.t.Fatalf("%s: monitor never showed %s; last: %v %s", n.name, what, o.Code, o.Output)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func (n *node) sql(t testing.TB, q string, args ...any) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, fmt.Sprintf("host=%s port=%d user=postgres dbname=postgres", n.base, n.port))
	if err != nil {
		t.Fatalf("%s: connect: %v", n.name, err)
	}
	defer conn.Close(ctx)
	var out string
	if err := conn.QueryRow(ctx, q, args...).Scan(&out); err != nil {
		t.Fatalf("%s: %s: %v", n.name, q, err)
	}
	return out
}

// exec runs statements (simple protocol, several allowed).
func (n *node) exec(t testing.TB, q string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, fmt.Sprintf("host=%s port=%d user=postgres dbname=postgres", n.base, n.port))
	if err != nil {
		t.Fatalf("%s: connect: %v", n.name, err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, q, pgx.QueryExecModeSimpleProtocol); err != nil {
		t.Fatalf("%s: %s: %v", n.name, q, err)
	}
}

// startPair starts alpha as the primary and beta as a standby streaming
// from it, each with node_hosts naming both and the extra parameters,
// and returns their parameters.
func (h *harness) startPair(alpha, beta *node, extra ...string) (pa, pb map[string]string) {
	h.t.Helper()
	hosts := nodeHosts(alpha, beta)
	pa = alpha.params(append([]string{"node_hosts", hosts}, extra...)...)
	pb = beta.params(append([]string{"node_hosts", hosts}, extra...)...)
	h.expect(alpha, "start", pa, resources.OK)
	h.expect(alpha, "promote", pa, resources.OK)
	h.expect(beta, "start", pb, resources.OK)
	h.waitMonitor(beta, pb, "streaming", streamingFrom)
	return pa, pb
}

// streamingFrom reports a standby's monitor saying it streams.
func streamingFrom(o resources.Outcome) bool {
	return o.Code == resources.OK && strings.Contains(o.Output, "streaming from")
}
