package witness

import (
	"context"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestClientRunDropsGrantWhenViewChanges: a node holds the vote for
// [a]; its view grows to [a b] and shrinks back to [a] within the lease.
// The grant for [a] must not count again (the witness moved the vote to
// [a b] meanwhile): granted stays false until a new grant.
func TestClientRunDropsGrantWhenViewChanges(t *testing.T) {
	w, err := New(Config{Cluster: "c", Lease: 5 * time.Second, Decide: time.Nanosecond})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(Handler(w, testKey))
	defer srv.Close()
	var term atomic.Uint64
	var mu sync.Mutex
	view := []string{"a"}
	c := NewClient(ClientConfig{Addr: strings.TrimPrefix(srv.URL, "http://"), Cluster: "c", Node: "a", Key: testKey,
		Term: func() uint64 { return 7 }, OnVote: func(_ Vote, t uint64) { term.Store(t) }})
	var granted atomic.Bool
	changes := make(chan bool, 100)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- c.Run(ctx, 50*time.Millisecond, func() ([]string, bool) {
			mu.Lock()
			defer mu.Unlock()
			return append([]string(nil), view...), false
		}, func(ok bool) {
			if granted.Swap(ok) != ok {
				changes <- ok
			}
		})
	}()
	defer func() { cancel(); <-done }()
	wait := func(want bool, what string) {
		t.Helper()
		deadline := time.After(10 * time.Second)
		for granted.Load() != want {
			select {
			case <-changes:
			case <-deadline:
				t.Fatalf("%s: granted = %t after 10s, want %t", what, !want, want)
			}
		}
	}
	wait(true, "first grant for [a]")
	if got := term.Load(); got != 7 {
		t.Errorf("witness term seen by OnVote = %d, want 7 (the term the node sent)", got)
	}
	mu.Lock()
	view = []string{"a", "b"}
	mu.Unlock()
	deadline := time.Now().Add(10 * time.Second)
	for h, _ := w.Holder(); strings.Join(h, ",") != "a,b"; h, _ = w.Holder() {
		if time.Now().After(deadline) {
			t.Fatalf("witness holder = %v after 10s, want [a b] (view grew)", h)
		}
		time.Sleep(10 * time.Millisecond)
	}
	wait(true, "grant for [a b]")
	mu.Lock()
	view = []string{"a"}
	mu.Unlock()
	wait(false, "view back to [a]")
	// The witness refuses [a] while [a b] holds the lease (5 s): the old
	// grant for [a] must not come back in the meantime.
	time.Sleep(500 * time.Millisecond) // observation window: granted must stay false
	if granted.Load() {
		t.Fatal("the grant for [a] counted again after the view changed and came back")
	}
}
