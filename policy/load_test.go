package policy

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func init() {
	// cockroachdb/datadriven registers -rewrite too; share it if present.
	if flag.Lookup("rewrite") == nil {
		flag.Bool("rewrite", false, "rewrite the golden files in testdata/load")
	}
}

func rewriteGolden() bool {
	f := flag.Lookup("rewrite")
	return f != nil && f.Value.String() == "true"
}

// formatLoadResult renders what `ward policy check` would print for one
// file: "ok ..." or every error with its source line and caret.
func formatLoadResult(c *Config, err error) string {
	if err == nil {
		return fmt.Sprintf("ok (%d nodes, %d resources, %d constraints)\n",
			len(c.Nodes), len(c.Primitives)+len(c.Groups)+len(c.Clones),
			len(c.Locations)+len(c.Colocations)+len(c.Orders))
	}
	var list ErrorList
	if !errors.As(err, &list) {
		return "unexpected error type: " + err.Error() + "\n"
	}
	var b strings.Builder
	for _, e := range list {
		b.WriteString(e.Error())
		b.WriteString("\n")
		b.WriteString(e.Snippet())
	}
	return b.String()
}

// checkGolden compares got with the file golden, or rewrites it.
func checkGolden(t *testing.T, golden, got string) {
	t.Helper()
	if rewriteGolden() {
		if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run go test ./policy -run Load -rewrite to create it)", err)
	}
	if got != string(want) {
		t.Errorf("Parse(%s) =\n%s\nwant\n%s", filepath.Base(golden), got, want)
	}
}

// TestLoadGolden loads every testdata/load/*.toml and compares the result
// with the sibling .golden file.
func TestLoadGolden(t *testing.T) {
	files, err := filepath.Glob("testdata/load/*.toml")
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatal("no testdata/load/*.toml")
	}
	for _, f := range files {
		t.Run(strings.TrimSuffix(filepath.Base(f), ".toml"), func(t *testing.T) {
			data, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			c, err := Parse(filepath.Base(f), data)
			got := formatLoadResult(c, err)
			if strings.Contains(got, "panic") || strings.Contains(got, "goroutine ") {
				t.Fatalf("Parse(%s) output mentions a panic:\n%s", f, got)
			}
			checkGolden(t, strings.TrimSuffix(f, ".toml")+".golden", got)
		})
	}
}
