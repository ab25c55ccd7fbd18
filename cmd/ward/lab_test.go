package main

import (
	"bytes"
	"errors"
	"path/filepath"
	"strings"
	"testing"
)

func runLab(t *testing.T, args ...string) (string, error) {
	t.Helper()
	c := newLabCmd()
	var out bytes.Buffer
	c.SetOut(&out)
	c.SetErr(&out)
	c.SetArgs(args)
	err := c.Execute()
	return out.String(), err
}

func TestLabCmdUsage(t *testing.T) {
	for _, args := range [][]string{{"cut"}, {"freeze", "n1", "n2"}, {"x", "n1"}} {
		_, err := runLab(t, args...)
		var ue *usageError
		if !errors.As(err, &ue) {
			t.Errorf("ward lab %s = %v, want a usage error", strings.Join(args, " "), err)
		}
	}
}

func TestLabCmdNoLab(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "none")
	_, err := runLab(t, "status", "--dir", dir)
	if err == nil || !strings.Contains(err.Error(), "no lab in") && !strings.Contains(err.Error(), "needs root") {
		t.Errorf("ward lab status --dir %s = %v, want 'no lab in' (or 'needs root')", dir, err)
	}
}
