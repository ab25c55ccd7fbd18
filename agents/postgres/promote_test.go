package postgres

import (
	"context"
	"errors"
	"testing"
	"time"
)

// stallingServer models PostgreSQL taking a promote request and then
// sleeping out wal_retrieve_retry_interval: it leaves recovery only once
// it has been signalled `needs` times (the first signal is pg_promote's
// own, before awaitPromotion runs).
type stallingServer struct {
	signals, needs int
}

func (s *stallingServer) inRecovery(context.Context) (bool, error) { return s.signals < s.needs, nil }
func (s *stallingServer) signal(context.Context) error             { s.signals++; return nil }

func TestAwaitPromotionSignalsAgain(t *testing.T) {
	for _, tc := range []struct {
		name          string
		needs         int
		wantResignals int
	}{
		{"promotes at the first request", 1, 0},
		{"stalls until signalled again", 2, 1},
		{"stalls twice", 3, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := &stallingServer{signals: 1, needs: tc.needs}
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			n, err := awaitPromotion(ctx, time.Now, s.inRecovery, s.signal)
			if err != nil {
				t.Fatalf("awaitPromotion: %v (signals %d)", err, s.signals)
			}
			if n != tc.wantResignals {
				t.Errorf("signalled again %d times, want %d", n, tc.wantResignals)
			}
		})
	}
}

// A server that never leaves recovery ends at the deadline, with the
// deadline as the error; one that cannot be asked reports the query's
// error.
func TestAwaitPromotionGivesUp(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 350*time.Millisecond)
	defer cancel()
	s := &stallingServer{signals: 1, needs: 1 << 30}
	n, err := awaitPromotion(ctx, time.Now, s.inRecovery, s.signal)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v, want the deadline", err)
	}
	if n < 1 {
		t.Errorf("signalled again %d times in 350 ms, want at least 1", n)
	}
	boom := errors.New("connection reset")
	ctx2, cancel2 := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel2()
	calls := 0
	_, err = awaitPromotion(ctx2, time.Now, func(context.Context) (bool, error) { return true, boom },
		func(context.Context) error { calls++; return nil })
	if !errors.Is(err, boom) {
		t.Errorf("err = %v, want the query's error", err)
	}
	if calls != 0 {
		t.Errorf("signalled %d times while the server could not be asked, want 0", calls)
	}
}
