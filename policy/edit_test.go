package policy

import (
	"strings"
	"testing"
)

const editSrc = `# the cluster
[cluster]
name = "c"
stonith_enabled = false
maintenance = false # was on last week

[cluster.op_defaults]
timeout = "30s"

[[node]]
name = "n1"
addresses = ["10.0.0.1"]

[[node]]
name = "n2"
addresses = ["10.0.0.2"]

[[primitive]]
id = "vip"   # the service address
agent = "dummy"

[[primitive.op]]
name = "monitor"
interval = "5s"

[[location]]
id = "cli-prefer-vip"
resource = "vip"
node = "n2"
score = "INFINITY"

# db stays on fast nodes
[[location]]
id = "db-fast"
resource = "vip"
node = "n1"
score = "50"
`

func edited(t *testing.T, src string, f func(e *Editor) error) string {
	t.Helper()
	e := NewEditor([]byte(src))
	if err := f(e); err != nil {
		t.Fatal(err)
	}
	out, err := e.Bytes()
	if err != nil {
		t.Fatal(err)
	}
	return string(out)
}

func TestEditorRemoveTableKeepsTheNextOnesComment(t *testing.T) {
	got := edited(t, editSrc, func(e *Editor) error { return e.RemoveTable("location[0]") })
	want := strings.Replace(editSrc, "\n[[location]]\nid = \"cli-prefer-vip\"\nresource = \"vip\"\nnode = \"n2\"\nscore = \"INFINITY\"\n", "", 1)
	if got != want {
		t.Errorf("RemoveTable(location[0]) =\n%s\nwant\n%s", got, want)
	}
	got = edited(t, editSrc, func(e *Editor) error { return e.RemoveTable("location[1]") })
	if strings.Contains(got, "db-fast") || !strings.Contains(got, "# db stays on fast nodes\n") || !strings.Contains(got, "cli-prefer-vip") {
		t.Errorf("RemoveTable(location[1]) =\n%s\nwant db-fast gone, the rest (its comment too) kept", got)
	}
}

func TestEditorSetKey(t *testing.T) {
	got := edited(t, editSrc, func(e *Editor) error { return e.SetKey("cluster", "maintenance", "true") })
	if want := strings.Replace(editSrc, "maintenance = false # was on last week\n", "maintenance = true\n", 1); got != want {
		t.Errorf("SetKey(cluster.maintenance) replacing =\n%s\nwant\n%s", got, want)
	}
	got = edited(t, editSrc, func(e *Editor) error { return e.SetKey("primitive[0]", "target_role", `"Stopped"`) })
	if want := strings.Replace(editSrc, "agent = \"dummy\"\n", "agent = \"dummy\"\ntarget_role = \"Stopped\"\n", 1); got != want {
		t.Errorf("SetKey(primitive[0].target_role) inserting =\n%s\nwant\n%s", got, want)
	}
	got = edited(t, editSrc, func(e *Editor) error { return e.SetKey("cluster", "maintenance", "") })
	if want := strings.Replace(editSrc, "maintenance = false # was on last week\n", "", 1); got != want {
		t.Errorf("SetKey(cluster.maintenance, \"\") removing =\n%s\nwant\n%s", got, want)
	}
	if got := edited(t, editSrc, func(e *Editor) error { return e.SetKey("primitive[0]", "target_role", "") }); got != editSrc {
		t.Errorf("removing an absent key changed the text:\n%s", got)
	}
}

func TestEditorAppendAndRoundTrip(t *testing.T) {
	inf := Infinity
	loc, err := LocationTOML(Location{ID: "cli-ban-vip-on-n1", Resource: "vip", Node: "n1", Score: &inf})
	if err != nil {
		t.Fatal(err)
	}
	got := edited(t, editSrc, func(e *Editor) error {
		if err := e.RemoveTable("location[0]"); err != nil {
			return err
		}
		e.Append(loc)
		return nil
	})
	if !strings.HasPrefix(got, "# the cluster\n") || !strings.HasSuffix(got, "score = \"50\"\n\n"+loc) {
		t.Errorf("remove and append =\n%s", got)
	}
	cfg, err := Parse("edited.toml", []byte(got))
	if err != nil {
		t.Fatalf("the edited text does not load: %v", err)
	}
	if n := len(cfg.Locations); n != 2 || cfg.Locations[1].ID != "cli-ban-vip-on-n1" {
		t.Errorf("locations after the edit = %+v", cfg.Locations)
	}
}

func TestEditorRefusesWhatItDoesNotUnderstand(t *testing.T) {
	inline := "[cluster]\nname = \"c\"\nlocation = [{id = \"a\", resource = \"r\", node = \"n\", score = \"1\"}]\n"
	if err := NewEditor([]byte(inline)).RemoveTable("location[0]"); err == nil {
		t.Errorf("RemoveTable of an inline table = nil, want an error")
	}
	multi := "[[primitive]]\nid = \"x\"\ntarget_role = \"\"\"\nStopped\"\"\"\n"
	if err := NewEditor([]byte(multi)).SetKey("primitive[0]", "target_role", `"Started"`); err == nil {
		t.Errorf("SetKey over a multi-line value = nil, want an error")
	}
	if err := NewEditor([]byte(editSrc)).SetKey("group[0]", "target_role", `"Stopped"`); err == nil {
		t.Errorf("SetKey in a table that is not there = nil, want an error")
	}
	e := NewEditor([]byte(editSrc))
	_ = e.SetKey("cluster", "maintenance", "true")
	_ = e.SetKey("cluster", "maintenance", "false")
	if _, err := e.Bytes(); err == nil {
		t.Errorf("two edits of one line = nil error, want one")
	}
}

// FuzzEditor: whatever the text, the editor returns an error or text,
// never panics.
func FuzzEditor(f *testing.F) {
	f.Add(editSrc)
	f.Add("[[location]]")
	f.Add("[cluster]\nmaintenance = ")
	f.Add("[[location]]\n[[location]]\n# x\n[[primitive]]\nid=1")
	f.Fuzz(func(t *testing.T, src string) {
		e := NewEditor([]byte(src))
		_ = e.RemoveTable("location[0]")
		_ = e.RemoveTable("location[1]")
		_ = e.SetKey("cluster", "maintenance", "true")
		_ = e.SetKey("primitive[0]", "target_role", `"Stopped"`)
		_ = e.SetKey("primitive[1]", "target_role", "")
		e.Append("[[location]]\nid = \"z\"\n")
		_, _ = e.Bytes()
	})
}
