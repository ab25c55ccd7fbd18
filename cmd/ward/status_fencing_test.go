package main

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/ward-ha/ward/api"
)

func TestWriteFencingFailures(t *testing.T) {
	at := time.Date(2026, 11, 26, 3, 0, 0, 0, time.UTC)
	st := api.ClusterStatus{
		Nodes: []api.NodeInfo{{Name: "n1", State: api.StateUnclean}, {Name: "n2", State: api.StateOnline}, {Name: "n3", State: api.StateOffline}},
		Fencing: []api.FenceEvent{
			{Node: "n1", Action: "reboot", Result: "ok", At: at},
			{Node: "n1", Action: "reboot", Result: "lab: power switch does not answer", At: at.Add(time.Minute)},
			{Node: "n2", Action: "reboot", Result: "timeout", At: at}, // back online: not shown
			{Node: "n3", Action: "reboot", Result: "timeout", At: at}, // then fenced: not shown
			{Node: "n3", Action: "reboot", Result: "ok", At: at.Add(time.Hour)},
		},
	}
	var b bytes.Buffer
	writeFencingFailures(&b, painter(true), st)
	out := b.String()
	if strings.Count(out, "FENCING FAILED") != 1 || !strings.Contains(out, "n1") || !strings.Contains(out, "power switch does not answer") {
		t.Fatalf("writeFencingFailures = %q, want one failure, for n1, with its error", out)
	}
	if !strings.Contains(out, ansiRed) {
		t.Errorf("writeFencingFailures(color) = %q, want red", out)
	}
	b.Reset()
	writeFencingFailures(&b, painter(false), st)
	if strings.Contains(b.String(), "\x1b[") {
		t.Errorf("writeFencingFailures(no color) = %q, want no escape codes", b.String())
	}
}
