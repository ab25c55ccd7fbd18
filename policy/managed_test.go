package policy

import "testing"

func TestConfigManaged(t *testing.T) {
	src := `[cluster]
name = "c"
stonith_enabled = false
[[node]]
name = "n1"
addresses = ["10.0.0.1"]
[[primitive]]
id = "a"
agent = "dummy"
[[primitive]]
id = "b"
agent = "dummy"
is_managed = false
[[primitive]]
id = "c1"
agent = "dummy"
[[group]]
id = "g"
members = ["c1"]
is_managed = false
[[primitive]]
id = "d"
agent = "dummy"
[[clone]]
id = "d-clone"
resource = "d"
is_managed = false
`
	cfg, err := Parse("m.toml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	for id, want := range map[string]bool{"a": true, "b": false, "c1": false, "g": false, "d": false, "d:1": false, "d-clone": false} {
		if got := cfg.Managed(id); got != want {
			t.Errorf("Managed(%q) = %t, want %t", id, got, want)
		}
	}
	cfg.Cluster.Maintenance = true
	if cfg.Managed("a") {
		t.Errorf("Managed(a) in cluster maintenance = true, want false")
	}
	cfg.Cluster.Maintenance = false
	f := false
	cfg.Cluster.ResourceDefaults.IsManaged = &f
	if cfg.Managed("a") {
		t.Errorf("Managed(a) with resource_defaults.is_managed = false = true, want false")
	}
}
