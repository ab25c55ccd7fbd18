package heartbeat

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestSecurityKeyFileChecks: the key file must be a regular file that
// neither the group nor others may read or write, owned by root or the
// daemon's user.
func TestSecurityKeyFileChecks(t *testing.T) {
	dir := t.TempDir()
	k, _ := GenerateKey()
	path := filepath.Join(dir, "ward.key")
	if err := WriteKeyFile(path, false, k); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		mode os.FileMode
		want string // "" accepted
	}{
		{0o600, ""}, {0o400, ""}, {0o640, "0640"}, {0o620, "0620"}, {0o604, "0604"}, {0o602, "0602"}, {0o644, "0644"}, {0o666, "0666"},
	} {
		if err := os.Chmod(path, tc.mode); err != nil {
			t.Fatal(err)
		}
		_, err := LoadKeyFile(path)
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("LoadKeyFile(mode %04o) = %v, want nil", tc.mode, err)
		case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "chmod 600")):
			t.Errorf("LoadKeyFile(mode %04o) = %v, want a refusal naming the mode and the fix", tc.mode, err)
		}
	}
	os.Chmod(path, 0o600)
	if _, err := LoadKeyFile(dir); err == nil || !strings.Contains(err.Error(), "not a regular file") {
		t.Errorf("LoadKeyFile(a folder) = %v, want not a regular file", err)
	}
	if os.Geteuid() == 0 {
		// Owned by another user: refused (root can give it away).
		if err := os.Chown(path, 4242, 4242); err != nil {
			t.Fatal(err)
		}
		if _, err := LoadKeyFile(path); err == nil || !strings.Contains(err.Error(), "uid 4242") {
			t.Errorf("LoadKeyFile(owned by uid 4242) = %v, want a refusal naming the owner", err)
		}
		os.Chown(path, 0, 0)
	}
	// A rewritten key file (rotation) is 0600 whatever the old mode was,
	// and replaces the target of a symbolic link.
	os.Chmod(path, 0o400)
	link := filepath.Join(dir, "link.key")
	if err := os.Symlink(path, link); err != nil {
		t.Fatal(err)
	}
	k2, _ := GenerateKey()
	if err := RewriteKeyFile(link, k2, k); err != nil {
		t.Fatalf("RewriteKeyFile(through a link) = %v", err)
	}
	if fi, err := os.Lstat(link); err != nil || fi.Mode()&os.ModeSymlink == 0 {
		t.Errorf("RewriteKeyFile replaced the symbolic link itself (%v, %v)", fi.Mode(), err)
	}
	fi, err := os.Stat(path)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("rewritten key file mode = %v (%v), want 0600", fi.Mode().Perm(), err)
	}
	if kr, err := LoadKeyFile(path); err != nil || Fingerprint(kr.Primary) != Fingerprint(k2) || len(kr.Others) != 1 {
		t.Errorf("rewritten key file = %v, %v; want k2 then k", fingerprints(kr.Keys()), err)
	}
}
