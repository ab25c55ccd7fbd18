package fencing

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ward-ha/ward/policy"
)

// recordingAgent writes a fence agent that saves its stdin to a file and
// prints metadata with the given parameters.
func recordingAgent(t *testing.T, params string, out string, code int) (path, stdin string) {
	t.Helper()
	dir := t.TempDir()
	stdin = filepath.Join(dir, "stdin")
	path = filepath.Join(dir, "fence_rec")
	script := `#!/bin/sh
if [ "$1" = -o ] && [ "$2" = metadata ]; then
cat <<'XML'
<resource-agent name="fence_rec"><parameters>` + params + `</parameters>
<actions><action name="off"/><action name="reboot"/><action name="status"/><action name="list"/></actions></resource-agent>
XML
exit 0
fi
cat > ` + stdin + `
echo "` + out + `"
exit ` + string(rune('0'+code)) + `
`
	if err := os.WriteFile(path, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	return path, stdin
}

func TestAgentStdinPortAndNodename(t *testing.T) {
	for _, tc := range []struct {
		params string
		want   string
	}{
		{`<parameter name="port"/><parameter name="nodename"/><parameter name="ip" required="1"/>`,
			"action=off\nip=10.0.0.9\nnodename=b\nport=outlet-7\n"},
		{`<parameter name="plug"/><parameter name="ip"/>`, "action=off\nip=10.0.0.9\nplug=outlet-7\n"},
		{`<parameter name="ip"/>`, "action=off\nip=10.0.0.9\n"},
	} {
		path, stdin := recordingAgent(t, tc.params, "ok", 0)
		a, err := NewAgent(policy.FenceDevice{ID: "d", Agent: path, Params: map[string]string{"ip": "10.0.0.9"}}, nil, nil)
		if err != nil {
			t.Fatal(err)
		}
		if err := a.Fence(context.Background(), "b", "outlet-7", "off"); err != nil {
			t.Fatalf("Fence with metadata %s = %v", tc.params, err)
		}
		got, _ := os.ReadFile(stdin)
		if string(got) != tc.want {
			t.Errorf("stdin with metadata %s = %q, want %q", tc.params, got, tc.want)
		}
	}
}

func TestAgentErrors(t *testing.T) {
	path, _ := recordingAgent(t, `<parameter name="port"/><parameter name="passwd"/><parameter name="ip" required="1"/>`, "Failed: bad password s3cret", 1)
	dev := func(params map[string]string) *Agent {
		a, err := NewAgent(policy.FenceDevice{ID: "d", Agent: path, Params: params, SecretParams: map[string]string{"passwd": "s3cret"}}, nil, nil)
		if err != nil {
			t.Fatal(err)
		}
		return a
	}
	ctx := context.Background()
	err := dev(map[string]string{"ip": "x"}).Fence(ctx, "b", "b", "off")
	if err == nil || !strings.Contains(err.Error(), "exited with 1") || strings.Contains(err.Error(), "s3cret") || !strings.Contains(err.Error(), "[redacted]") {
		t.Errorf("Fence(failing agent) = %v, want exit 1 with the password redacted", err)
	}
	if err := dev(map[string]string{}).Fence(ctx, "b", "b", "off"); err == nil || !strings.Contains(err.Error(), `"ip" is required`) {
		t.Errorf("Fence(no ip) = %v, want ip required", err)
	}
	if err := dev(map[string]string{"ip": "x", "ipp": "y"}).Fence(ctx, "b", "b", "off"); err == nil || !strings.Contains(err.Error(), `"ipp" is not a parameter`) {
		t.Errorf("Fence(ipp) = %v, want unknown param", err)
	}
	if err := dev(map[string]string{"ip": "x"}).Monitor(ctx); err == nil || !strings.Contains(err.Error(), "does not support action monitor") {
		t.Errorf("Monitor() = %v, want unsupported", err)
	}
	if err := dev(map[string]string{"ip": "x\nport=other"}).Fence(ctx, "b", "b", "off"); err == nil || !strings.Contains(err.Error(), "newline") {
		t.Errorf("Fence(value with newline) = %v, want refused", err)
	}
	for _, name := range []string{"", "fence_nope_does_not_exist", "../bin/sh", "ls", "/nonexistent/fence_x"} {
		if _, err := NewAgent(policy.FenceDevice{ID: "d", Agent: name}, []string{t.TempDir()}, nil); err == nil {
			t.Errorf("NewAgent(agent %q) = nil error, want one", name)
		}
	}
}

func TestAgentMetadataCached(t *testing.T) {
	path, _ := recordingAgent(t, `<parameter name="port"/>`, "ok", 0)
	cache := NewMetadataCache()
	a, err := NewAgent(policy.FenceDevice{ID: "d", Agent: path}, nil, cache)
	if err != nil {
		t.Fatal(err)
	}
	m1, err := a.Metadata(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	m2, _ := a.Metadata(context.Background())
	if m1 != m2 {
		t.Errorf("Metadata() twice read the agent twice, want one read (cache)")
	}
}
