package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"testing"
)

func runSimCmd(args ...string) (string, error) {
	c := newSimCmd()
	var out bytes.Buffer
	c.SetOut(&out)
	c.SetErr(&out)
	c.SetArgs(args)
	err := c.Execute()
	return out.String(), err
}

func TestSimCmdUsage(t *testing.T) {
	for _, args := range [][]string{{"-o", "yaml"}, {"--seeds", "0"}, {"--nodes", "2"}, {"extra"}} {
		_, err := runSimCmd(args...)
		var ue *usageError
		if !errors.As(err, &ue) {
			t.Errorf("ward sim %s = %v, want a usage error", strings.Join(args, " "), err)
		}
	}
}

func TestSimCmdOneSeedJSON(t *testing.T) {
	out, err := runSimCmd("--seed", "5", "--faults", "2", "-o", "json")
	if err != nil {
		t.Fatalf("ward sim --seed 5 --faults 2 = %v\n%s", err, out)
	}
	var sum simSummary
	if err := json.Unmarshal([]byte(out), &sum); err != nil {
		t.Fatalf("ward sim -o json output = %q: %v", out, err)
	}
	if sum.Seeds != 1 || len(sum.Results) != 1 || sum.Results[0].Seed != 5 || len(sum.Results[0].Schedule) != 2 {
		t.Errorf("ward sim --seed 5 --faults 2 = %+v, want one result for seed 5 with 2 steps", sum)
	}
	if sum.Results[0].Converged <= 0 || sum.SeedsPerMinute <= 0 {
		t.Errorf("ward sim: converged %v, %v seeds/minute; want both > 0", sum.Results[0].Converged, sum.SeedsPerMinute)
	}
}
