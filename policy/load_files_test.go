package policy

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// loadErrors returns the ErrorList of a failed Load or Parse.
func loadErrors(t *testing.T, c *Config, err error) ErrorList {
	t.Helper()
	if err == nil {
		t.Fatalf("Load succeeded with %d nodes, want an error", len(c.Nodes))
	}
	var list ErrorList
	if !errors.As(err, &list) {
		t.Fatalf("error %T (%v) is not an ErrorList", err, err)
	}
	if len(list) == 0 {
		t.Fatal("empty ErrorList")
	}
	return list
}

func TestLoadFileErrors(t *testing.T) {
	dir := t.TempDir()
	plain := filepath.Join(dir, "plain.toml")
	if err := os.WriteFile(plain, []byte("x = 1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, path string
		want       string
		is         error
	}{
		{"missing", filepath.Join(dir, "nope.toml"), "nope.toml: cannot read the policy file: no such file or directory", fs.ErrNotExist},
		{"directory", dir, "is a directory, not a policy file", fs.ErrInvalid},
		{"under a file", filepath.Join(plain, "x.toml"), "cannot read the policy file: not a directory", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Load(tt.path)
			list := loadErrors(t, c, err)
			if got := list.Error(); !strings.Contains(got, tt.want) || !strings.HasPrefix(got, tt.path) {
				t.Errorf("Load(%s) = %q, want it to start with the path and contain %q", tt.path, got, tt.want)
			}
			if tt.is != nil && !errors.Is(err, tt.is) {
				t.Errorf("errors.Is(Load(%s), %v) = false, want true", tt.path, tt.is)
			}
		})
	}
}

func TestLoadPermissionDenied(t *testing.T) {
	if os.Geteuid() == 0 {
		// root reads any file: check the message shape on a read error instead.
		if got := osReason(&fs.PathError{Op: "open", Path: "p", Err: fs.ErrPermission}); got != "permission denied" {
			t.Errorf("osReason(permission) = %q, want %q", got, "permission denied")
		}
		return
	}
	p := filepath.Join(t.TempDir(), "secret.toml")
	if err := os.WriteFile(p, []byte("[cluster]\n"), 0o000); err != nil {
		t.Fatal(err)
	}
	c, err := Load(p)
	list := loadErrors(t, c, err)
	if !strings.Contains(list.Error(), "permission denied") || !errors.Is(err, fs.ErrPermission) {
		t.Errorf("Load(unreadable) = %v, want permission denied", err)
	}
}

func TestLoadTooLarge(t *testing.T) {
	data := []byte("# " + strings.Repeat("x", MaxFileSize) + "\n")
	p := filepath.Join(t.TempDir(), "huge.toml")
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, load := range []func() (*Config, error){
		func() (*Config, error) { return Load(p) },
		func() (*Config, error) { return Parse("huge.toml", data) },
	} {
		c, err := load()
		list := loadErrors(t, c, err)
		if !strings.Contains(list[0].Msg, "the limit is 16777216 (16 MiB)") {
			t.Errorf("Load(huge) = %v, want the size limit", err)
		}
	}
}

func TestLoadDeepNestingNeverRecurses(t *testing.T) {
	// A million unclosed brackets would overflow the TOML parser's stack.
	for _, open := range []string{"[", "{a="} {
		data := []byte("x = " + strings.Repeat(open, 1_000_000))
		c, err := Parse("deep.toml", data)
		list := loadErrors(t, c, err)
		if !strings.Contains(list[0].Msg, "nest more than 32 levels") || list[0].Line != 1 {
			t.Errorf("Parse(%q x 1e6) = %v, want a nesting error on line 1", open, err)
		}
	}
}

func TestLoadTooManyEntries(t *testing.T) {
	var b strings.Builder
	b.WriteString("[cluster]\nname = \"c\"\nstonith_enabled = false\n[[node]]\nname = \"n\"\naddresses = [")
	for i := 0; i <= maxEntries; i++ {
		b.WriteString(`"a",`)
	}
	b.WriteString("]\n")
	c, err := Parse("big.toml", []byte(b.String()))
	list := loadErrors(t, c, err)
	if len(list) != 1 || !strings.Contains(list[0].Msg, "has 100001 entries; the limit is 100000") || list[0].Line != 6 {
		t.Errorf("Parse(100001 addresses) = %v, want one entry-limit error on line 6", err)
	}
}

func TestLoadErrorCap(t *testing.T) {
	var b strings.Builder
	b.WriteString("[cluster]\nname = \"c\"\nstonith_enabled = false\n[[node]]\nname = \"n\"\naddresses = [\"10.0.0.1\"]\n")
	for i := 0; i < 150; i++ {
		b.WriteString("[[primitive]]\nid = \"p\"\nagent = \"dummy\"\nbogus = 1\n")
	}
	c, err := Parse("many.toml", []byte(b.String()))
	list := loadErrors(t, c, err)
	if len(list) != maxReportedErrors+1 {
		t.Fatalf("Parse(299 errors) gave %d errors, want %d", len(list), maxReportedErrors+1)
	}
	if last := list[len(list)-1].Error(); last != "many.toml: 199 more errors not shown; fix the ones above first" {
		t.Errorf("last error = %q", last)
	}
}

func TestLoadErrorsAreSortedAndComplete(t *testing.T) {
	// A type error early, an unknown key in the middle and a reference
	// error at the end: all three are reported, in line order.
	src := `[cluster]
name = "c"
stonith_enabled = false
[[node]]
name = "n"
addresses = ["10.0.0.1"]
votes = "x"
[[primitive]]
id = "p"
agent = "dummy"
stikiness = 1
[[location]]
id = "l"
resource = "p"
node = "m"
score = 1
`
	c, err := Parse("p.toml", []byte(src))
	list := loadErrors(t, c, err)
	var lines []int
	for _, e := range list {
		lines = append(lines, e.Line)
	}
	if len(list) != 3 || lines[0] != 7 || lines[1] != 11 || lines[2] != 15 {
		t.Errorf("Parse() errors on lines %v, want [7 11 15]:\n%v", lines, err)
	}
	if list[1].Path != "primitive[0].stikiness" || list[1].Where != `primitive "p": stikiness` {
		t.Errorf("error path = %q, where = %q", list[1].Path, list[1].Where)
	}
}

func TestLoadLimitsBeforeParsing(t *testing.T) {
	tests := []struct {
		name, src, want string
	}{
		{"dotted key", "a" + strings.Repeat(".b", 40) + " = 1\n", "a dotted key has more than 32 parts"},
		{"dotted header", "[a" + strings.Repeat(".b", 40) + "]\n", "a dotted key has more than 32 parts"},
		{"values", "x = [" + strings.Repeat("1,", maxValues+1) + "]\n", "more than 1000000 keys and array elements"},
		{"tables", strings.Repeat("[[primitive]]\n", maxTables+1), "more than 200000 tables"},
		{"inline tables", "x = [" + strings.Repeat("{},", maxTables+1) + "]\n", "more than 200000 tables"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Parse("big.toml", []byte(tt.src))
			list := loadErrors(t, c, err)
			if len(list) != 1 || !strings.Contains(list[0].Msg, tt.want) || list[0].Line == 0 {
				t.Errorf("Parse(%s) = %v, want one positioned error containing %q", tt.name, err, tt.want)
			}
		})
	}
	// Dots in values (floats, dates) and in strings do not count.
	src := "[cluster]\nname = \"c\"\nstonith_enabled = false\nx = \"" + strings.Repeat(".", 100) + "\"\n"
	if _, err := Parse("dots.toml", []byte(src)); err == nil || strings.Contains(err.Error(), "dotted key") {
		t.Errorf("Parse(dots in a string) = %v, want only the unknown key error", err)
	}
}

// BenchmarkLoad measures Parse on a generated policy with 1,000 nodes and
// 10,000 primitives (each with two ops and a location), 2,000 groups of
// two, and 1,000 colocations and orders.
func BenchmarkLoad(b *testing.B) {
	data := []byte(generatePolicy(1000, 10000))
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Parse("bench.toml", data); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkLoadExample measures Parse on examples/pg-pair.toml.
func BenchmarkLoadExample(b *testing.B) {
	data, err := os.ReadFile("../examples/pg-pair.toml")
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Parse("pg-pair.toml", data); err != nil {
			b.Fatal(err)
		}
	}
}

func generatePolicy(nodes, prims int) string {
	var b strings.Builder
	b.WriteString("[cluster]\nname = \"bench\"\n\n")
	for i := 0; i < nodes; i++ {
		fmt.Fprintf(&b, "[[node]]\nname = \"n%d\"\naddresses = [\"10.%d.%d.1\"]\nattributes = { rack = \"r%d\" }\n\n", i, i/250, i%250, i%10)
	}
	for i := 0; i < prims; i++ {
		fmt.Fprintf(&b, "[[primitive]]\nid = \"p%d\"\nagent = \"dummy\"\nparams = { x = \"%d\" }\nstickiness = 10\n", i, i)
		b.WriteString("[[primitive.op]]\nname = \"monitor\"\ninterval = \"10s\"\n[[primitive.op]]\nname = \"start\"\ntimeout = \"60s\"\n\n")
		fmt.Fprintf(&b, "[[location]]\nid = \"l%d\"\nresource = \"p%d\"\nrule = \"rack eq r%d\"\nscore = 10\n\n", i, i, i%10)
	}
	for i := 0; i+1 < prims && i < 4000; i += 2 {
		fmt.Fprintf(&b, "[[group]]\nid = \"g%d\"\nmembers = [\"p%d\", \"p%d\"]\n\n", i, i, i+1)
	}
	for i := 4000; i+1 < prims && i < 6000; i += 2 {
		fmt.Fprintf(&b, "[[colocation]]\nid = \"c%d\"\nresource = \"p%d\"\nwith = \"p%d\"\nscore = \"INFINITY\"\n\n", i, i+1, i)
		fmt.Fprintf(&b, "[[order]]\nid = \"o%d\"\nfirst = \"p%d\"\nthen = \"p%d\"\n\n", i, i, i+1)
	}
	b.WriteString("[[fencing.device]]\nid = \"lab\"\nplugin = \"lab\"\nnodes = [")
	for i := 0; i < nodes; i++ {
		fmt.Fprintf(&b, "\"n%d\",", i)
	}
	b.WriteString("]\n")
	return b.String()
}
