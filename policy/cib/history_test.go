package cib

import (
	"fmt"
	"strings"
	"testing"

	"github.com/ward-ha/ward/policy"
)

// op is "task/interval_ms/rc/op-status/expected" with call ids in order.
func lrmOps(rsc string, ops ...string) string {
	var b strings.Builder
	b.WriteString(`<lrm id="1"><lrm_resources><lrm_resource id="` + rsc + `" class="ocf" provider="pacemaker" type="Dummy">`)
	for i, o := range ops {
		f := strings.Split(o, "/")
		fmt.Fprintf(&b, `<lrm_rsc_op id="%s_%d" operation_key="%s_%s_%s" operation="%s" interval="%s" rc-code="%s" op-status="%s" call-id="%d" last-rc-change="%d" transition-key="1:1:%s:u"/>`,
			rsc, i, rsc, f[0], f[1], f[0], f[1], f[2], f[3], i+10, 1767225000+i, f[4])
	}
	b.WriteString(`</lrm_resource></lrm_resources></lrm>`)
	return b.String()
}

const online = `in_ccm="true" crmd="online" join="member" expected="member"`

func TestHistoryReplay(t *testing.T) {
	dummy := `<primitive id="r" class="ocf" provider="pacemaker" type="Dummy"><operations><op id="m" name="monitor" interval="10s"/></operations></primitive>`
	blockMon := `<primitive id="r" class="ocf" provider="pacemaker" type="Dummy"><operations><op id="m" name="monitor" interval="10s" on-fail="block"/></operations></primitive>`
	fenceMon := `<primitive id="r" class="ocf" provider="pacemaker" type="Dummy"><operations><op id="m" name="monitor" interval="10s" on-fail="fence"/></operations></primitive>`
	ignoreMon := `<primitive id="r" class="ocf" provider="pacemaker" type="Dummy"><operations><op id="m" name="monitor" interval="10s" on-fail="ignore"/></operations></primitive>`
	prom := `<clone id="c"><meta_attributes id="cm"><nvpair id="p" name="promotable" value="true"/></meta_attributes>` + dummy + `</clone>`
	unique := `<clone id="c"><meta_attributes id="cm"><nvpair id="u" name="globally-unique" value="true"/></meta_attributes>` + dummy + `</clone>`
	tests := []struct {
		name      string
		fencing   bool
		resources string
		rsc       string
		ops       []string
		wantID    string
		wantRole  policy.Role
		failed    bool
		failedStp bool
		blocked   bool
		failures  int
		unclean   bool // Pacemaker's view: the history gets the node fenced
	}{
		{"probe not running", true, dummy, "r", []string{"monitor/0/7/0/7"}, "r", policy.RoleStopped, false, false, false, 0, false},
		{"probe found active", true, dummy, "r", []string{"monitor/0/0/0/7"}, "r", policy.RoleStarted, false, false, false, 0, false},
		{"started", true, dummy, "r", []string{"monitor/0/7/0/7", "start/0/0/0/0", "monitor/10000/0/0/0"}, "r", policy.RoleStarted, false, false, false, 0, false},
		{"stopped after start", true, dummy, "r", []string{"start/0/0/0/0", "stop/0/0/0/0"}, "r", policy.RoleStopped, false, false, false, 0, false},
		{"monitor failed", true, dummy, "r", []string{"start/0/0/0/0", "monitor/10000/7/0/0"}, "r", policy.RoleStarted, true, false, false, 1, false},
		{"monitor failed, recovered by restart", true, dummy, "r", []string{"start/0/0/0/0", "monitor/10000/1/0/0", "stop/0/0/0/0", "start/0/0/0/0"}, "r", policy.RoleStarted, false, false, false, 1, false},
		{"start failed", true, dummy, "r", []string{"start/0/1/0/0"}, "r", policy.RoleStarted, true, false, false, 1, false},
		{"start timed out", true, dummy, "r", []string{"start/0/1/2/0"}, "r", policy.RoleStarted, true, false, false, 1, false},
		{"stop failed, fencing", true, dummy, "r", []string{"start/0/0/0/0", "stop/0/1/0/0"}, "r", policy.RoleStarted, true, true, false, 1, true},
		{"stop failed, no fencing", false, dummy, "r", []string{"start/0/0/0/0", "stop/0/1/0/0"}, "r", policy.RoleStarted, true, true, false, 1, false},
		{"monitor failed, on-fail block", true, blockMon, "r", []string{"start/0/0/0/0", "monitor/10000/1/0/0"}, "r", policy.RoleStarted, true, false, true, 1, false},
		{"monitor failed, on-fail fence", true, fenceMon, "r", []string{"start/0/0/0/0", "monitor/10000/1/0/0"}, "r", policy.RoleStarted, true, false, false, 1, true},
		{"monitor failed, on-fail ignore", true, ignoreMon, "r", []string{"start/0/0/0/0", "monitor/10000/1/0/0"}, "r", policy.RoleStarted, false, false, false, 1, false},
		{"probe not installed", true, dummy, "r", []string{"monitor/0/5/0/7"}, "r", policy.RoleStopped, false, false, false, 1, false},
		{"probe executor not installed", true, dummy, "r", []string{"monitor/0/1/7/7"}, "r", policy.RoleStopped, false, false, false, 1, false},
		{"degraded monitor is success", true, dummy, "r", []string{"start/0/0/0/0", "monitor/10000/190/0/0"}, "r", policy.RoleStarted, false, false, false, 0, false},
		{"promoted", true, prom, "r:0", []string{"start/0/0/0/0", "promote/0/0/0/0"}, "r", policy.RolePromoted, false, false, false, 0, false},
		{"promoted by probe", true, prom, "r", []string{"monitor/0/8/0/7"}, "r", policy.RolePromoted, false, false, false, 0, false},
		{"degraded promoted probe", true, prom, "r", []string{"monitor/0/191/0/7"}, "r", policy.RolePromoted, false, false, false, 0, false},
		{"unpromoted after start", true, prom, "r:1", []string{"start/0/0/0/0"}, "r", policy.RoleUnpromoted, false, false, false, 0, false},
		{"demoted", true, prom, "r", []string{"start/0/0/0/0", "promote/0/0/0/0", "demote/0/0/0/0"}, "r", policy.RoleUnpromoted, false, false, false, 0, false},
		{"failed promote stays promoted", true, prom, "r", []string{"start/0/0/0/0", "promote/0/1/0/0"}, "r", policy.RolePromoted, true, false, false, 1, false},
		{"promoted failed (rc 9)", true, prom, "r", []string{"start/0/0/0/0", "promote/0/0/0/0", "monitor/10000/9/0/8"}, "r", policy.RolePromoted, true, false, false, 1, false},
		{"unique instance keeps its number", true, unique, "r:2", []string{"start/0/0/0/0"}, "r:2", policy.RoleStarted, false, false, false, 0, false},
		{"out of order call ids", true, dummy, "r", []string{"start/0/0/0/0", "stop/0/0/0/0"}, "r", policy.RoleStopped, false, false, false, 0, false},
		{"cancelled op ignored", true, dummy, "r", []string{"start/0/0/0/0", "stop/0/1/1/0"}, "r", policy.RoleStarted, false, false, false, 0, false},
		{"pending start is active", true, dummy, "r", []string{"start/0/0/-1/0"}, "r", policy.RoleStarted, false, false, false, 0, false},
		{"unimportant ops ignored", true, dummy, "r", []string{"start/0/0/0/0", "notify/0/1/0/0", "reload/0/1/0/0"}, "r", policy.RoleStarted, false, false, false, 0, false},
		{"orphan kept", true, "", "ghost", []string{"start/0/0/0/0"}, "ghost", policy.RoleStarted, false, false, false, 0, false},
	}
	for _, tt := range tests {
		res, err := Import("t.xml", miniCIB(tt.fencing, tt.resources, online, lrmOps(tt.rsc, tt.ops...)), Options{})
		if err != nil {
			t.Fatal(err)
		}
		n := nodeOf(t, res, "n1")
		if len(n.Resources) != 1 {
			t.Errorf("%s: resources on n1 = %+v, want one", tt.name, n.Resources)
			continue
		}
		r := n.Resources[0]
		if r.ID != tt.wantID || r.Role != tt.wantRole || r.Failed != tt.failed || r.FailedStop != tt.failedStp || r.Blocked != tt.blocked || len(r.Failures) != tt.failures {
			t.Errorf("%s: replay(%v) = id %s role %s failed %v failed_stop %v blocked %v failures %d, want %s %s %v %v %v %d",
				tt.name, tt.ops, r.ID, r.Role, r.Failed, r.FailedStop, r.Blocked, len(r.Failures), tt.wantID, tt.wantRole, tt.failed, tt.failedStp, tt.blocked, tt.failures)
		}
		if got := res.pacemaker["n1"].unclean; got != tt.unclean {
			t.Errorf("%s: Pacemaker would fence n1 = %v, want %v", tt.name, got, tt.unclean)
		}
		if n.State != policy.NodeOnline {
			t.Errorf("%s: observed state = %s, want online (history-derived fencing is the scheduler's)", tt.name, n.State)
		}
	}
}

func TestHistoryOfflineNode(t *testing.T) {
	ops := lrmOps("r", "start/0/0/0/0")
	dummy := `<primitive id="r" class="ocf" provider="pacemaker" type="Dummy"/>`
	down := `in_ccm="false" crmd="offline" join="down" expected="down"`
	res, err := Import("t.xml", miniCIB(true, dummy, down, ops), Options{})
	if err != nil {
		t.Fatal(err)
	}
	n := nodeOf(t, res, "n1")
	if n.State != policy.NodeOffline || len(n.Resources) != 1 || n.Resources[0].Role != policy.RoleStarted || !res.pacemaker["n1"].unclean {
		t.Errorf("offline node with an active resource, fencing = %+v (pacemaker %+v), want offline, Started, to be fenced", n, res.pacemaker["n1"])
	}
	res, err = Import("t.xml", miniCIB(false, dummy, down, ops), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if n := nodeOf(t, res, "n1"); len(n.Resources) != 0 {
		t.Errorf("offline node without fencing: resources = %+v, want its history not read", n.Resources)
	}
}

func TestFailureTimeoutExpiry(t *testing.T) {
	rsc := `<primitive id="r" class="ocf" provider="pacemaker" type="Dummy"><meta_attributes id="m"><nvpair id="ft" name="failure-timeout" value="60s"/></meta_attributes>
<operations><op id="mo" name="monitor" interval="10s"/></operations></primitive>`
	body := lrmOps("r", "start/0/0/0/0", "monitor/10000/1/0/0") +
		`<transient_attributes id="1"><instance_attributes id="s"><nvpair id="fc" name="fail-count-r#monitor_10000" value="1"/><nvpair id="lf" name="last-failure-r#monitor_10000" value="1767225001"/></instance_attributes></transient_attributes>`
	for _, tt := range []struct {
		now    int64
		failed bool
	}{{0, true}, {1767225030, true}, {1767225100, false}} {
		var opts Options
		if tt.now != 0 {
			opts.Now = timeUnix(tt.now)
		}
		res, err := Import("t.xml", miniCIB(true, rsc, online, body), opts)
		if err != nil {
			t.Fatal(err)
		}
		r := nodeOf(t, res, "n1").Resources[0]
		if r.Failed != tt.failed || r.Role != policy.RoleStarted || r.FailCount != 1 {
			t.Errorf("Import(now %d) r = failed %v role %s count %d, want failed %v, Started, count 1", tt.now, r.Failed, r.Role, r.FailCount, tt.failed)
		}
	}
}

func TestPromotionScoreNames(t *testing.T) {
	prom := `<clone id="c"><meta_attributes id="cm"><nvpair id="p" name="promotable" value="true"/></meta_attributes><primitive id="r" class="ocf" provider="pacemaker" type="Stateful"/></clone>`
	body := lrmOps("r:1", "start/0/0/0/0") +
		`<transient_attributes id="1"><instance_attributes id="s"><nvpair id="a" name="master-r:0" value="5"/><nvpair id="b" name="master-r:1" value="7"/></instance_attributes></transient_attributes>`
	res, err := Import("t.xml", miniCIB(true, prom, online, body), Options{})
	if err != nil {
		t.Fatal(err)
	}
	attrs := nodeOf(t, res, "n1").Attributes
	if attrs["master-r"] != "7" || attrs["master-r:0"] != "" || attrs["master-r:1"] != "" {
		t.Errorf("promotion scores = %v, want master-r = 7 (the instance whose history is on the node)", attrs)
	}
}

func TestHistorySortedByCallID(t *testing.T) {
	dummy := `<primitive id="r" class="ocf" provider="pacemaker" type="Dummy"/>`
	body := `<lrm id="1"><lrm_resources><lrm_resource id="r">
<lrm_rsc_op id="b" operation="stop" interval="0" rc-code="0" op-status="0" call-id="11" transition-key="1:1:0:u"/>
<lrm_rsc_op id="a" operation="start" interval="0" rc-code="0" op-status="0" call-id="10" transition-key="1:1:0:u"/>
</lrm_resource></lrm_resources></lrm>`
	res, err := Import("t.xml", miniCIB(true, dummy, online, body), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if r := nodeOf(t, res, "n1").Resources[0]; r.Role != policy.RoleStopped {
		t.Errorf("stop (call 11) listed before start (call 10): role = %s, want Stopped", r.Role)
	}
}
