package exec

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ward-ha/ward/resources"
	"github.com/ward-ha/ward/resources/agenttest"
)

func TestConformance(t *testing.T) {
	agenttest.Run(t, func(t *testing.T) agenttest.Setup {
		dir := t.TempDir()
		return agenttest.Setup{Agent: New(), Params: map[string]string{
			"start":   `touch "$OCF_RESOURCE_INSTANCE.on"`,
			"stop":    `rm -f "$OCF_RESOURCE_INSTANCE.on"`,
			"monitor": `test -f "$OCF_RESOURCE_INSTANCE.on" || exit 7`,
			"dir":     dir,
		}}
	})
}

func TestExecActions(t *testing.T) {
	a := New()
	ctx := context.Background()
	params := map[string]string{"start": "echo started $OCF_RESKEY_CRM_meta_clone_max $OCF_RESKEY_CRM_meta_timeout; exit 0", "stop": "true", "monitor": "exit 8", "promote": "echo promoting >&2; exit 1"}
	o := a.Do(ctx, resources.Call{Resource: "web", Action: "start", Params: params, Meta: map[string]string{"clone-max": "3"}, Timeout: 5 * time.Second})
	if o.Code != resources.OK || o.Output != "started 3 5000" {
		t.Errorf("start = %v %q, want success \"started 3 5000\"", o.Code, o.Output)
	}
	if o := a.Do(ctx, resources.Call{Resource: "web", Action: "monitor", Params: params}); o.Code != resources.RunningPromoted {
		t.Errorf("monitor (exit 8) = %v, want running-promoted", o.Code)
	}
	if o := a.Do(ctx, resources.Call{Resource: "web", Action: "promote", Params: params}); o.Code != resources.ErrGeneric || o.Output != "promoting" {
		t.Errorf("promote = %v %q, want generic-error with stderr", o.Code, o.Output)
	}
	if o := a.Do(ctx, resources.Call{Resource: "web", Action: "demote", Params: params}); o.Code != resources.ErrUnimplemented {
		t.Errorf("demote without command = %v, want unimplemented", o.Code)
	}
	if o := a.Do(ctx, resources.Call{Resource: "web", Action: "start"}); o.Code != resources.ErrNotConfigured {
		t.Errorf("start without command = %v, want not-configured", o.Code)
	}
	if o := a.Do(ctx, resources.Call{Resource: "web", Action: "validate-all", Params: map[string]string{"strat": "x"}}); o.Code != resources.ErrNotConfigured || !strings.Contains(o.Output, `"strat"`) {
		t.Errorf("validate-all with a misspelt param = %v %q, want not-configured naming it", o.Code, o.Output)
	}
	if o := a.Do(ctx, resources.Call{Resource: "web", Action: "start", Params: map[string]string{"start": "true", "bad name": "x"}}); o.Code != resources.ErrArgs {
		t.Errorf("start with param \"bad name\" = %v, want invalid-args", o.Code)
	}
	if o := a.Do(ctx, resources.Call{Resource: "web", Action: "start", Params: map[string]string{"start": "true", "dir": filepath.Join(t.TempDir(), "none")}}); o.Code != resources.ErrNotInstalled {
		t.Errorf("start in a missing dir = %v, want not-installed", o.Code)
	}
}
