package witness

import (
	"context"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ward-ha/ward/internal/clock/clocktest"
)

var testKey = []byte("0123456789abcdef0123456789abcdef")

func TestHTTPAuthenticatedVote(t *testing.T) {
	clk := clocktest.NewFake(time.Now())
	w, err := New(Config{Cluster: "c", Lease: time.Second, Decide: time.Nanosecond, Clock: clk})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(Handler(w, testKey))
	defer srv.Close()
	addr := strings.TrimPrefix(srv.URL, "http://")
	ctx := context.Background()
	c := NewClient(ClientConfig{Addr: addr, Cluster: "c", Node: "a", Key: testKey, Clock: clk})
	if resp, _, err := c.Ask(ctx, []string{"a", "b"}, false); err != nil || resp.Granted {
		t.Fatalf("Ask just after the witness started = %+v, %v; want not granted (its first window lasts a lease)", resp, err)
	}
	clk.Advance(1100 * time.Millisecond)
	var resp Response
	var until time.Time
	for i := 0; i < 50 && !resp.Granted; i++ {
		if resp, until, err = c.Ask(ctx, []string{"a", "b"}, false); err != nil {
			t.Fatalf("Ask = %v", err)
		}
	}
	if !resp.Granted || until.IsZero() || until.After(clk.Now().Add(time.Second)) {
		t.Fatalf("Ask = %+v until %v, want granted for at most the lease", resp, until)
	}
	bad := NewClient(ClientConfig{Addr: addr, Cluster: "c", Node: "a", Key: []byte("another key of 32 bytes.........")})
	if _, _, err := bad.Ask(ctx, []string{"a"}, false); err == nil || !strings.Contains(err.Error(), "not authenticated") {
		t.Fatalf("Ask with the wrong key = %v, want not authenticated", err)
	}
}

func TestClientRunReportsGrant(t *testing.T) {
	w, err := New(Config{Cluster: "c", Lease: 600 * time.Millisecond, Decide: time.Nanosecond})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(Handler(w, testKey))
	defer srv.Close()
	c := NewClient(ClientConfig{Addr: strings.TrimPrefix(srv.URL, "http://"), Cluster: "c", Node: "a", Key: testKey})
	var granted atomic.Bool
	got := make(chan struct{}, 1)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- c.Run(ctx, 200*time.Millisecond, func() ([]string, bool) { return []string{"a"}, false }, func(ok bool) {
			granted.Store(ok)
			if ok {
				select {
				case got <- struct{}{}:
				default:
				}
			}
		})
	}()
	select {
	case <-got:
	case <-time.After(10 * time.Second):
		t.Fatal("Run never reported the vote granted")
	}
	cancel()
	<-done
	if granted.Load() {
		t.Fatal("Run returned with the vote still reported granted, want false")
	}
}

func FuzzDecodeRequest(f *testing.F) {
	f.Add([]byte(`{"cluster":"c","node":"a","view":["a","b"],"nonce":"x","sent_unix_ms":1}`))
	f.Add([]byte(`{"cluster":"c","node":"a","view":[],"nonce":"x"}`))
	f.Add([]byte(`{}{}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		r, err := DecodeRequest(testKey, body, mac(testKey, "request", body))
		if err != nil {
			return
		}
		if r.Node == "" || len(r.View) == 0 {
			t.Fatalf("DecodeRequest accepted %q without node or view", body)
		}
		if _, err := DecodeRequest(testKey, body, mac(testKey, "response", body)); err == nil {
			t.Fatalf("DecodeRequest accepted a response MAC for %q", body)
		}
		w, _ := New(Config{Cluster: "c"})
		_ = w.Vote(r)
	})
}
