package lab

import (
	"testing"
	"time"
)

// The Watcher's two-writable rule: a handover, however fast, is not a
// violation; writes that prove two primaries at one instant are, in
// either order of recording.
func TestWatcherDual(t *testing.T) {
	l, err := New(Config{Dir: "/run/wardlab-test", Nodes: 2, Exe: "/bin/true"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Date(2026, 11, 26, 15, 48, 14, 0, time.UTC)
	ms := func(n int) time.Time { return t0.Add(time.Duration(n) * time.Millisecond) }
	type hostAck struct {
		host int
		a    ack
	}
	for _, tc := range []struct {
		name string
		acks []hostAck
		dual bool
	}{
		{"fast handover (the CI case: n1's last ack 296 ms before n2's first write)", []hostAck{
			{1, ack{primarySince: ms(0), start: ms(800), end: ms(809)}},
			{2, ack{primarySince: ms(1104), start: ms(1105), end: ms(1112)}},
			{2, ack{primarySince: ms(1104), start: ms(1205), end: ms(1212)}},
		}, false},
		{"new primary first: the old one acknowledges after the new one was a primary", []hostAck{
			{2, ack{primarySince: ms(1000), start: ms(1001), end: ms(1010)}},
			{1, ack{primarySince: ms(0), start: ms(1050), end: ms(1060)}},
			{2, ack{primarySince: ms(1000), start: ms(1101), end: ms(1110)}},
		}, true},
		{"old primary recorded last: it was a primary from before the new one's write", []hostAck{
			{1, ack{primarySince: ms(0), start: ms(900), end: ms(910)}},
			{2, ack{primarySince: ms(950), start: ms(951), end: ms(960)}},
			{1, ack{primarySince: ms(0), start: ms(1000), end: ms(1010)}},
		}, true},
		{"failback much later on a new connection", []hostAck{
			{1, ack{primarySince: ms(0), start: ms(100), end: ms(110)}},
			{2, ack{primarySince: ms(1000), start: ms(1001), end: ms(1010)}},
			{1, ack{primarySince: ms(5000), start: ms(5001), end: ms(5010)}},
		}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := l.NewWatcher(100 * time.Millisecond)
			for _, x := range tc.acks {
				w.record(x.host, x.a)
			}
			if got := len(w.Dual()) > 0; got != tc.dual {
				t.Errorf("dual = %v (%q), want %v", got, w.Dual(), tc.dual)
			}
		})
	}
}
