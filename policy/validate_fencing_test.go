package policy

import (
	"strings"
	"testing"
)

// TestValidateWatchdogWithTwoNode: the watchdog plugin is refused under
// two_node (each lone node stays quorate, so both would self-decide),
// with the file and line of the device's plugin; without two_node (a
// witness gives the quorum) it is accepted.
func TestValidateWatchdogWithTwoNode(t *testing.T) {
	src := `[cluster]
name = "pair"
two_node = true
watchdog_timeout = "10s"

[[node]]
name = "n1"
addresses = ["10.0.0.1"]

[[node]]
name = "n2"
addresses = ["10.0.0.2"]

[[fencing.device]]
id = "wd"
plugin = "watchdog"
nodes = ["n1", "n2"]
`
	_, err := Parse("pair.toml", []byte(src))
	if err == nil || !strings.Contains(err.Error(), "pair.toml:16") || !strings.Contains(err.Error(), "two_node") || !strings.Contains(err.Error(), "witness") {
		t.Fatalf("Parse(watchdog + two_node) = %v, want an error at pair.toml:16 naming two_node and the witness", err)
	}
	if _, err := Parse("pair.toml", []byte(strings.Replace(src, "two_node = true\n", "", 1))); err != nil {
		t.Fatalf("Parse(watchdog without two_node) = %v, want nil", err)
	}
}

// TestValidateWitness: cluster.witness is a host:port, and excludes
// two_node (the witness is the third vote).
func TestValidateWitness(t *testing.T) {
	base := `[cluster]
name = "pair"
stonith_enabled = false
WITNESS

[[node]]
name = "n1"
addresses = ["10.0.0.1"]

[[node]]
name = "n2"
addresses = ["10.0.0.2"]
`
	for _, tc := range []struct{ line, want string }{
		{`witness = "192.0.2.10:7947"`, ""},
		{`witness = "[2001:db8::1]:7947"`, ""},
		{`witness = "witness.example.org:7947"`, ""},
		{`witness = "192.0.2.10"`, "pair.toml:4: cluster.witness: witness \"192.0.2.10\" has no port"},
		{`witness = "no such host:1"`, "pair.toml:4: cluster.witness: address"},
		{"witness = \"192.0.2.10:7947\"\ntwo_node = true", "pair.toml:5: cluster.two_node: two_node = true and a witness exclude each other"},
	} {
		_, err := Parse("pair.toml", []byte(strings.Replace(base, "WITNESS", tc.line, 1)))
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("Parse(%s) = %v, want nil", tc.line, err)
		case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
			t.Errorf("Parse(%s) = %v, want an error containing %q", tc.line, err, tc.want)
		}
	}
}
