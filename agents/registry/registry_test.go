package registry

import (
	"context"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ward-ha/ward/agents/dummy"
	"github.com/ward-ha/ward/agents/ocf"
	"github.com/ward-ha/ward/resources"
)

func TestLookupAndList(t *testing.T) {
	root := t.TempDir()
	os.MkdirAll(filepath.Join(root, "resource.d", "acme"), 0o755)
	os.WriteFile(filepath.Join(root, "resource.d", "acme", "Thing"), []byte("#!/bin/sh\nexit 7\n"), 0o755)
	b := Builtins()
	b["extra"] = func(o Options) (resources.Agent, error) { return dummy.New(o.StateDir), nil }
	r := New(Options{StateDir: t.TempDir(), OCF: ocf.Options{Root: root}}, b)
	for _, name := range []string{"dummy", "stateful", "exec", "extra", "ocf:acme:Thing"} {
		a, err := r.Lookup(name)
		if err != nil || a == nil {
			t.Errorf("Lookup(%q) = %v, %v, want an agent", name, a, err)
		}
	}
	a1, _ := r.Lookup("ocf:acme:Thing")
	a2, _ := r.Lookup("ocf:acme:Thing")
	if a1 != a2 {
		t.Errorf("Lookup twice built two agents, want one reused")
	}
	if o := a1.Do(context.Background(), resources.Call{Resource: "x", Action: "monitor"}); o.Code != resources.NotRunning {
		t.Errorf("ocf:acme:Thing monitor = %v, want not-running", o.Code)
	}
	if _, err := r.Lookup("postgress"); !errors.Is(err, ErrUnknownAgent) {
		t.Errorf("Lookup(postgress) = %v, want ErrUnknownAgent", err)
	}
	if _, err := r.Lookup("ocf:bad"); err == nil {
		t.Errorf("Lookup(ocf:bad) error = nil, want one")
	}
	list, err := r.List()
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"dummy", "exec", "extra", "postgres", "stateful", "vip", "ocf:acme:Thing"}
	if len(list) != len(want) {
		t.Fatalf("List() = %v, want %v", list, want)
	}
	for i, e := range list {
		if e.Name != want[i] {
			t.Errorf("List()[%d] = %s, want %s", i, e.Name, want[i])
		}
	}
	// The caller's map is copied: adding later changes nothing.
	b["late"] = b["extra"]
	if _, err := r.Lookup("late"); err == nil {
		t.Errorf("Lookup(late) after New found it; the registry must copy its map")
	}
}

// TestOptionsAgentLogger: the daemon's logger reaches the built-in
// agents tagged with their name; without one they discard.
func TestOptionsAgentLogger(t *testing.T) {
	var b strings.Builder
	o := Options{Logger: slog.New(slog.NewTextHandler(&b, nil))}
	o.agentLogger("postgres").Info("rewound")
	if got := b.String(); !strings.Contains(got, "agent=postgres") || !strings.Contains(got, "rewound") {
		t.Errorf("agentLogger(postgres) wrote %q, want the message with agent=postgres", got)
	}
	if l := (Options{}).agentLogger("vip"); l != nil {
		t.Errorf("agentLogger without a Logger = %v, want nil (the agent discards)", l)
	}
	for _, name := range []string{"vip", "postgres"} {
		if _, err := New(o, Builtins()).Lookup(name); err != nil {
			t.Errorf("Lookup(%s) with a Logger = %v", name, err)
		}
	}
}
