package stateful

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/ward-ha/ward/resources"
	"github.com/ward-ha/ward/resources/agenttest"
)

func TestConformance(t *testing.T) {
	agenttest.Run(t, func(t *testing.T) agenttest.Setup {
		return agenttest.Setup{Agent: New(t.TempDir()), Params: map[string]string{"score": "7"}}
	})
}

func TestPromotionScores(t *testing.T) {
	dir := t.TempDir()
	a := New(dir)
	ctx := context.Background()
	do := func(action string) resources.Outcome {
		return a.Do(ctx, resources.Call{Resource: "pg:1", Action: action, Params: map[string]string{"score": "7"}})
	}
	tests := []struct {
		action string
		code   resources.Code
		score  string
	}{
		{"promote", resources.NotRunning, ""},
		{"start", resources.OK, "7"},
		{"monitor", resources.OK, "7"},
		{"promote", resources.OK, "14"},
		{"monitor", resources.RunningPromoted, "14"},
		{"start", resources.RunningPromoted, ""},
		{"demote", resources.OK, "7"},
		{"stop", resources.OK, ""},
	}
	for _, tt := range tests {
		o := do(tt.action)
		if o.Code != tt.code || o.Attributes["master-pg"] != tt.score {
			t.Errorf("Do(%s) = %v master-pg=%q, want %v %q", tt.action, o.Code, o.Attributes["master-pg"], tt.code, tt.score)
		}
	}
	do("start")
	os.WriteFile(filepath.Join(dir, "pg:1.score"), []byte("100"), 0o644)
	if o := do("monitor"); o.Attributes["master-pg"] != "100" {
		t.Errorf("monitor with score file 100 = master-pg=%q, want 100", o.Attributes["master-pg"])
	}
	if o := a.Do(ctx, resources.Call{Resource: "x", Action: "start", Params: map[string]string{"score": "lots"}}); o.Code != resources.ErrNotConfigured {
		t.Errorf("start with score=lots = %v, want not-configured", o.Code)
	}
	os.WriteFile(filepath.Join(dir, "pg:1.fail-monitor"), []byte("9"), 0o644)
	if o := do("monitor"); o.Code != resources.FailedPromoted {
		t.Errorf("monitor with fault 9 = %v, want failed-promoted", o.Code)
	}
}
