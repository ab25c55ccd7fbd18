package ocf

import (
	"slices"
	"testing"
	"time"

	"github.com/ward-ha/ward/resources"
)

func TestEnvNotify(t *testing.T) {
	env, err := Env(resources.Call{Resource: "pg:0", Action: "notify", Interval: 10 * time.Second, Meta: map[string]string{"notify": "true", "timeout": "ignored"},
		Notify: &resources.Notify{Type: "pre", Operation: "promote", Instances: map[string][]resources.Instance{
			"promote":    {{Resource: "pg:1", Node: "n2"}},
			"unpromoted": {{Resource: "pg:0", Node: "n1"}, {Resource: "pg:1", Node: "n2"}},
		}}})
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"OCF_RESKEY_CRM_meta_interval=10000",
		"OCF_RESKEY_CRM_meta_notify=true",
		"OCF_RESKEY_CRM_meta_notify_type=pre",
		"OCF_RESKEY_CRM_meta_notify_operation=promote",
		"OCF_RESKEY_CRM_meta_notify_promote_resource=pg:1",
		"OCF_RESKEY_CRM_meta_notify_promote_uname=n2",
		"OCF_RESKEY_CRM_meta_notify_unpromoted_resource=pg:0 pg:1",
		"OCF_RESKEY_CRM_meta_notify_slave_uname=n1 n2",
	} {
		if !slices.Contains(env, want) {
			t.Errorf("Env(notify) lacks %s; got %v", want, env)
		}
	}
	if slices.Contains(env, "OCF_RESKEY_CRM_meta_timeout=ignored") {
		t.Errorf("Env let meta timeout override the real one")
	}
}
