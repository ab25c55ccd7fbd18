package cib

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/ward-ha/ward/policy"
)

// corpusDir finds the Pacemaker conformance corpus: $WARD_CONFORMANCE, or
// ../shared/conformance next to the repository.
func corpusDir(t testing.TB) string {
	t.Helper()
	if d := os.Getenv("WARD_CONFORMANCE"); d != "" {
		return d
	}
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for d := wd; ; d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			c := filepath.Join(filepath.Dir(d), "shared", "conformance")
			if _, err := os.Stat(filepath.Join(c, "cases")); err != nil {
				t.Fatalf("conformance corpus not found at %s (set WARD_CONFORMANCE to the folder holding cases/): %v", c, err)
			}
			return c
		}
		if filepath.Dir(d) == d {
			t.Fatalf("no go.mod above %s", wd)
		}
	}
}

type expectedInitial struct {
	NowUTC  string `json:"now_utc"`
	Initial struct {
		Nodes      map[string]string `json:"nodes"`
		Placements [][3]string       `json:"placements"`
		Failed     [][2]string       `json:"failed"`
	} `json:"initial"`
}

// pacemakerView renders a status the way the corpus records the initial
// state: node states as crm_simulate prints them, active placements and
// failed resources.
func pacemakerView(res *Result) (map[string]string, []string, []string) {
	st, cfg := res.Status, res.Config
	nodes := map[string]string{}
	var places, failed []string
	standby := map[string]bool{}
	maint := map[string]bool{}
	for _, n := range cfg.Nodes {
		standby[n.Name] = n.Standby
		maint[n.Name] = n.Maintenance
	}
	for _, n := range st.Nodes {
		s := string(n.State)
		pv := res.pacemaker[n.Name]
		if pv.unclean {
			s = "unclean"
		}
		if s == "online" {
			switch {
			case n.Maintenance || maint[n.Name]:
				s = "maintenance"
			case n.Standby || standby[n.Name] || pv.standby:
				s = "standby"
			}
		}
		nodes[n.Name] = s
		for _, r := range n.Resources {
			id := r.ID
			if i := strings.LastIndexByte(id, ':'); i > 0 {
				id = id[:i]
			}
			if r.Role != policy.RoleStopped && r.Role != "" {
				places = append(places, fmt.Sprintf("%s/%s/%s", id, r.Role, n.Name))
			}
			if r.Failed {
				failed = append(failed, id+"/"+n.Name)
			}
		}
	}
	sort.Strings(places)
	sort.Strings(failed)
	return nodes, places, failed
}

// TestImportCorpusInitialState imports every case of the corpus and
// compares the derived status with the state before the transition.
func TestImportCorpusInitialState(t *testing.T) {
	dir := corpusDir(t)
	cases, err := filepath.Glob(filepath.Join(dir, "cases", "*.xml"))
	if err != nil || len(cases) == 0 {
		t.Fatalf("no cases in %s: %v", dir, err)
	}
	match := 0
	for _, c := range cases {
		name := strings.TrimSuffix(filepath.Base(c), ".xml")
		data, err := os.ReadFile(c)
		if err != nil {
			t.Fatal(err)
		}
		raw, err := os.ReadFile(strings.TrimSuffix(c, ".xml") + ".expected.json")
		if err != nil {
			t.Fatal(err)
		}
		var exp expectedInitial
		if err := json.Unmarshal(raw, &exp); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		var opts Options
		if exp.NowUTC != "" {
			if opts.Now, err = time.Parse(time.RFC3339, exp.NowUTC); err != nil {
				t.Fatalf("%s: now_utc: %v", name, err)
			}
		}
		res, err := Import(name+".xml", data, opts)
		if err != nil {
			t.Errorf("Import(%s) error %v", name, err)
			continue
		}
		var wantP, wantF []string
		for _, p := range exp.Initial.Placements {
			wantP = append(wantP, p[0]+"/"+p[1]+"/"+p[2])
		}
		for _, f := range exp.Initial.Failed {
			wantF = append(wantF, f[0]+"/"+f[1])
		}
		sort.Strings(wantP)
		sort.Strings(wantF)
		nodes, places, failed := pacemakerView(res)
		ok := true
		if !reflect.DeepEqual(nodes, exp.Initial.Nodes) {
			t.Errorf("Import(%s) nodes = %v, want %v", name, nodes, exp.Initial.Nodes)
			ok = false
		}
		if strings.Join(places, " ") != strings.Join(wantP, " ") {
			t.Errorf("Import(%s) placements = %v, want %v", name, places, wantP)
			ok = false
		}
		if strings.Join(failed, " ") != strings.Join(wantF, " ") {
			t.Errorf("Import(%s) failed = %v, want %v", name, failed, wantF)
			ok = false
		}
		if ok {
			match++
		}
	}
	t.Logf("initial state matches in %d of %d cases", match, len(cases))
	if match != len(cases) {
		t.Errorf("initial state matches in %d of %d cases, want all", match, len(cases))
	}
}
