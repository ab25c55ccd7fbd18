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

// TestIntegrationCatalogueChecker checks the checker: on a healthy
// cluster, the VIP added by hand to a standby's interface is reported as
// two-active, and a standby promoted by hand as two-primaries.
func TestIntegrationCatalogueChecker(t *testing.T) {
	if err := CheckRoot(); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	c, err := StartFaultCluster(ctx, FaultOptions{Prefix: "wardfct-", Exe: wardExe, Nodes: 3,
		Policy: FaultPolicyOptions{PolicyOptions: PolicyOptions{Synchronous: true, Fast: true}}})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close("")
	p, err := c.Primary(ctx, 30*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	s := c.Standby(p)
	if got := c.Inv.Violations(); len(got) != 0 {
		t.Fatalf("Violations() on a healthy cluster = %v, want none", got)
	}
	if err := run(ctx, "ip", "-n", c.L.NS(s), "addr", "add", c.L.VIP()+"/24", "dev", HostIf); err != nil {
		t.Fatal(err)
	}
	waitKind := func(kind string) {
		t.Helper()
		if err := retry(ctx, 10*time.Second, "a "+kind+" violation", func() error {
			for _, v := range c.Inv.Violations() {
				if v.Kind == kind {
					return nil
				}
			}
			return context.DeadlineExceeded
		}); err != nil {
			t.Errorf("Violations() after the fault = %v, want a %s: %v", c.Inv.Violations(), kind, err)
		}
	}
	waitKind(InvTwoActive)
	var ok bool
	if err := c.L.QueryRow(ctx, s, "SELECT pg_promote()", &ok); err != nil || !ok {
		t.Fatalf("pg_promote() on %s = %t, %v", c.L.Name(s), ok, err)
	}
	waitKind(InvTwoPrimaries)
}
