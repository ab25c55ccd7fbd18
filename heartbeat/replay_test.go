package heartbeat

import (
	"testing"
)

func TestReplaySeqWindow(t *testing.T) {
	w := &seqWindow{seen: map[uint64]struct{}{}}
	if !w.first(5) || w.first(5) {
		t.Fatalf("seqWindow.first(5) twice = want true then false")
	}
	if !w.first(4) {
		t.Errorf("seqWindow.first(4 after 5) = false, want true (late but within the window)")
	}
	for s := uint64(6); s < 3*replayWindow; s++ {
		w.first(s)
	}
	if w.first(10) {
		t.Errorf("seqWindow.first(10 far behind the window) = true, want false")
	}
	if n := len(w.seen); n > 2*replayWindow+1 {
		t.Errorf("seqWindow holds %d entries, want at most %d", n, 2*replayWindow+1)
	}
}

var (
	bootA   = [16]byte{0xa}
	bootB   = [16]byte{0xb}
	bootC   = [16]byte{0xc}
	selfNow = [16]byte{0x51}
	selfOld = [16]byte{0x50}
)

func msg(boot [16]byte, seq uint64) envelope {
	return envelope{reliable: true, from: "n1", boot: boot, to: selfNow, seq: seq}
}

// The attack the filter closes: a message from an older boot of the
// sender used to reset the window, so a captured message of the current
// boot was delivered again.
func TestReplayOldBootDoesNotResetWindow(t *testing.T) {
	var f replayFilter
	now := [][16]byte{bootB}
	if got := f.check(msg(bootB, 7), selfNow, now); got != replayAccept {
		t.Fatalf("check(boot B seq 7) = %v, want accepted", got)
	}
	if got := f.check(msg(bootA, 3), selfNow, now); got != replayUnknownBoot {
		t.Errorf("check(old boot A, never seen) = %v, want %v", got, replayUnknownBoot)
	}
	if got := f.check(msg(bootB, 7), selfNow, now); got != replayDuplicate {
		t.Errorf("check(boot B seq 7 again, after a message of boot A) = %v, want %v", got, replayDuplicate)
	}
}

func TestReplaySenderRestart(t *testing.T) {
	var f replayFilter
	if got := f.check(msg(bootA, 1), selfNow, [][16]byte{bootA}); got != replayAccept {
		t.Fatalf("check(boot A seq 1) = %v, want accepted", got)
	}
	// The sender restarted as boot B; gossip shows it before its first
	// message (the usual order) ...
	if got := f.check(msg(bootB, 1), selfNow, [][16]byte{bootB}); got != replayAccept {
		t.Errorf("check(new boot B seq 1) = %v, want accepted", got)
	}
	// ... from then on boot A is retired, replays of it refused, even if
	// a replayed alive message made gossip show boot A again.
	for _, adv := range [][][16]byte{{bootB}, {bootA, bootB}, {bootA}} {
		if got := f.check(msg(bootA, 2), selfNow, adv); got != replayOldBoot {
			t.Errorf("check(retired boot A, gossip shows %v) = %v, want %v", adv, got, replayOldBoot)
		}
	}
	// A boot gossip does not show is refused: it may be a new one whose
	// gossip has not arrived (the sender's later messages get through), or
	// an old one this node never saw.
	if got := f.check(msg(bootC, 1), selfNow, [][16]byte{bootB}); got != replayUnknownBoot {
		t.Errorf("check(boot C, gossip shows B) = %v, want %v", got, replayUnknownBoot)
	}
	if got := f.check(msg(bootC, 1), selfNow, nil); got != replayUnknownBoot {
		t.Errorf("check(boot C, no gossip of the sender) = %v, want %v", got, replayUnknownBoot)
	}
}

// Two links may show two boots for a moment while a restart spreads: each
// boot keeps its own window.
func TestReplayTwoBootsTwoWindows(t *testing.T) {
	var f replayFilter
	both := [][16]byte{bootA, bootB}
	for _, e := range []envelope{msg(bootA, 9), msg(bootB, 9)} {
		if got := f.check(e, selfNow, both); got != replayAccept {
			t.Errorf("check(%x seq 9) = %v, want accepted", e.boot[0], got)
		}
		if got := f.check(e, selfNow, both); got != replayDuplicate {
			t.Errorf("check(%x seq 9 again) = %v, want %v", e.boot[0], got, replayDuplicate)
		}
	}
}

// A receiver that restarted has no windows: what was captured before was
// addressed to its previous boot.
func TestReplayAfterReceiverRestart(t *testing.T) {
	var fresh replayFilter
	old := msg(bootA, 1)
	old.to = selfOld
	if got := fresh.check(old, selfNow, [][16]byte{bootA}); got != replayOtherTarget {
		t.Errorf("check(message to the receiver's previous boot) = %v, want %v", got, replayOtherTarget)
	}
	if got := fresh.check(msg(bootA, 2), selfNow, [][16]byte{bootA}); got != replayAccept {
		t.Errorf("check(message to the receiver's boot) = %v, want accepted", got)
	}
	bc := envelope{from: "n1", boot: bootA, seq: 3} // broadcasts name no receiver
	if got := fresh.check(bc, selfNow, [][16]byte{bootA}); got != replayAccept {
		t.Errorf("check(broadcast) = %v, want accepted", got)
	}
}

func TestReplayRetiredBounded(t *testing.T) {
	var f replayFilter
	for i := range 3 * maxRetired {
		b := [16]byte{byte(i), 1}
		f.check(msg(b, 1), selfNow, [][16]byte{b})
	}
	if n := len(f.senders["n1"].retired); n != maxRetired {
		t.Errorf("retired boots after %d restarts = %d, want %d", 3*maxRetired, n, maxRetired)
	}
	if n := len(f.senders["n1"].windows); n != 1 {
		t.Errorf("windows after %d restarts = %d, want 1", 3*maxRetired, n)
	}
}

// BenchmarkReplayCheck measures the filter on the receive path of every
// message.
func BenchmarkReplayCheck(b *testing.B) {
	var f replayFilter
	adv := [][16]byte{bootA}
	e := msg(bootA, 0)
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		e.seq = uint64(i + 1)
		if f.check(e, selfNow, adv) != replayAccept {
			b.Fatal("check refused a new sequence number")
		}
	}
}
