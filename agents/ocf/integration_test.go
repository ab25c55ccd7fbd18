//go:build integration

package ocf

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ward-ha/ward/resources"
	"github.com/ward-ha/ward/resources/agenttest"
)

// These tests run Debian's resource-agents package (scripts/deps.sh
// installs it) as root. A missing package is a failure, not a skip.

func requireAgent(t *testing.T, name string) *Agent {
	t.Helper()
	a, err := New(name, Options{RunDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(a.Path()); err != nil {
		t.Fatalf("%s is not installed (%v): run scripts/deps.sh, or apt-get install resource-agents", name, err)
	}
	return a
}

func do(t *testing.T, a resources.Agent, c resources.Call, want resources.Code) resources.Outcome {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if c.Timeout == 0 {
		c.Timeout = 20 * time.Second
	}
	o := a.Do(ctx, c)
	if o.Code != want {
		t.Fatalf("%s %s = %d %v, want %d %v\n%s (err %v)", c.Resource, c.Action, int(o.Code), o.Code, int(want), want, o.Output, o.Err)
	}
	return o
}

func TestIntegrationDebianDummyConformance(t *testing.T) {
	agenttest.Run(t, func(t *testing.T) agenttest.Setup {
		a := requireAgent(t, "ocf:heartbeat:Dummy")
		return agenttest.Setup{Agent: a, Params: map[string]string{"state": filepath.Join(t.TempDir(), "dummy.state")}}
	})
}

func TestIntegrationDebianDummyLifecycle(t *testing.T) {
	a := requireAgent(t, "ocf:heartbeat:Dummy")
	md, err := a.Metadata(context.Background())
	if err != nil {
		t.Fatalf("Metadata: %v", err)
	}
	if md.ActionTimeout("start") != 20*time.Second || md.ActionTimeout("meta-data") != 5*time.Second {
		t.Errorf("Dummy timeouts start %v meta-data %v, want 20s and 5s", md.ActionTimeout("start"), md.ActionTimeout("meta-data"))
	}
	if p, ok := md.Param("state"); !ok || !p.Unique {
		t.Errorf("Dummy param state = %+v, %v, want a unique param", p, ok)
	}
	if err := a.ValidateParams(context.Background(), "d", map[string]string{"stat": "/tmp/x"}); err == nil || !strings.Contains(err.Error(), `"stat"`) {
		t.Errorf("ValidateParams(stat) = %v, want the misspelt param named", err)
	}
	state := filepath.Join(t.TempDir(), "d.state")
	c := resources.Call{Resource: "d", Params: map[string]string{"state": state}}
	for _, step := range []struct {
		action string
		want   resources.Code
	}{{"monitor", resources.NotRunning}, {"start", resources.OK}, {"monitor", resources.OK}, {"stop", resources.OK},
		{"monitor", resources.NotRunning}, {"stop", resources.OK}, {"validate-all", resources.OK}, {"bogus", resources.ErrUnimplemented}} {
		c.Action = step.action
		do(t, a, c, step.want)
	}
	c.Action, c.Interval = "monitor", 10*time.Second
	start := time.Now()
	o := do(t, a, c, resources.NotRunning)
	if took := time.Since(start); took > 300*time.Millisecond {
		// ocf_exit_reason also logs through syslog unless
		// HA_LOGFACILITY=none; with no syslog daemon that took 0.5 s.
		t.Errorf("failing monitor of Dummy took %v, want well under 300ms (HA_LOGFACILITY=none)", took)
	}
	if o.ExitReason != "No process state file found" {
		t.Errorf("recurring monitor of a stopped Dummy: exit reason %q, output %q, want its exit reason", o.ExitReason, o.Output)
	}
}

func TestIntegrationDebianDummyClone(t *testing.T) {
	a := requireAgent(t, "ocf:heartbeat:Dummy")
	dir := t.TempDir()
	meta := map[string]string{"clone": "0", "clone_max": "2", "clone_node_max": "2", "globally_unique": "true", "notify": "false"}
	// Two instances of a unique clone on one node: separate state files
	// from OCF_RESOURCE_INSTANCE, independent lifecycles.
	for _, id := range []string{"dc:0", "dc:1"} {
		m := map[string]string{}
		for k, v := range meta {
			m[k] = v
		}
		m["clone"] = strings.TrimPrefix(id, "dc:")
		do(t, a, resources.Call{Resource: id, Action: "start", Meta: m, Params: map[string]string{"state": filepath.Join(dir, id+".state")}}, resources.OK)
	}
	do(t, a, resources.Call{Resource: "dc:0", Action: "stop", Meta: meta, Params: map[string]string{"state": filepath.Join(dir, "dc:0.state")}}, resources.OK)
	do(t, a, resources.Call{Resource: "dc:0", Action: "monitor", Meta: meta, Params: map[string]string{"state": filepath.Join(dir, "dc:0.state")}}, resources.NotRunning)
	do(t, a, resources.Call{Resource: "dc:1", Action: "monitor", Meta: meta, Params: map[string]string{"state": filepath.Join(dir, "dc:1.state")}}, resources.OK)

	// The clone meta reaches ocf-shellfuncs as Pacemaker sets it: an
	// agent built on the real shell library sees a clone, a promotable
	// clone, and the notify lists.
	root := t.TempDir()
	os.MkdirAll(filepath.Join(root, "resource.d", "test"), 0o755)
	os.Symlink(filepath.Join(DefaultRoot, "lib"), filepath.Join(root, "lib"))
	os.WriteFile(filepath.Join(root, "resource.d", "test", "Probe"), []byte(`#!/bin/sh
: ${OCF_FUNCTIONS_DIR=${OCF_ROOT}/lib/heartbeat}
. ${OCF_FUNCTIONS_DIR}/ocf-shellfuncs
ocf_is_clone && echo clone
ocf_is_ms && echo promotable
echo "max=$OCF_RESKEY_CRM_meta_clone_max node_max=$OCF_RESKEY_CRM_meta_clone_node_max pmax=$OCF_RESKEY_CRM_meta_promoted_max"
echo "notify=$OCF_RESKEY_CRM_meta_notify_type-$OCF_RESKEY_CRM_meta_notify_operation start=$OCF_RESKEY_CRM_meta_notify_start_resource@$OCF_RESKEY_CRM_meta_notify_start_uname"
echo "node=$(ocf_attribute_target)"
exit 0
`), 0o755)
	probe, _ := New("ocf:test:Probe", Options{Root: root, RunDir: t.TempDir()})
	o := do(t, probe, resources.Call{Resource: "pc:1", Action: "notify",
		Meta: map[string]string{"clone": "1", "clone_max": "2", "clone_node_max": "1", "promotable": "true", "promoted_max": "1", "promoted_node_max": "1", "notify": "true", "globally_unique": "false", "on_node": "n2"},
		Notify: &resources.Notify{Type: "post", Operation: "start", Instances: map[string][]resources.Instance{
			"start": {{Resource: "pc:0", Node: "n1"}, {Resource: "pc:1", Node: "n2"}},
			"all":   {{Resource: "pc:0", Node: "n1"}, {Resource: "pc:1", Node: "n2"}},
		}}}, resources.OK)
	want := "clone\npromotable\nmax=2 node_max=1 pmax=1\nnotify=post-start start=pc:0 pc:1@n1 n2\nnode=n2"
	if o.Output != want {
		t.Errorf("clone environment seen by ocf-shellfuncs:\n%s\nwant:\n%s", o.Output, want)
	}
}

func TestIntegrationDebianStatefulPromotion(t *testing.T) {
	// resource-agents ships ocf:heartbeat:Stateful, the example
	// promotable agent; it publishes its promotion score through
	// crm_attribute, which ward's stand-ins capture.
	sbin, err := InstallShims(filepath.Join(t.TempDir(), "sbin"))
	if err != nil {
		t.Fatal(err)
	}
	a, _ := New("ocf:heartbeat:Stateful", Options{RunDir: t.TempDir(), SbinDir: sbin})
	if _, err := os.Stat(a.Path()); err != nil {
		t.Fatalf("ocf:heartbeat:Stateful is not installed (%v): apt-get install resource-agents", err)
	}
	meta := map[string]string{"clone": "0", "clone_max": "2", "promotable": "true", "promoted_max": "1"}
	c := resources.Call{Resource: "st:0", Meta: meta, Params: map[string]string{"state": filepath.Join(t.TempDir(), "st.state")}}
	for _, step := range []struct {
		action string
		want   resources.Code
		score  string // expected master-st, "-" for no update
	}{
		{"monitor", resources.NotRunning, "-"},
		{"start", resources.OK, "5"},
		{"monitor", resources.OK, "-"},
		{"promote", resources.OK, "10"},
		{"monitor", resources.RunningPromoted, "-"},
		{"demote", resources.OK, "5"},
		{"monitor", resources.OK, "-"},
		{"stop", resources.OK, ""},
		{"monitor", resources.NotRunning, "-"},
	} {
		c.Action = step.action
		o := do(t, a, c, step.want)
		got, ok := o.Attributes["master-st"]
		if step.score == "-" && ok || step.score != "-" && (!ok || got != step.score) {
			t.Errorf("%s: master-st = %q (set %v), want %q", step.action, got, ok, step.score)
		}
	}
}

func TestIntegrationIPaddr2InNetns(t *testing.T) {
	if os.Getuid() != 0 {
		t.Fatalf("this test needs root (network namespaces)")
	}
	requireAgent(t, "ocf:heartbeat:IPaddr2")
	ns := fmt.Sprintf("wardtest-%d", os.Getpid())
	run := func(args ...string) string {
		t.Helper()
		out, err := exec.Command(args[0], args[1:]...).CombinedOutput()
		if err != nil {
			t.Fatalf("%s: %v\n%s", strings.Join(args, " "), err, out)
		}
		return string(out)
	}
	run("ip", "netns", "add", ns)
	t.Cleanup(func() { exec.Command("ip", "netns", "del", ns).Run() })
	run("ip", "-n", ns, "link", "add", "w0", "type", "veth", "peer", "name", "w1")
	run("ip", "-n", ns, "addr", "add", "10.213.99.1/24", "dev", "w0")
	run("ip", "-n", ns, "link", "set", "w0", "up")
	run("ip", "-n", ns, "link", "set", "w1", "up")
	run("ip", "-n", ns, "link", "set", "lo", "up")

	// An OCF root whose IPaddr2 runs the real one inside the namespace.
	root := t.TempDir()
	os.MkdirAll(filepath.Join(root, "resource.d", "heartbeat"), 0o755)
	os.Symlink(filepath.Join(DefaultRoot, "lib"), filepath.Join(root, "lib"))
	os.WriteFile(filepath.Join(root, "resource.d", "heartbeat", "IPaddr2"), []byte(
		"#!/bin/sh\nexec ip netns exec "+ns+" "+filepath.Join(DefaultRoot, "resource.d", "heartbeat", "IPaddr2")+" \"$@\"\n"), 0o755)
	a, _ := New("ocf:heartbeat:IPaddr2", Options{Root: root, RunDir: t.TempDir()})
	c := resources.Call{Resource: "vip", Params: map[string]string{"ip": "10.213.99.50", "cidr_netmask": "24", "nic": "w0"}}
	if err := a.ValidateParams(context.Background(), "vip", c.Params); err != nil {
		t.Fatalf("ValidateParams: %v", err)
	}
	hasVIP := func() bool {
		return strings.Contains(run("ip", "-n", ns, "addr", "show", "dev", "w0"), "10.213.99.50/24")
	}
	c.Action = "monitor"
	do(t, a, c, resources.NotRunning)
	c.Action = "start"
	do(t, a, c, resources.OK)
	if !hasVIP() {
		t.Fatalf("after start, w0 in %s lacks 10.213.99.50/24", ns)
	}
	if strings.Contains(run("ip", "addr", "show"), "10.213.99.50") {
		t.Fatalf("the VIP leaked into the host's own namespace")
	}
	c.Action = "monitor"
	do(t, a, c, resources.OK)
	c.Action = "stop"
	do(t, a, c, resources.OK)
	if hasVIP() {
		t.Fatalf("after stop, w0 still has 10.213.99.50")
	}
	c.Action = "monitor"
	do(t, a, c, resources.NotRunning)
	c.Action = "stop"
	do(t, a, c, resources.OK)
}
