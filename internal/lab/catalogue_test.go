package lab

import (
	"strings"
	"testing"

	"github.com/ward-ha/ward/policy"
)

// TestCatalogueNames checks that the catalogue's names are
// unique and that it covers at least 15 scenarios.
func TestCatalogueNames(t *testing.T) {
	seen := map[string]bool{}
	for _, sc := range Catalogue() {
		if seen[sc.Name] {
			t.Errorf("Catalogue() has %q twice", sc.Name)
		}
		seen[sc.Name] = true
		if sc.Fault == "" || sc.Expect == "" || sc.Proves == "" || sc.Run == nil {
			t.Errorf("Catalogue() entry %q lacks a fault, an expectation, a proof or a Run", sc.Name)
		}
	}
	if len(seen) < 15 {
		t.Errorf("Catalogue() has %d scenarios, want at least 15", len(seen))
	}
}

func TestFindScenarios(t *testing.T) {
	all := Catalogue()
	got, err := FindScenarios(all, []string{"vip-removed", "freeze-primary"})
	if err != nil || len(got) != 2 || got[0].Name != "vip-removed" || got[1].Name != "freeze-primary" {
		t.Errorf("FindScenarios(vip-removed,freeze-primary) = %d scenarios, %v, want those two", len(got), err)
	}
	if got, err := FindScenarios(all, nil); err != nil || len(got) != len(all) {
		t.Errorf("FindScenarios(nil) = %d scenarios, %v, want all %d", len(got), err, len(all))
	}
	_, err = FindScenarios(all, []string{"vip-removed", "no-such"})
	if err == nil || !strings.Contains(err.Error(), "no-such") || !strings.Contains(err.Error(), "vip-removed") {
		t.Errorf("FindScenarios(no-such) error = %v, want one naming no-such and the known scenarios", err)
	}
}

func TestFaultPolicy(t *testing.T) {
	l, err := New(Config{Dir: t.TempDir(), Prefix: "wardfcu-", Nodes: 3, Exe: "/bin/true"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	src, err := l.FaultPolicy(FaultPolicyOptions{PolicyOptions: PolicyOptions{Synchronous: true}, Canary: true, Alerts: true})
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{l.FenceFailDir(), "id = \"canary\"", "[[alert]]", l.alertScript()} {
		if !strings.Contains(src, want) && !strings.Contains(src, strings.ReplaceAll(want, "/", "\\/")) {
			t.Errorf("FaultPolicy() lacks %q", want)
		}
	}
	if _, err := policy.Parse("fault.toml", []byte(src)); err != nil {
		t.Errorf("FaultPolicy() does not validate: %v", err)
	}
	if _, err := l.FaultPolicy(FaultPolicyOptions{PolicyOptions: PolicyOptions{FencePlugin: "lab"}}); err == nil {
		t.Errorf("FaultPolicy(FencePlugin lab) = nil error, want a refusal (its devices cannot be made to fail)")
	}
}
