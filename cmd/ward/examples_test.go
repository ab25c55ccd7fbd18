package main

import (
	"path/filepath"
	"testing"
)

// TestExamplesCheck runs `ward policy check` on every examples/*.toml: a
// shipped example must always be a valid policy, and `ward policy show`
// of it must be one too.
func TestExamplesCheck(t *testing.T) {
	files, err := filepath.Glob("../../examples/*.toml")
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			if code, out, errs := runWard(t, "policy", "check", f); code != 0 {
				t.Fatalf("ward policy check %s = %d\n%s%s", f, code, out, errs)
			}
			code, out, errs := runWard(t, "policy", "show", f)
			if code != 0 {
				t.Fatalf("ward policy show %s = %d\n%s", f, code, errs)
			}
			shown := writeFile(t, t.TempDir(), filepath.Base(f), out)
			if code, out, errs := runWard(t, "policy", "check", shown); code != 0 {
				t.Errorf("ward policy check (show %s) = %d\n%s%s", f, code, out, errs)
			}
		})
	}
}
