package policy_test

import (
	"fmt"
	"testing"

	"github.com/ward-ha/ward/policy"
	"github.com/ward-ha/ward/policy/policytest"
)

// BenchmarkScheduleLarge schedules 100 nodes and 10,000 primitives
// (groups, clones, 20,000 constraints) with failures in the status.
func BenchmarkScheduleLarge(b *testing.B) {
	cfg, st, now := policytest.Large(100, 10000)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		policy.Schedule(cfg, st, now)
	}
}

// BenchmarkScoreTablesLarge builds every score table of the large
// cluster (what ward explain and the UI read; Schedule builds them only
// on demand).
func BenchmarkScoreTablesLarge(b *testing.B) {
	cfg, st, now := policytest.Large(100, 10000)
	tr := policy.Schedule(cfg, st, now)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		tr.Scores()
	}
}

// BenchmarkScheduleScale shows how time grows with resources and nodes.
func BenchmarkScheduleScale(b *testing.B) {
	for _, c := range []struct{ nodes, prims int }{
		{100, 1000}, {100, 10000}, {100, 50000},
		{10, 10000}, {1000, 10000},
	} {
		b.Run(fmt.Sprintf("nodes=%d/prims=%d", c.nodes, c.prims), func(b *testing.B) {
			cfg, st, now := policytest.Large(c.nodes, c.prims)
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				policy.Schedule(cfg, st, now)
			}
		})
	}
}
