package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ward-ha/ward/api"
	"github.com/ward-ha/ward/heartbeat"
)

// hookRecorder is a webhook recipient that keeps every request.
type hookRecorder struct {
	mu   sync.Mutex
	reqs []string
}

func (h *hookRecorder) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	b, _ := io.ReadAll(r.Body)
	h.mu.Lock()
	h.reqs = append(h.reqs, r.URL.String()+"\n"+string(b))
	h.mu.Unlock()
}

func (h *hookRecorder) all() string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return strings.Join(h.reqs, "\n---\n")
}

// redactPolicy is a one-node policy whose primitive holds secret and
// fails to start printing it, whose fence device holds secret, and whose
// alert (to hook) has secrets of its own (alertSecret: meant for the
// recipient only) and a password in its URL.
func redactPolicy(port int, secret, alertSecret, hook string) string {
	return fmt.Sprintf(`[cluster]
name = "redact"
stonith_enabled = false

[[node]]
name = "n1"
addresses = ["127.0.0.1:%[1]d"]

[[primitive]]
id = "db"
agent = "exec"

[primitive.params]
start = "echo connecting with password=$OCF_RESKEY_repl_password >&2; exit 1"
stop = "exit 0"
monitor = "exit 7"

[primitive.secret_params]
repl_password = %[2]q

[[fencing.device]]
id = "pdu"
plugin = "exec"
command = ["/bin/true"]
nodes = ["n1"]

[fencing.device.secret_params]
password = %[2]q

[[alert]]
id = "hook"
kind = "webhook"
url = "http://ops:%[3]s-url@%[4]s/hook"
events = ["resource", "node", "policy"]

[alert.secret_params]
token = %[3]q
`, port, secret, alertSecret, strings.TrimPrefix(hook, "http://"))
}

// TestSecurityRedaction plants a unique secret in a primitive's and a
// fence device's secret_params (the way a replication password is
// given), makes the primitive fail while printing it, and greps every
// surface an operator or a recipient sees: the API answers, the CLI's
// output, the daemon's logs (debug level), the event log on disk, the
// metrics and the alert payloads. The alert's own secret_params reach
// its recipient only.
func TestSecurityRedaction(t *testing.T) {
	secret := "S3CRET-" + randHex(8)
	alertSecret := "ALERTSECRET-" + randHex(8)
	hook := &hookRecorder{}
	hs := httptest.NewServer(hook)
	defer hs.Close()
	dir, err := os.MkdirTemp("", "wr-")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(dir)
	ports, err := freePorts(2)
	if err != nil {
		t.Fatal(err)
	}
	pol := filepath.Join(dir, "policy.toml")
	if err := os.WriteFile(pol, []byte(redactPolicy(ports[0], secret, alertSecret, hs.URL)), 0o600); err != nil {
		t.Fatal(err)
	}
	key := filepath.Join(dir, "ward.key")
	k, _ := heartbeat.GenerateKey()
	if err := heartbeat.WriteKeyFile(key, false, k); err != nil {
		t.Fatal(err)
	}
	socket := filepath.Join(dir, "n1.sock")
	state := filepath.Join(dir, "state")
	logs := &lockedBuffer{}
	c := newDaemonCmd()
	c.SetOut(logs)
	c.SetErr(logs)
	c.SetArgs([]string{"--policy", pol, "--node", "n1", "--state-dir", state, "--key", key, "--socket", socket,
		"--agent-state-dir", filepath.Join(dir, "agents"), "--realtime=false", "--log-level", "debug",
		"--listen", fmt.Sprintf("127.0.0.1:%d", ports[1])})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- c.ExecuteContext(ctx) }()
	defer func() {
		cancel()
		<-done
	}()
	cl := api.NewClient(socket)
	defer cl.CloseIdleConnections()

	// Wait until the failure is recorded and an alert about it delivered.
	deadline := time.Now().Add(30 * time.Second)
	for {
		st, err := cl.Status(context.Background())
		if err == nil && len(st.FailedActions) > 0 && strings.Contains(hook.all(), "db") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no failed start of db and alert within 30s: status %+v, %v; hook got %q\nlogs:\n%s", st, err, hook.all(), logs.String())
		}
		time.Sleep(50 * time.Millisecond) // polling the API from outside
	}
	// A policy change that touches the secret: the diff must hide both.
	src, _ := os.ReadFile(pol)
	changed := strings.Replace(string(src), secret, secret+"-new", 1)

	get := func(path string) string {
		resp, err := http.Get(fmt.Sprintf("http://127.0.0.1:%d%s", ports[1], path))
		if err != nil {
			return "GET " + path + ": " + err.Error()
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return string(b)
	}
	socketGet := func(path string) string {
		hc := &http.Client{Transport: &http.Transport{DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			return (&net.Dialer{}).DialContext(ctx, "unix", socket)
		}}}
		resp, err := hc.Get("http://ward" + path)
		if err != nil {
			return "GET " + path + ": " + err.Error()
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return string(b)
	}
	socketPost := func(path, body string) string {
		hc := &http.Client{Transport: &http.Transport{DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			return (&net.Dialer{}).DialContext(ctx, "unix", socket)
		}}}
		resp, err := hc.Post("http://ward"+path, "application/json", strings.NewReader(body))
		if err != nil {
			return "POST " + path + ": " + err.Error()
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return string(b)
	}
	cli := func(args ...string) string {
		var out bytes.Buffer
		root := newRootCmd(&out, &out)
		root.SetArgs(args)
		_, cerr := root.ExecuteC()
		return fmt.Sprintf("%s\n%v", out.String(), cerr)
	}
	badTOML := strings.Replace(string(src), fmt.Sprintf("repl_password = %q", secret), fmt.Sprintf("repl_password = %q = 1", secret), 1)
	jsonQuote := func(s string) string { return strings.ReplaceAll(strings.ReplaceAll(s, `\`, `\\`), `"`, `\"`) }
	jsonQuote2 := func(s string) string { return strings.ReplaceAll(jsonQuote(s), "\n", `\n`) }

	surfaces := []struct {
		name string
		got  func() string
	}{
		{"GET /v1/status", func() string { return socketGet("/v1/status") }},
		{"GET /v1/policy", func() string { return socketGet("/v1/policy") }},
		{"GET /v1/events", func() string { return socketGet("/v1/events") }},
		{"GET /v1/explain/db", func() string { return socketGet("/v1/explain/db") }},
		{"GET /v1/keys", func() string { return socketGet("/v1/keys") }},
		{"POST /v1/policy dry run changing the secret", func() string {
			return socketPost("/v1/policy", `{"dry_run": true, "source": "`+jsonQuote2(changed)+`"}`)
		}},
		{"POST /v1/policy invalid near the secret", func() string {
			return socketPost("/v1/policy", `{"dry_run": true, "source": "`+jsonQuote2(badTOML)+`"}`)
		}},
		{"metrics", func() string { return get("/metrics") }},
		{"ward policy show FILE", func() string { return cli("policy", "show", pol) }},
		{"ward policy show --live", func() string { return cli("policy", "show", "--live", "--socket", socket) }},
		{"ward policy check FILE (invalid)", func() string {
			bad := filepath.Join(dir, "bad.toml")
			os.WriteFile(bad, []byte(badTOML), 0o600)
			return cli("policy", "check", bad)
		}},
		{"ward status", func() string { return cli("status", "--socket", socket) }},
		{"ward status -o json", func() string { return cli("status", "-o", "json", "--socket", socket) }},
		{"ward events", func() string { return cli("events", "--socket", socket) }},
		{"event log files", func() string {
			var b strings.Builder
			files, _ := filepath.Glob(filepath.Join(state, "events", "*"))
			for _, f := range files {
				data, _ := os.ReadFile(f)
				b.Write(data)
			}
			if len(files) == 0 {
				return "no event log files in " + state
			}
			return b.String()
		}},
		{"daemon logs (debug)", logs.String},
	}
	for _, s := range surfaces {
		got := s.got()
		if strings.Contains(got, secret) {
			t.Errorf("%s shows the secret: %s", s.name, excerpt(got, secret))
		}
		if strings.Contains(got, alertSecret) {
			t.Errorf("%s shows the alert's secret: %s", s.name, excerpt(got, alertSecret))
		}
		if got == "" {
			t.Errorf("%s is empty: the surface was not exercised", s.name)
		}
	}
	// The alert recipient gets its own secret, never the resource's.
	payload := hook.all()
	if strings.Contains(payload, secret) {
		t.Errorf("alert payload shows the resource's secret: %s", excerpt(payload, secret))
	}
	if !strings.Contains(payload, alertSecret) {
		t.Errorf("alert payload lacks the alert's own secret_params (its recipient should get them): %q", payload)
	}
	// The state directory holds the live policy, secrets included: no
	// file or folder in it is open to others, and the files that hold a
	// secret only to their owner.
	if fi, err := os.Stat(state); err != nil || fi.Mode().Perm() != 0o700 {
		t.Errorf("state directory mode = %v (%v), want 0700", fi.Mode().Perm(), err)
	}
	filepath.Walk(state, func(path string, fi os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		if fi.Mode().Perm()&0o007 != 0 {
			t.Errorf("%s has mode %04o: others may read it", path, fi.Mode().Perm())
		}
		if data, err := os.ReadFile(path); err == nil && bytes.Contains(data, []byte(secret)) && fi.Mode().Perm() != 0o600 {
			t.Errorf("%s holds the secret with mode %04o, want 0600", path, fi.Mode().Perm())
		}
		return nil
	})
	// The failure is still visible, with the secret masked.
	if st := socketGet("/v1/status"); !strings.Contains(st, "connecting with password=") {
		t.Errorf("status lost the failure's output: %s", st)
	}
}

// excerpt shows where needle appears in s.
func excerpt(s, needle string) string {
	i := strings.Index(s, needle)
	lo, hi := max(i-120, 0), min(i+len(needle)+40, len(s))
	return "..." + s[lo:hi] + "..."
}

func randHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}
