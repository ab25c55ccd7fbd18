//go:build integration

package rtprio

import (
	"os"
	"os/exec"
	"strings"
	"testing"
)

// TestRaise needs root (or CAP_SYS_NICE); CI runs as root. It checks every
// thread is SCHED_RR afterwards and that a child process is not.
func TestRaise(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Fatalf("TestRaise needs root (CI runs as root): run the suite with make test")
	}
	n, err := Raise(DefaultPriority)
	if err != nil {
		t.Fatalf("Raise(%d) = %d, %v", DefaultPriority, n, err)
	}
	if n < 1 {
		t.Fatalf("Raise changed %d threads, want at least 1", n)
	}
	rr, err := Current()
	if err != nil || !rr {
		t.Fatalf("Current() = %v, %v after Raise, want true", rr, err)
	}
	// chrt -p prints the policy of a pid; a child must be back to normal.
	out, err := exec.Command("sh", "-c", "chrt -p $$").CombinedOutput()
	if err != nil {
		t.Fatalf("chrt -p: %v: %s", err, out)
	}
	if !strings.Contains(string(out), "SCHED_OTHER") {
		t.Errorf("child scheduling policy = %q, want SCHED_OTHER (reset on fork)", out)
	}
}
