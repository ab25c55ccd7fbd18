//go:build integration

package lab

import (
	"context"
	"os"
	"testing"
	"time"
)

// TestIntegrationCatalogue runs the fault catalogue's CI subset (the
// scenarios marked CI: fast ones, each in a fresh three-host lab with
// PostgreSQL, the VIP, a writer through the VIP and the invariants
// checked all along). The whole catalogue runs with go run
// ./bench/catalogue (docs/catalogue.md).
func TestIntegrationCatalogue(t *testing.T) {
	if err := CheckRoot(); err != nil {
		t.Fatal(err)
	}
	keep, err := os.MkdirTemp("", "wardfct-failed-")
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, sc := range Catalogue() {
		if !sc.CI {
			continue
		}
		n++
		t.Run(sc.Name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
			defer cancel()
			res := RunScenario(ctx, sc, RunOptions{Prefix: "wardfct-", Exe: wardExe, KeepDir: keep, Timeout: 3 * time.Minute})
			t.Logf("%s: %s (recovery %d ms, longest write gap %d ms, %d acknowledged writes, %.0f s)",
				sc.Name, res.Outcome, res.RecoveryMS, res.MaxGapMS, res.Acked, res.Seconds)
			for _, v := range res.Violations {
				t.Errorf("RunScenario(%s): violation %s", sc.Name, v)
			}
			if res.Lost > 0 {
				t.Errorf("RunScenario(%s) lost %d of %d acknowledged writes", sc.Name, res.Lost, res.Acked)
			}
			if !res.Pass {
				t.Errorf("RunScenario(%s) = %s, want pass (logs in %s)", sc.Name, res.Outcome, res.LogsKept)
			}
		})
	}
	if n < 4 {
		t.Errorf("Catalogue() marks %d scenarios for CI, want at least 4", n)
	}
	if !t.Failed() {
		os.RemoveAll(keep)
	}
}
