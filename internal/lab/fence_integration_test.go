//go:build integration

package lab_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ward-ha/ward/fencing"
	"github.com/ward-ha/ward/internal/lab"
	"github.com/ward-ha/ward/policy"
)

// TestIntegrationLabFencePlugin powers a lab host off through fencing's
// lab plugin: every process of the host gone, its switch port down.
func TestIntegrationLabFencePlugin(t *testing.T) {
	if err := lab.CheckRoot(); err != nil {
		t.Fatal(err)
	}
	base := t.TempDir()
	l, err := lab.New(lab.Config{Dir: filepath.Join(base, "lab"), Prefix: "wardlf-", Nodes: 1, Exe: "/bin/true"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	l.Down(ctx, false)
	t.Cleanup(func() { l.Down(context.Background(), true) })
	if err := l.Up(ctx); err != nil {
		t.Fatal(err)
	}
	cmd := l.Command(context.Background(), 1, "sleep", "300")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go cmd.Wait()
	for {
		if pids, _ := lab.Pids(l.NS(1)); len(pids) > 0 {
			break
		}
		select {
		case <-ctx.Done():
			t.Fatal("sleep never showed up in the host")
		case <-time.After(10 * time.Millisecond):
		}
	}
	dev, err := fencing.NewLab(policy.FenceDevice{ID: "power", Plugin: "lab", Params: map[string]string{"prefix": "wardlf-"}})
	if err != nil {
		t.Fatal(err)
	}
	if err := dev.Fence(ctx, "n1", "n1", "off"); err != nil {
		t.Fatalf("Fence(n1) = %v, want nil", err)
	}
	if pids, err := lab.Pids(l.NS(1)); err != nil || len(pids) != 0 {
		t.Errorf("after Fence(n1): processes %v (%v), want none", pids, err)
	}
	st, err := l.Status(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(strings.Join(st[0].Cuts, ","), "link down") {
		t.Errorf("after Fence(n1): cuts %v, want link down", st[0].Cuts)
	}
	if err := dev.Fence(ctx, "n9", "n9", "off"); err == nil {
		t.Error("Fence(n9) of a host that does not exist = nil, want an error")
	}
	if _, err := os.Stat(l.HostDir(1)); err != nil {
		t.Errorf("the host's disk is gone after a power off: %v", err)
	}
}
