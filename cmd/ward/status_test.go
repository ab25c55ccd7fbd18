package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/spf13/cobra"

	"github.com/ward-ha/ward/api"
	"github.com/ward-ha/ward/api/apitest"
)

// runWardLive runs the CLI in-process like runWard, with the commands
// that talk to the daemon registered even if root.go does not list them
// yet.
func runWardLive(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	root := newRootCmd(&out, &errb)
	for _, mk := range []func() *cobra.Command{newStatusCmd, newNodeCmd, newDemoCmd, newResourceCmd, newClusterCmd, newEventsCmd, newReportCmd} {
		cmd := mk()
		if c, _, err := root.Find([]string{cmd.Name()}); err != nil || c == root {
			root.AddCommand(cmd)
		}
	}
	if c, _, err := root.Find([]string{"policy", "apply"}); err != nil || c.Name() != "apply" {
		pc, _, _ := root.Find([]string{"policy"})
		addLivePolicyCmds(pc)
	}
	root.SetArgs(args)
	err := root.Execute()
	code = 0
	var ee *exitError
	var ue *usageError
	switch {
	case err == nil:
	case errors.As(err, &ee):
		if ee.msg != "" {
			fmt.Fprintln(&errb, "ward:", ee.msg)
		}
		code = ee.code
	case errors.As(err, &ue):
		fmt.Fprintf(&errb, "ward: %v\n", ue.err)
		code = 2
	default:
		fmt.Fprintln(&errb, "ward:", err)
		code = 1
	}
	for _, s := range []string{out.String(), errb.String()} {
		if strings.Contains(s, "panic") || strings.Contains(s, "goroutine ") {
			t.Fatalf("ward %v printed a panic:\n%s", args, s)
		}
	}
	return code, out.String(), errb.String()
}

func sampleStatus() api.ClusterStatus {
	at := time.Date(2026, 11, 26, 7, 0, 0, 0, time.UTC)
	return api.ClusterStatus{
		Cluster: "demo", Node: "n1", DC: "n2", Term: 4, PolicyEpoch: 2, At: at,
		Quorum: api.Quorum{Quorate: true, Votes: 2, Needed: 2, Expected: 3},
		Nodes: []api.NodeInfo{
			{Name: "n1", State: api.StateOnline, Attributes: map[string]string{"site": "a", "rack": "1"}},
			{Name: "n2", State: api.StateOnline, Standby: true},
			{Name: "n3", State: api.StateUnclean},
		},
		Resources: []api.ResourceInfo{
			{ID: "web", Primitive: "dummy", Role: "Started", Node: "n1", Managed: true},
			{ID: "db", Primitive: "postgres", Role: "Stopped", Managed: true, Failed: true, Blocked: true},
		},
		FailedActions: []api.FailedAction{{Resource: "db", Node: "n2", Op: "monitor", Interval: "10s", RC: 7, RCName: "not running",
			Output: "pg_ctl: no server running\n\x1b[2Jsecond line", At: at}},
		Fencing:    []api.FenceEvent{{Node: "n3", Device: "pdu", Action: "reboot", Result: "ok", RequestedBy: "n2", At: at}},
		Transition: &api.TransitionInfo{ID: 9, State: "running", Done: 1, Total: 3},
	}
}

func TestStatusText(t *testing.T) {
	socket := apitest.Serve(t, &apitest.Backend{StatusAnswer: sampleStatus()})
	code, out, errs := runWardLive(t, "status", "--socket", socket)
	if code != 0 {
		t.Fatalf("ward status = %d, %q", code, errs)
	}
	for _, want := range []string{
		"Cluster demo", "seen by n1", "policy epoch 2", "term 4",
		"Quorum   yes: 2 of 3 votes present, 2 needed", "DC       n2",
		"Transition 9   running, 1 of 3 actions done",
		"n1   online", "rack=1 site=a", "online, standby", "UNCLEAN (must be fenced)",
		"web   dummy", "Started", "db    postgres   Stopped   -", "FAILED BLOCKED",
		"db monitor every 10s on n2: rc=7 (not running) at 2026-11-26 07:00:00Z",
		"pg_ctl: no server running [2Jsecond line",
		"reboot n3 by device pdu, requested by n2 at 2026-11-26 07:00:00Z: ok",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("ward status lacks %q:\n%s", want, out)
		}
	}
	for _, l := range strings.Split(out, "\n") {
		if strings.HasSuffix(l, " ") {
			t.Errorf("ward status line %q ends with blanks", l)
		}
	}
	if strings.Contains(out, "\x1b") {
		t.Errorf("ward status printed escape sequences to a pipe:\n%q", out)
	}
}

func TestStatusJSON(t *testing.T) {
	want := sampleStatus()
	socket := apitest.Serve(t, &apitest.Backend{StatusAnswer: want})
	code, out, errs := runWardLive(t, "status", "--socket", socket, "-o", "json")
	if code != 0 {
		t.Fatalf("ward status -o json = %d, %q", code, errs)
	}
	var got api.ClusterStatus
	if err := json.Unmarshal([]byte(out), &got); err != nil || !reflect.DeepEqual(got, want) {
		t.Errorf("ward status -o json = %+v (%v), want %+v", got, err, want)
	}
}

func TestStatusNoQuorumNoDC(t *testing.T) {
	st := api.ClusterStatus{Cluster: "c", Node: "n1", Quorum: api.Quorum{Votes: 1, Needed: 2, Expected: 3}}
	socket := apitest.Serve(t, &apitest.Backend{StatusAnswer: st})
	code, out, _ := runWardLive(t, "status", "--socket", socket)
	for _, want := range []string{"Quorum   NO: 1 of 3 votes present, 2 needed", "DC       none elected", "none configured"} {
		if code != 0 || !strings.Contains(out, want) {
			t.Errorf("ward status = %d, lacks %q:\n%s", code, want, out)
		}
	}
}

func TestStatusDaemonDown(t *testing.T) {
	socket := filepath.Join(t.TempDir(), "ward.sock")
	code, out, errs := runWardLive(t, "status", "--socket", socket)
	want := "ward: cannot reach the ward daemon at " + socket + ": "
	if code != 1 || out != "" || !strings.HasPrefix(errs, want) || !strings.Contains(errs, "is it running? (start it with `ward daemon`)") {
		t.Errorf("ward status (no daemon) = %d, %q, %q; want 1 and %q...", code, out, errs, want)
	}
}

func TestStatusUsage(t *testing.T) {
	for _, args := range [][]string{
		{"status", "extra"}, {"status", "-o", "yaml"}, {"status", "--watch", "-o", "json"}, {"status", "--watch", "--interval", "1ms"},
	} {
		if code, _, errs := runWardLive(t, args...); code != 2 {
			t.Errorf("ward %v = %d, %q; want 2", args, code, errs)
		}
	}
}

func TestStatusWatchFrame(t *testing.T) {
	var b bytesBuffer
	fmt.Fprint(&b, "a\nbb\n")
	if got, want := b.withClearedLines(), "a\x1b[K\nbb\x1b[K\n"; got != want {
		t.Errorf("withClearedLines(%q) = %q, want %q", "a\nbb\n", got, want)
	}
	var out bytes.Buffer
	renderStatus(&out, sampleStatus(), true)
	if !strings.Contains(out.String(), ansiRed+"UNCLEAN") || !strings.Contains(out.String(), ansiGreen+"online"+ansiReset) {
		t.Errorf("renderStatus(color) lacks colours:\n%q", out.String())
	}
}

// signalWriter collects output and signals each write.
type signalWriter struct {
	buf    bytes.Buffer
	writes chan struct{}
}

func (w *signalWriter) Write(p []byte) (int, error) {
	w.buf.Write(p)
	w.writes <- struct{}{}
	return len(p), nil
}

func TestStatusWatchLoop(t *testing.T) {
	b := &apitest.Backend{StatusAnswer: sampleStatus()}
	cl := api.NewClient(apitest.Serve(t, b))
	defer cl.CloseIdleConnections()
	ctx, cancel := context.WithCancel(context.Background())
	w := &signalWriter{writes: make(chan struct{})}
	done := make(chan error, 1)
	go func() { done <- watchStatus(ctx, w, cl, 100*time.Millisecond, true, false) }()
	<-w.writes // first frame, daemon up
	b.Lock()
	b.Err = api.Errorf(api.CodeUnavailable, "starting")
	b.Unlock()
	<-w.writes // second frame, the refusal
	cancel()
	go func() {
		for range w.writes {
		}
	}()
	if err := <-done; err != nil {
		t.Errorf("watchStatus() = %v, want nil after cancel", err)
	}
	close(w.writes)
	out := w.buf.String()
	if !strings.HasPrefix(out, "\x1b[H") || !strings.Contains(out, "Cluster") || !strings.Contains(out, "the daemon refused: starting (unavailable)") {
		t.Errorf("watchStatus frames = %q, want a redrawn status then the refusal", out)
	}
}
