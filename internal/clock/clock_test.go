package clock

import (
	"testing"
	"time"
)

func TestRealAfterFuncStop(t *testing.T) {
	c := Real()
	tm := c.AfterFunc(time.Hour, func() { t.Error("AfterFunc(1h) ran") })
	if !tm.Stop() {
		t.Errorf("Stop() = false, want true")
	}
	if tm.C() != nil {
		t.Errorf("AfterFunc timer C() is not nil")
	}
	nt := c.NewTimer(0)
	<-nt.C()
	if c.Now().IsZero() {
		t.Errorf("Now() is zero")
	}
}
