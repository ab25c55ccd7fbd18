package sim

import (
	"context"
	"testing"
	"time"
)

// TestColdStartFencesAnAbsentNode is the cold-start gap of Found 7
// (docs/reliability.md): every daemon of the cluster dies (kill -9, so
// the resources keep running), and the cluster starts again without the
// node that ran db promoted. Nobody remembers a boot of that node; with
// startup fencing (the default) it is unclean and must be fenced before
// db is promoted anywhere else. Want: the absent node fenced, db
// promoted on exactly one node, no invariant broken.
func TestColdStartFencesAnAbsentNode(t *testing.T) {
	c, obs, _ := newTestCluster(t)
	prom := c.promoted("db")
	if len(prom) != 1 {
		t.Fatalf("db promoted on %v before the test, want one node", prom)
	}
	absent := prom[0]
	for _, n := range c.names {
		c.crash(n)
	}
	obs.topology()
	for _, n := range c.names {
		if n == absent {
			continue
		}
		if err := c.restart(n); err != nil {
			t.Fatal(err)
		}
	}
	obs.topology()
	moved := func() bool {
		for _, n := range c.promoted("db") {
			if n != absent {
				return true
			}
		}
		return false
	}
	if _, ok := waitFor(context.Background(), 30*time.Second, moved); !ok {
		t.Fatalf("db never promoted again after a cold start without %s: %s", absent, describe(c))
	}
	obs.sample()
	if got := c.promoted("db"); len(got) != 1 {
		t.Errorf("db promoted on %v after a cold start without %s, want one node", got, absent)
	}
	if got := obs.tally().Fenced[absent]; got < 1 {
		t.Errorf("fences of %s (absent at the cold start, db promoted there) = %d, want at least 1", absent, got)
	}
	if v := obs.result(); len(v) != 0 {
		t.Errorf("violations = %v, want none", kinds(v))
	}
}
