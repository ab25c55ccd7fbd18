package cib

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ward-ha/ward/policy"
)

// TestImportCorpusPolicyLoads checks that the policy written for every
// corpus case passes ward's loader.
func TestImportCorpusPolicyLoads(t *testing.T) {
	dir := corpusDir(t)
	cases, _ := filepath.Glob(filepath.Join(dir, "cases", "*.xml"))
	if len(cases) == 0 {
		t.Fatalf("no cases in %s", dir)
	}
	ok := 0
	for _, c := range cases {
		name := strings.TrimSuffix(filepath.Base(c), ".xml")
		data, err := os.ReadFile(c)
		if err != nil {
			t.Fatal(err)
		}
		res, err := Import(name+".xml", data, Options{})
		if err != nil {
			t.Errorf("Import(%s) error %v", name, err)
			continue
		}
		var b bytes.Buffer
		if err := res.WritePolicy(&b); err != nil {
			t.Errorf("WritePolicy(%s) error %v", name, err)
			continue
		}
		if _, err := policy.Parse(name+"/policy.toml", b.Bytes()); err != nil {
			t.Errorf("policy.Parse(import of %s) error:\n%v\n--- policy.toml:\n%s", name, err, b.String())
			continue
		}
		ok++
	}
	t.Logf("%d of %d imported policies load", ok, len(cases))
}
