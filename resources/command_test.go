package resources_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/ward-ha/ward/resources"
)

// scriptAgent runs one program with the action as its argument.
type scriptAgent struct {
	path  string
	limit int
}

func (s scriptAgent) Do(ctx context.Context, c resources.Call) resources.Outcome {
	return resources.Command{Path: s.path, Args: []string{c.Action}, Env: []string{"PATH=/usr/bin:/bin", "DIR=" + filepath.Dir(s.path)}, OutputLimit: s.limit}.Run(ctx).Outcome()
}

func (s scriptAgent) Metadata(context.Context) (*resources.Metadata, error) {
	return &resources.Metadata{Name: "script"}, nil
}

func writeScript(t *testing.T, body string, mode os.FileMode) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "agent")
	if err := os.WriteFile(p, []byte("#!/bin/sh\n"+body), mode); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestTimeoutKillsProcessGroup(t *testing.T) {
	// The agent starts a grandchild (sleep in a subshell) that would
	// outlive a kill of the agent alone.
	p := writeScript(t, `(sleep 300; echo never) &
echo $! > "$DIR/grandchild.pid"
echo started
sleep 300
`, 0o755)
	h := newHarness(t, resolver{"s": scriptAgent{path: p}}, 0)
	done := make(chan resources.Result)
	go func() {
		done <- h.exec1(resources.Request{Resource: "r", Agent: "s", Action: "start", Timeout: 20 * time.Second})
	}()
	pidFile := filepath.Join(filepath.Dir(p), "grandchild.pid")
	var pid string
	waitUntil(t, "the grandchild's pid file", func() bool {
		b, err := os.ReadFile(pidFile)
		pid = strings.TrimSpace(string(b))
		return err == nil && pid != ""
	})
	if processGone(pid) {
		t.Fatalf("grandchild %s is not running before the timeout", pid)
	}
	h.waitTimers(1)
	h.clock.Advance(20 * time.Second)
	r := <-done
	if r.Kind != resources.KindTimeout || r.Code != resources.ErrGeneric {
		t.Errorf("Exec(start that hangs) = kind %q rc %v, want timeout", r.Kind, r.Code)
	}
	waitUntil(t, "grandchild "+pid+" to die", func() bool { return processGone(pid) })
}

func TestCommandOutputIsCapped(t *testing.T) {
	// 40 MB on stdout and some on stderr; keep 64 KiB of each at most.
	p := writeScript(t, `head -c 40000000 /dev/zero | tr '\0' 'x'; echo; echo LAST-LINE; echo oops >&2; exit 1`, 0o755)
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	res := resources.Command{Path: p}.Run(context.Background())
	runtime.ReadMemStats(&after)
	if res.Code != resources.ErrGeneric {
		t.Errorf("Run().Code = %v, want generic-error (exit 1)", res.Code)
	}
	if !res.Truncated || len(res.Stdout) > resources.DefaultOutputLimit+100 {
		t.Errorf("Run() kept %d bytes of stdout, truncated %v, want at most %d and truncated", len(res.Stdout), res.Truncated, resources.DefaultOutputLimit)
	}
	if !strings.HasSuffix(string(res.Stdout), "LAST-LINE\n") || string(res.Stderr) != "oops\n" {
		t.Errorf("Run() stdout tail %q stderr %q, want LAST-LINE and oops", res.Stdout[len(res.Stdout)-20:], res.Stderr)
	}
	if grown := after.TotalAlloc - before.TotalAlloc; grown > 8<<20 {
		t.Errorf("reading 40 MB of output allocated %d bytes, want under 8 MiB", grown)
	}
	small := resources.Command{Path: p, OutputLimit: 100}.Run(context.Background())
	if len(small.Stdout) > 200 {
		t.Errorf("Run(OutputLimit 100) kept %d bytes, want about 100", len(small.Stdout))
	}
}

func TestCommandExitReason(t *testing.T) {
	p := writeScript(t, "echo 'ocf-exit-reason:first' >&2; echo 'Nov 26 ERROR: ocf-exit-reason:Config file /etc/x is missing' >&2; exit 6\n", 0o755)
	o := resources.Command{Path: p}.Run(context.Background()).Outcome()
	if o.Code != resources.ErrNotConfigured || o.ExitReason != "Config file /etc/x is missing" {
		t.Errorf("Run(exit reason) = %v %q, want not-configured with the last reason", o.Code, o.ExitReason)
	}
}

func TestCommandExitsWithoutOutput(t *testing.T) {
	p := writeScript(t, "exit 7\n", 0o755)
	res := resources.Command{Path: p}.Run(context.Background())
	o := res.Outcome()
	if res.Code != resources.NotRunning || o.Output != "" || o.Err != nil || res.Truncated {
		t.Errorf("Run(exit 7, silent) = %+v, outcome %+v, want not-running with no output", res, o)
	}
}

func TestCommandMissingOrNotExecutable(t *testing.T) {
	notExec := writeScript(t, "exit 0\n", 0o644)
	noShebang := filepath.Join(t.TempDir(), "noshebang")
	os.WriteFile(noShebang, []byte("\x00\x01binary garbage"), 0o755)
	for _, p := range []string{"/nonexistent/agent", notExec, noShebang} {
		res := resources.Command{Path: p}.Run(context.Background())
		o := res.Outcome()
		if res.Code != resources.ErrNotInstalled || o.Err == nil || !strings.Contains(o.Err.Error(), p) {
			t.Errorf("Run(%s) = rc %v err %v, want not-installed naming the path", p, res.Code, o.Err)
		}
	}
	h := newHarness(t, resolver{"s": scriptAgent{path: notExec}}, 0)
	r := h.exec1(resources.Request{Resource: "r", Agent: "s", Action: "start"})
	if r.Code != resources.ErrNotInstalled || r.Kind != resources.KindError || r.Failure() != resources.SeverityHard {
		t.Errorf("Exec(not executable) = rc %v kind %q severity %v, want not-installed error hard", r.Code, r.Kind, r.Failure())
	}
}

func TestCommandCanceledBeforeStart(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	res := resources.Command{Path: "/bin/true"}.Run(ctx)
	if !res.Interrupted || res.Code != resources.ErrGeneric {
		t.Errorf("Run(canceled ctx) = %+v, want interrupted", res)
	}
}

func TestCommandKilledBySignal(t *testing.T) {
	p := writeScript(t, "kill -9 $$\n", 0o755)
	o := resources.Command{Path: p}.Run(context.Background()).Outcome()
	if o.Code != resources.ErrGeneric || !strings.Contains(o.Output, "killed by signal") {
		t.Errorf("Run(kill -9 self) = %+v, want generic error saying killed by signal", o)
	}
}

func TestCommandDaemonHoldingOutputPipe(t *testing.T) {
	// A start that leaves a daemon behind with the agent's stdout still
	// open must return when the agent exits, not when the daemon does.
	p := writeScript(t, `sleep 60 &
echo $! > "$DIR/daemon.pid"
echo started
exit 0
`, 0o755)
	start := time.Now()
	res := resources.Command{Path: p, Env: []string{"PATH=/usr/bin:/bin", "DIR=" + filepath.Dir(p)}}.Run(context.Background())
	took := time.Since(start)
	b, _ := os.ReadFile(filepath.Join(filepath.Dir(p), "daemon.pid"))
	pid := strings.TrimSpace(string(b))
	t.Cleanup(func() {
		if pid != "" {
			exec.Command("kill", pid).Run()
		}
	})
	if res.Code != resources.OK || string(res.Stdout) != "started\n" {
		t.Errorf("Run(start with daemon) = %v %q, want success \"started\"", res.Code, res.Stdout)
	}
	if took > 10*time.Second {
		t.Errorf("Run(start with daemon) took %v, want it to return soon after the agent exits", took)
	}
	if processGone(pid) {
		t.Errorf("the daemon %s was killed; a successful start must leave it running", pid)
	}
}
