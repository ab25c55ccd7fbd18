package policy_test

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/ward-ha/ward/policy"
	"github.com/ward-ha/ward/policy/cib"
)

// corpus finds the Pacemaker conformance corpus next to the repository.
func corpus(t *testing.T) string {
	t.Helper()
	if d := os.Getenv("WARD_CONFORMANCE"); d != "" {
		return d
	}
	d, err := filepath.Abs("../../shared/conformance")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(d, "cases")); err != nil {
		t.Fatalf("conformance corpus not found at %s (set WARD_CONFORMANCE): %v", d, err)
	}
	return d
}

type expected struct {
	Placements [][3]string       `json:"placements"`
	Fenced     []string          `json:"fenced"`
	Nodes      map[string]string `json:"nodes"`
	Failed     [][2]string       `json:"failed"`
	NowUTC     *string           `json:"now_utc"`
}

func key3(p [3]string) string { return strings.Join(p[:], " ") }

// TestScheduleCorpus runs the Pacemaker corpus through cib.Import and
// Schedule and checks how many cases agree on placements and fencing (the
// same comparison as the conformance check, without the CLI). Set
// CASE=name to see one case's actions and score tables.
func TestScheduleCorpus(t *testing.T) {
	dir := corpus(t)
	files, _ := filepath.Glob(filepath.Join(dir, "cases", "*.xml"))
	only := os.Getenv("CASE")
	pass := 0
	var fails []string
	for _, f := range files {
		name := strings.TrimSuffix(filepath.Base(f), ".xml")
		if only != "" && only != name {
			continue
		}
		data, _ := os.ReadFile(f)
		res, err := cib.Import(f, data, cib.Options{})
		if err != nil {
			fails = append(fails, name+": import: "+err.Error())
			continue
		}
		var exp expected
		ej, _ := os.ReadFile(filepath.Join(dir, "cases", name+".expected.json"))
		if err := json.Unmarshal(ej, &exp); err != nil {
			t.Fatal(err)
		}
		now := time.Now()
		if exp.NowUTC != nil {
			now, _ = time.Parse(time.RFC3339, *exp.NowUTC)
		} else if res.Status.ExecutionDate != nil {
			now = *res.Status.ExecutionDate
		}
		tr := policy.Schedule(res.Config, *res.Status, now)
		var got, want []string
		for _, p := range tr.Placements {
			got = append(got, key3([3]string{p.Resource, string(p.Role), p.Node}))
		}
		for _, p := range exp.Placements {
			want = append(want, key3(p))
		}
		sort.Strings(got)
		sort.Strings(want)
		fe := append([]string{}, exp.Fenced...)
		sort.Strings(fe)
		ok := strings.Join(got, ",") == strings.Join(want, ",") && strings.Join(tr.Fenced, ",") == strings.Join(fe, ",")
		if only != "" {
			for _, p := range res.Config.Primitives {
				t.Logf("%s %+v", p.ID, p.Ops)
			}
			for _, a := range tr.Actions {
				t.Log(policy.FormatAction(a))
			}
			for _, r := range tr.Scores() {
				line := r.Resource + ":"
				for _, n := range r.Nodes {
					line += fmt.Sprintf(" %s=%s%v", n.Node, n.Score, n.Contributions)
				}
				t.Log(line, r.Chosen, r.Reason)
			}
			t.Log(tr.Warnings)
		}
		if ok {
			pass++
			continue
		}
		fails = append(fails, fmt.Sprintf("%s:\n   got  %v fenced %v\n   want %v fenced %v", name, got, tr.Fenced, want, fe))
	}
	for _, f := range fails {
		t.Log(f)
	}
	t.Logf("corpus: %d passed, %d failed", pass, len(fails))
	// A ratchet: raise it when more cases pass. The 4 known failures are
	// listed in docs/scheduler.md ("Known differences").
	if only == "" && pass < corpusMinPass {
		t.Errorf("corpus: %d cases pass, want at least %d (see the log for the failures)", pass, corpusMinPass)
	}
}

// corpusMinPass is the number of corpus cases known to pass.
const corpusMinPass = 93
