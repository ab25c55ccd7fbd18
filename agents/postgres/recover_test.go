package postgres

import "testing"

func TestParseClusterState(t *testing.T) {
	out := "pg_control version number:            1300\nDatabase cluster state:               in archive recovery\npg_control last modified:             Thu 26 Nov 2026\n"
	got, err := parseClusterState(out)
	if err != nil || got != "in archive recovery" {
		t.Errorf("parseClusterState(...) = %q, %v, want \"in archive recovery\", nil", got, err)
	}
	if _, err := parseClusterState("garbage"); err == nil {
		t.Errorf("parseClusterState(garbage) = nil error, want an error")
	}
}
