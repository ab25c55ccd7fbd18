package heartbeat

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestKeyFileRoundTrip(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sub", "ward.key")
	k1, _ := GenerateKey()
	k2, _ := GenerateKey()
	if err := WriteKeyFile(path, false, k1, k2); err != nil {
		t.Fatalf("WriteKeyFile = %v", err)
	}
	fi, err := os.Stat(path)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("key file mode = %v (%v), want 0600", fi.Mode(), err)
	}
	kr, err := LoadKeyFile(path)
	if err != nil || !bytes.Equal(kr.Primary, k1) || len(kr.Others) != 1 || !bytes.Equal(kr.Others[0], k2) {
		t.Fatalf("LoadKeyFile = %+v, %v, want primary k1 and k2", kr, err)
	}
}

func TestWriteKeyFileRefusesOverwrite(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ward.key")
	k1, _ := GenerateKey()
	k2, _ := GenerateKey()
	if err := WriteKeyFile(path, false, k1); err != nil {
		t.Fatal(err)
	}
	err := WriteKeyFile(path, false, k2)
	if err == nil || !strings.Contains(err.Error(), "--force") {
		t.Fatalf("WriteKeyFile over an existing file = %v, want a refusal naming --force", err)
	}
	if kr, _ := LoadKeyFile(path); !bytes.Equal(kr.Primary, k1) {
		t.Fatalf("refused overwrite changed the key")
	}
	if err := WriteKeyFile(path, true, k2); err != nil {
		t.Fatalf("WriteKeyFile(force) = %v", err)
	}
	if kr, _ := LoadKeyFile(path); !bytes.Equal(kr.Primary, k2) {
		t.Fatalf("forced overwrite did not replace the key")
	}
	if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o600 {
		t.Errorf("forced key file mode = %v, want 0600", fi.Mode())
	}
	left, _ := filepath.Glob(filepath.Join(filepath.Dir(path), ".key-*"))
	if len(left) != 0 {
		t.Errorf("temporary files left: %v", left)
	}
}

func TestLoadKeyFileRefusesOpenMode(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ward.key")
	k, _ := GenerateKey()
	if err := os.WriteFile(path, EncodeKeyFile(k), 0o644); err != nil {
		t.Fatal(err)
	}
	os.Chmod(path, 0o644)
	_, err := LoadKeyFile(path)
	if err == nil || !strings.Contains(err.Error(), "chmod 600 "+path) || !strings.Contains(err.Error(), "0644") {
		t.Fatalf("LoadKeyFile(mode 0644) = %v, want a refusal with the chmod fix", err)
	}
	// New refuses to start with it too.
	_, err = New(Config{ClusterName: "c", Self: "n1", Nodes: specs(1, 1), Timing: testTiming(), KeyFile: path})
	if err == nil || !strings.Contains(err.Error(), "chmod 600") {
		t.Fatalf("New with a 0644 key file = %v, want a refusal", err)
	}
	os.Chmod(path, 0o400)
	if _, err := LoadKeyFile(path); err != nil {
		t.Errorf("LoadKeyFile(mode 0400) = %v, want nil", err)
	}
}

func TestLoadKeyFileErrors(t *testing.T) {
	dir := t.TempDir()
	if _, err := LoadKeyFile(filepath.Join(dir, "missing")); err == nil || !strings.Contains(err.Error(), "ward key generate") {
		t.Errorf("LoadKeyFile(missing) = %v, want an error naming ward key generate", err)
	}
	for _, tc := range []struct{ content, want string }{
		{"", "holds no key"},
		{"# only a comment\n\n", "holds no key"},
		{"not base64!\n", ":1: not base64"},
		{"# c\nAAAA\n", ":2: key is 3 bytes"},
	} {
		_, err := ParseKeyFile("k", []byte(tc.content))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("ParseKeyFile(%q) = %v, want an error containing %q", tc.content, err, tc.want)
		}
	}
	if err := WriteKeyFile(filepath.Join(dir, "k"), false); err == nil {
		t.Errorf("WriteKeyFile(no key) = nil, want an error")
	}
}

func FuzzParseKeyFile(f *testing.F) {
	k, _ := GenerateKey()
	f.Add(EncodeKeyFile(k))
	f.Add([]byte("# x\n\nAAAAAAAAAAAAAAAAAAAAAA==\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		kr, err := ParseKeyFile("fuzz", b)
		if err != nil {
			return
		}
		if n := len(kr.Primary); n != 16 && n != 24 && n != 32 {
			t.Fatalf("ParseKeyFile accepted a %d-byte primary key", n)
		}
	})
}
