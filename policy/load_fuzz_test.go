package policy

import (
	"os"
	"path/filepath"
	"testing"
)

// FuzzLoad feeds arbitrary bytes to Parse: it must never panic, and a
// policy it accepts must write out (show) and load again.
func FuzzLoad(f *testing.F) {
	seeds, _ := filepath.Glob("testdata/load/*.toml")
	examples, _ := filepath.Glob("../examples/*.toml")
	for _, p := range append(seeds, examples...) {
		data, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add([]byte("a = [[[[[[[[\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := Parse("fuzz.toml", data)
		if err != nil {
			_ = err.Error()
			return
		}
		roundTrip(t, "fuzz.toml", c.Redacted())
	})
}
