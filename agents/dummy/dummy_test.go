package dummy

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/ward-ha/ward/resources"
	"github.com/ward-ha/ward/resources/agenttest"
)

func TestConformance(t *testing.T) {
	agenttest.Run(t, func(t *testing.T) agenttest.Setup {
		return agenttest.Setup{Agent: New(t.TempDir())}
	})
}

func TestFaultInjection(t *testing.T) {
	dir := t.TempDir()
	a := New(dir)
	ctx := context.Background()
	do := func(action string) resources.Outcome {
		return a.Do(ctx, resources.Call{Resource: "db", Action: action})
	}
	if o := do("start"); o.Code != resources.OK {
		t.Fatalf("start = %v", o.Code)
	}
	os.WriteFile(filepath.Join(dir, "db.fail-monitor"), []byte("7\n"), 0o644)
	if o := do("monitor"); o.Code != resources.NotRunning {
		t.Errorf("monitor with fault 7 = %v, want not-running", o.Code)
	}
	if o := do("monitor"); o.Code != resources.OK {
		t.Errorf("monitor after a one-shot fault = %v, want success", o.Code)
	}
	os.WriteFile(filepath.Join(dir, "db.fail-monitor"), []byte("sticky"), 0o644)
	for i := 0; i < 2; i++ {
		if o := do("monitor"); o.Code != resources.ErrGeneric {
			t.Errorf("monitor %d with sticky fault = %v, want generic-error", i, o.Code)
		}
	}
	os.WriteFile(filepath.Join(dir, "db.fail-start"), []byte("hang"), 0o644)
	tctx, cancel := context.WithTimeout(ctx, 20*time.Millisecond)
	defer cancel()
	if o := a.Do(tctx, resources.Call{Resource: "db", Action: "start"}); o.Code != resources.ErrGeneric || tctx.Err() == nil {
		t.Errorf("start with hang fault returned %v before its context ended", o.Code)
	}
	if o := a.Do(ctx, resources.Call{Resource: "../x", Action: "start"}); o.Code != resources.ErrArgs {
		t.Errorf("start of instance ../x = %v, want invalid-args", o.Code)
	}
	if o := a.Do(ctx, resources.Call{Resource: "db", Action: "validate-all", Params: map[string]string{"nope": "1"}}); o.Code != resources.ErrNotConfigured {
		t.Errorf("validate-all with unknown param = %v, want not-configured", o.Code)
	}
}
