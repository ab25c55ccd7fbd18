package policy

import (
	"bytes"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// roundTrip writes c as TOML and loads the result again.
func roundTrip(t testing.TB, name string, c *Config) (*Config, string) {
	t.Helper()
	var out bytes.Buffer
	if err := c.WriteTOML(&out); err != nil {
		t.Fatalf("WriteTOML(%s) = %v", name, err)
	}
	d, err := Parse(name+".show", out.Bytes())
	if err != nil {
		t.Fatalf("Parse(WriteTOML(%s)) = %v\n%s", name, err, out.String())
	}
	return d, out.String()
}

// stripParsed clears the parsed rule expressions (pointers) for comparison.
func stripParsed(c *Config) *Config {
	c = c.clone()
	for i := range c.Locations {
		c.Locations[i].ParsedRules = nil
	}
	return c
}

func TestWriteTOMLRoundTrip(t *testing.T) {
	files, _ := filepath.Glob("../examples/*.toml")
	valid, _ := filepath.Glob("testdata/load/valid-*.toml")
	files = append(files, valid...)
	if len(valid) == 0 {
		t.Fatal("no testdata/load/valid-*.toml")
	}
	for _, f := range files {
		c, err := Load(f)
		if err != nil {
			t.Fatalf("Load(%s) = %v", f, err)
		}
		d, text := roundTrip(t, f, c)
		if !reflect.DeepEqual(stripParsed(c), stripParsed(d)) {
			t.Errorf("Load(WriteTOML(%s)) differs from Load(%s):\n%s", f, f, text)
		}
		for i := range c.Locations {
			if len(c.Locations[i].ParsedRules) != len(d.Locations[i].ParsedRules) {
				t.Errorf("%s: location %d: %d parsed rules after the round trip, want %d", f, i, len(d.Locations[i].ParsedRules), len(c.Locations[i].ParsedRules))
			}
		}
		_, again := roundTrip(t, f, d)
		if again != text {
			t.Errorf("WriteTOML(%s) is not stable:\n%s\nthen\n%s", f, text, again)
		}
	}
}

func TestWriteTOMLNormalizes(t *testing.T) {
	c := loadTestdata(t, "valid-full.toml")
	var out bytes.Buffer
	if err := c.WriteTOML(&out); err != nil {
		t.Fatal(err)
	}
	s := out.String()
	for _, want := range []string{
		`role = "Promoted"`, `role = "Unpromoted"`, // legacy Master/slave normalized
		`stonith_enabled = true`, `symmetric = true`, `wait_for_all = false`,
		`votes = 1`, `clone_node_max = 1`, `clone_max = 3`, `promoted_max = 1`,
		`kind = "mandatory"`, `timeout = "1m30s"`, `retries = 2`, `action = "reboot"`,
		`score = "INFINITY"`, `score = 50`,
	} {
		if !strings.Contains(s, want) {
			t.Errorf("WriteTOML(valid-full) lacks %s:\n%s", want, s)
		}
	}
	if strings.Contains(s, `"Master"`) || strings.Contains(s, `standby = false`) || strings.Contains(s, `path = ""`) {
		t.Errorf("WriteTOML(valid-full) writes legacy roles or empty values:\n%s", s)
	}
}

func TestDefaults(t *testing.T) {
	c := loadTestdata(t, "valid-minimal.toml")
	cl := c.Cluster
	if *cl.StonithEnabled || !*cl.Symmetric || cl.NoQuorumPolicy != NoQuorumStop || cl.PlacementStrategy != PlacementDefault ||
		cl.Timing != TimingLAN || *cl.WaitForAll || !*cl.StartFailureIsFatal || cl.OpDefaults.Timeout != DefaultOpTimeout {
		t.Errorf("cluster defaults = %+v", cl)
	}
	if *c.Nodes[0].Votes != 1 {
		t.Errorf("node votes = %d, want 1", *c.Nodes[0].Votes)
	}
	f := loadTestdata(t, "valid-full.toml")
	if o := f.Orders[0]; o.ThenAction != "start" || o.FirstAction != "promote" || !*o.Symmetric {
		t.Errorf("order defaults = %+v", o)
	}
	if s := f.Orders[1].Sets[0]; s.Action != "start" || !*s.RequireAll || *s.Sequential {
		t.Errorf("order set defaults = %+v", s)
	}
	if d := f.Fencing.Devices[0]; d.Action != "reboot" || d.Timeout != DefaultFenceTimeout || *d.Retries != DefaultFenceRetries {
		t.Errorf("fence device defaults = %+v", d)
	}
	if f.Alerts[0].Timeout != DefaultAlertTimeout {
		t.Errorf("alert timeout = %v", f.Alerts[0].Timeout)
	}
	ops := f.Primitives[0].Ops
	if ops[0].Timeout.String() != "30s" || ops[2].Timeout.String() != "1m30s" {
		t.Errorf("op timeouts = %v, %v; want 30s (op_defaults.timeout), 1m30s (op_defaults.timeouts.start)", ops[0].Timeout, ops[2].Timeout)
	}
	if g := f.Groups[0]; !*g.Ordered || !*g.Collocated {
		t.Errorf("group defaults = %+v", g)
	}
	if co := f.Colocations[0]; !*co.Influence {
		t.Errorf("colocation influence default = false")
	}
	if l := f.Locations[0]; len(l.ParsedRules) != 2 || l.ParsedRules[0].Role != RolePromoted || l.ParsedRules[0].Location.String() != "America/New_York" {
		t.Errorf("parsed rules = %+v", l.ParsedRules)
	}
}
