package alert

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/ward-ha/ward/api"
	"github.com/ward-ha/ward/policy"
)

type dcSource struct{ dc string }

func (s dcSource) Status(context.Context) (api.ClusterStatus, error) {
	return api.ClusterStatus{Node: "n1", DC: s.dc}, nil
}

// run starts d on a channel and returns it and a stop function that
// waits for Run to return.
func run(t *testing.T, d *Dispatcher, alerts []policy.Alert) (chan<- api.Event, func()) {
	t.Helper()
	ch := make(chan api.Event, 8)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- d.Run(ctx, ch, func() []policy.Alert { return alerts }) }()
	stop := func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run() = %v", err)
		}
	}
	var once sync.Once
	t.Cleanup(func() { once.Do(stop) })
	return ch, func() { once.Do(stop) }
}

var failover = api.Event{Seq: 7, At: time.Date(2026, 11, 26, 7, 0, 0, 0, time.UTC), Kind: api.EventResource, Resource: "db", Node: "n2",
	From: "Promoted@n1", To: "Promoted@n2", Message: "db moved: Promoted@n1 -> Promoted@n2", Severity: api.SeverityWarning}

func TestWebhookFailover(t *testing.T) {
	got := make(chan Payload, 1)
	var auth string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var p Payload
		json.NewDecoder(r.Body).Decode(&p)
		auth = r.Header.Get("Content-Type")
		got <- p
	}))
	defer srv.Close()
	d := New(Config{Cluster: "prod", Status: dcSource{dc: "n1"}})
	alerts := []policy.Alert{{ID: "ops", Kind: "webhook", URL: srv.URL + "/hook?token=s3cret", Events: []string{"resource"},
		Params: map[string]string{"team": "db"}, SecretParams: map[string]string{"key": "hunter2"}}}
	ch, _ := run(t, d, alerts)
	ch <- api.Event{Seq: 6, Kind: api.EventQuorum, Message: "not wanted by this recipient"}
	ch <- failover
	select {
	case p := <-got:
		ev, _ := json.Marshal(p.Event)
		if p.Recipient != "ops" || p.Cluster != "prod" || !strings.Contains(string(ev), `"to":"Promoted@n2"`) || p.Params["key"] != "hunter2" || p.Params["team"] != "db" || auth != "application/json" {
			t.Errorf("webhook payload = %+v (event %s), want the failover with params", p, ev)
		}
		if !strings.Contains(string(ev), `"seq":7`) {
			t.Errorf("webhook got event %s, want seq 7 (the quorum event is not wanted)", ev)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the webhook got nothing in 10s")
	}
}

func TestWebhookRetriedThenDelivered(t *testing.T) {
	var mu sync.Mutex
	calls := 0
	ok := make(chan int, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		calls++
		if calls < 3 {
			http.Error(w, "busy", http.StatusServiceUnavailable)
			return
		}
		ok <- calls
	}))
	defer srv.Close()
	d := New(Config{Cluster: "prod", Backoff: []time.Duration{time.Millisecond, 2 * time.Millisecond, 4 * time.Millisecond}})
	ch, _ := run(t, d, []policy.Alert{{ID: "ops", Kind: "webhook", URL: srv.URL}})
	ch <- failover
	select {
	case n := <-ok:
		if n != 3 {
			t.Errorf("delivered at attempt %d, want 3", n)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the failing receiver was not retried to success in 10s")
	}
}

func TestNotDCDoesNotDeliver(t *testing.T) {
	var mu sync.Mutex
	hits := 0
	srv := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {
		mu.Lock()
		hits++
		mu.Unlock()
	}))
	defer srv.Close()
	// n1 is not the DC (n2 is): it stays silent. Run returns only after
	// every delivery ended, so the count is final once it stopped.
	d := New(Config{Status: dcSource{dc: "n2"}})
	ch, stop := run(t, d, []policy.Alert{{ID: "ops", Kind: "webhook", URL: srv.URL}})
	ch <- failover
	ch <- failover
	close(ch)
	stop()
	mu.Lock()
	defer mu.Unlock()
	if hits != 0 {
		t.Errorf("a node that is not the DC delivered %d alerts, want 0", hits)
	}
}

func TestExecRecipient(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "env")
	if err := syscall.Mkfifo(out, 0o600); err != nil {
		t.Fatal(err)
	}
	script := filepath.Join(dir, "alert.sh")
	os.WriteFile(script, []byte("#!/bin/sh\nenv | grep ^WARD_ | sort > "+out+"\n"), 0o755)
	d := New(Config{Cluster: "prod"})
	ch, _ := run(t, d, []policy.Alert{{ID: "pager", Kind: "exec", Path: script, SecretParams: map[string]string{"api-key": "k1"}}})
	ch <- failover
	// Reading the FIFO blocks until the recipient wrote its environment.
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"WARD_ALERT_KIND=resource", "WARD_ALERT_RESOURCE=db", "WARD_ALERT_TO=Promoted@n2", "WARD_ALERT_SEQ=7",
		"WARD_ALERT_AT=2026-11-26T07:00:00Z", "WARD_CLUSTER=prod", "WARD_ALERT_PARAM_API_KEY=k1", "WARD_ALERT_RECIPIENT=pager"} {
		if !strings.Contains(string(b), want+"\n") {
			t.Errorf("exec environment lacks %s:\n%s", want, b)
		}
	}
}

func TestWantsAndRedact(t *testing.T) {
	a := policy.Alert{Events: []string{"node", "resource"}}
	for k, want := range map[api.EventKind]bool{api.EventNode: true, api.EventDC: true, api.EventFailure: true, api.EventFencing: false, api.EventQuorum: false} {
		if got := Wants(a, k); got != want {
			t.Errorf("Wants(%v, %s) = %v, want %v", a.Events, k, got, want)
		}
	}
	if got := Redact("https://user:pw@hooks.example/x?token=abc"); strings.Contains(got, "pw") || strings.Contains(got, "abc") {
		t.Errorf("Redact() = %q, want no secrets", got)
	}
}
