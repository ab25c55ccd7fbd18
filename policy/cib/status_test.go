package cib

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/ward-ha/ward/policy"
)

// miniCIB builds a CIB with nodes n1 and n2, the given resources and
// n1's node_state attributes and body; n2 is always a healthy member.
func miniCIB(fencing bool, resources, n1State, n1Body string) []byte {
	return []byte(fmt.Sprintf(`<cib have-quorum="1"><configuration><crm_config><cluster_property_set id="o">
<nvpair id="f" name="fencing-enabled" value="%v"/></cluster_property_set></crm_config>
<nodes><node id="1" uname="n1"/><node id="2" uname="n2"/></nodes>
<resources>%s</resources><constraints/></configuration>
<status>%s
<node_state id="2" uname="n2" in_ccm="true" crmd="online" join="member" expected="member"/></status></cib>`,
		fencing, resources, func() string {
			if n1State == "-" {
				return ""
			}
			return `<node_state id="1" uname="n1" ` + n1State + `>` + n1Body + `</node_state>`
		}()))
}

func nodeOf(t *testing.T, res *Result, name string) policy.NodeStatus {
	t.Helper()
	for _, n := range res.Status.Nodes {
		if n.Name == name {
			return n
		}
	}
	t.Fatalf("no status for node %s", name)
	return policy.NodeStatus{}
}

func TestNodeStates(t *testing.T) {
	tests := []struct {
		fencing bool
		state   string
		attrs   string
		want    policy.NodeState
	}{
		{true, `in_ccm="true" crmd="online" join="member" expected="member"`, "", policy.NodeOnline},
		{true, `in_ccm="1767225000" crmd="1767225000" join="member" expected="member"`, "", policy.NodeOnline},
		{true, `crmd="offline" join="down"`, "", policy.NodeUnclean},                                                // never seen by the cluster
		{true, `in_ccm="false" crmd="offline" join="down" expected="member"`, "", policy.NodeUnclean},               // lost
		{true, `in_ccm="true" crmd="offline" join="member" expected="member"`, "", policy.NodeUnclean},              // process gone
		{true, `in_ccm="false" crmd="offline" join="down" expected="down"`, "", policy.NodeOffline},                 // clean shutdown
		{true, `in_ccm="0" crmd="0" join="down" expected="down"`, "", policy.NodeOffline},                           // 2.1.7+ form
		{true, `in_ccm="true" crmd="online" join="pending" expected="member"`, "", policy.NodePending},              // joining
		{true, `in_ccm="true" crmd="online" join="member" expected="down"`, "", policy.NodePending},                 // not expected up
		{true, `in_ccm="true" crmd="online" join="banned" expected="member"`, "", policy.NodeUnclean},               // banned
		{true, `in_ccm="true" crmd="online" join="member" expected="member"`, "terminate=true", policy.NodeUnclean}, // fencing asked
		{true, `in_ccm="true" crmd="online" join="member" expected="member"`, "shutdown=1767225000", policy.NodeOnline},
		{true, `-`, "", policy.NodeUnclean}, // startup fencing
		{false, `-`, "", policy.NodeOffline},
		{false, `in_ccm="true" crmd="online" join="member" expected="member"`, "", policy.NodeOnline},
		{false, `in_ccm="true" crmd="offline" join="down" expected="member"`, "", policy.NodeUnclean},
		{false, `in_ccm="true" crmd="online" join="pending" expected="member"`, "", policy.NodeOffline},
		{false, `in_ccm="false" crmd="offline" join="down" expected="member"`, "", policy.NodeOffline},
	}
	for _, tt := range tests {
		body := ""
		if tt.attrs != "" {
			k, v, _ := strings.Cut(tt.attrs, "=")
			body = `<transient_attributes id="1"><instance_attributes id="s1"><nvpair id="a" name="` + k + `" value="` + v + `"/></instance_attributes></transient_attributes>`
		}
		res, err := Import("t.xml", miniCIB(tt.fencing, "", tt.state, body), Options{})
		if err != nil {
			t.Fatal(err)
		}
		if got := nodeOf(t, res, "n1").State; got != tt.want {
			t.Errorf("node state(fencing %v, %s %s) = %s, want %s", tt.fencing, tt.state, tt.attrs, got, tt.want)
		}
	}
}

func TestStartupFencingOff(t *testing.T) {
	data := strings.Replace(string(miniCIB(true, "", "-", "")), `<nvpair id="f"`, `<nvpair id="sf" name="startup-fencing" value="false"/><nvpair id="f"`, 1)
	res, err := Import("t.xml", []byte(data), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if got := nodeOf(t, res, "n1").State; got != policy.NodeOffline {
		t.Errorf("unseen node with startup-fencing=false = %s, want offline", got)
	}
}

func timeUnix(sec int64) time.Time { return time.Unix(sec, 0).UTC() }

// TestTimestampsPastYear9999 imports a CIB whose execution-date,
// last-rc-change and last-failure lie beyond year 9999: each is ignored
// and the status still writes as JSON (FuzzImport found the crash).
func TestTimestampsPastYear9999(t *testing.T) {
	const far = "253402300800"
	body := strings.ReplaceAll(lrmOps("r", "start/0/0/0/0", "monitor/10000/7/0/0"), `last-rc-change="1767225001"`, `last-rc-change="`+far+`"`) +
		`<transient_attributes id="1"><instance_attributes id="s"><nvpair id="lf" name="last-failure-r#monitor_10000" value="` + far + `"/><nvpair id="fc" name="fail-count-r#monitor_10000" value="1"/></instance_attributes></transient_attributes>`
	data := miniCIB(true, `<primitive id="r" class="ocf" provider="p" type="D"/>`, online, body)
	data = bytes.Replace(data, []byte(`<cib `), []byte(`<cib execution-date="`+far+`" `), 1)
	res, err := Import("far.xml", data, Options{Now: time.Unix(1767225600, 0)})
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := res.WriteStatus(&b); err != nil {
		t.Fatalf("WriteStatus: %v", err)
	}
	if res.Status.ExecutionDate != nil {
		t.Errorf("execution-date %s kept", res.Status.ExecutionDate)
	}
	var lossy []string
	for _, is := range res.Issues {
		lossy = append(lossy, is.String())
	}
	joined := strings.Join(lossy, "\n")
	for _, want := range []string{"execution-date", "last-failure"} {
		if !strings.Contains(joined, want) {
			t.Errorf("no issue names %s; issues:\n%s", want, joined)
		}
	}
}
