package rtprio

import "testing"

func TestRaiseRejectsBadPriority(t *testing.T) {
	for _, p := range []int{0, -1, 100} {
		if _, err := Raise(p); err == nil {
			t.Errorf("Raise(%d) = nil error, want one", p)
		}
	}
}
