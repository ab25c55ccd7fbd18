package sim

import (
	"context"
	"flag"
	"log/slog"
	"os"
	"testing"
	"time"
)

var (
	seedFlag   = flag.Uint64("seed", 0, "replay this seed only (TestSim)")
	seedsFlag  = flag.Int("seeds", 3, "number of seeds TestSim runs, from -from")
	fromFlag   = flag.Uint64("from", 1, "first seed TestSim runs")
	faultsFlag = flag.Int("faults", 6, "faults per seed (TestSim)")
	nodesFlag  = flag.Int("nodes", 3, "nodes in the simulated cluster (TestSim)")
	logFlag    = flag.String("logfile", "", "write the simulated nodes' logs of the last seed to this file (TestSim)")
)

// TestSim runs a bounded number of seeds of the randomized fault
// simulation and fails with the command that replays a failing seed.
func TestSim(t *testing.T) {
	seeds := []uint64{}
	if *seedFlag != 0 {
		seeds = append(seeds, *seedFlag)
	} else {
		for i := range *seedsFlag {
			seeds = append(seeds, *fromFlag+uint64(i))
		}
	}
	for _, seed := range seeds {
		logs := &syncBuffer{}
		level := slog.LevelInfo
		if os.Getenv("WARD_TEST_DEBUG") != "" {
			level = slog.LevelDebug
		}
		res, err := Run(context.Background(), Options{Seed: seed, Faults: *faultsFlag, Nodes: *nodesFlag, Dir: t.TempDir(), Log: logs, LogLevel: level})
		if err != nil {
			t.Fatalf("Run(seed %d) = %v, want no error", seed, err)
		}
		t.Logf("seed %d: %d faults, %v, %+v, restarted %v, converged in %v: %s", seed, res.Faults, res.Duration.Round(time.Millisecond),
			res.Counts, res.Restarted, res.Converged.Round(time.Millisecond), res.Final)
		if *logFlag != "" {
			if err := os.WriteFile(*logFlag, []byte(logs.String()), 0o644); err != nil {
				t.Error(err)
			}
		}
		if !res.OK() {
			for _, s := range res.Schedule {
				t.Logf("  %s", s)
			}
			for _, v := range res.Violations {
				t.Errorf("seed %d: %s at %v: %s", seed, v.Kind, v.At.Round(time.Millisecond), v.Detail)
			}
			t.Errorf("replay: %s  (or: go test ./internal/sim -run TestSim -seed %d -faults %d -nodes %d)", res.Replay, seed, res.Faults, *nodesFlag)
			if os.Getenv("WARD_SIM_LOGS") != "" {
				t.Logf("logs:\n%s", logs)
			}
		}
	}
}
