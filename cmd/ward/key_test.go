package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ward-ha/ward/heartbeat"
)

func runKey(args ...string) (string, error) {
	c := newKeyCmd()
	var out bytes.Buffer
	c.SetOut(&out)
	c.SetErr(&out)
	c.SetArgs(args)
	err := c.Execute()
	return out.String(), err
}

func TestKeyGenerate(t *testing.T) {
	path := filepath.Join(t.TempDir(), "etc", "ward.key")
	out, err := runKey("generate", "--out", path)
	if err != nil || !strings.Contains(out, path) {
		t.Fatalf("ward key generate --out %s = %q, %v", path, out, err)
	}
	fi, err := os.Stat(path)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("key file mode = %v, %v, want 0600", fi.Mode(), err)
	}
	kr, err := heartbeat.LoadKeyFile(path)
	if err != nil || len(kr.Primary) != heartbeat.KeySize {
		t.Fatalf("LoadKeyFile(generated) = %d-byte key, %v", len(kr.Primary), err)
	}
	before, _ := os.ReadFile(path)
	if _, err := runKey("generate", "--out", path); err == nil || !strings.Contains(err.Error(), "--force") {
		t.Fatalf("ward key generate over an existing file = %v, want a refusal naming --force", err)
	}
	if after, _ := os.ReadFile(path); !bytes.Equal(before, after) {
		t.Fatalf("refused generate changed the key file")
	}
	out, err = runKey("generate", "--out", path, "--force", "-o", "json")
	if err != nil {
		t.Fatalf("ward key generate --force = %v", err)
	}
	var res map[string]any
	if err := json.Unmarshal([]byte(out), &res); err != nil || res["path"] != path {
		t.Errorf("ward key generate -o json = %q (%v), want {\"path\": %q...}", out, err, path)
	}
	if after, _ := os.ReadFile(path); bytes.Equal(before, after) {
		t.Errorf("generate --force did not replace the key")
	}
}

func TestKeyGenerateStdout(t *testing.T) {
	out, err := runKey("generate", "--out", "-")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := heartbeat.ParseKeyFile("stdout", []byte(out)); err != nil {
		t.Errorf("ward key generate --out - printed %q: %v", out, err)
	}
}

func TestKeyUsage(t *testing.T) {
	var ue *usageError
	for _, args := range [][]string{{}, {"generate", "extra"}, {"generate", "-o", "yaml", "--out", "-"},
		{"use"}, {"use", "not-a-fingerprint"}, {"remove", "0123456789abcdef", "extra"}, {"install"},
		{"install", "/k", "--fingerprint", "0123456789abcdef"}, {"rotate", "--local"}, {"rotate", "extra"},
		{"list", "-o", "yaml"}, {"fingerprint"}} {
		_, err := runKey(args...)
		if err == nil || !asUsage(err, &ue) {
			t.Errorf("ward key %v = %v, want a usage error", args, err)
		}
	}
}

func asUsage(err error, target **usageError) bool {
	u, ok := err.(*usageError)
	if ok {
		*target = u
	}
	return ok
}

func TestKeyFingerprintCmd(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ward.key")
	k1, _ := heartbeat.GenerateKey()
	k2, _ := heartbeat.GenerateKey()
	if err := heartbeat.WriteKeyFile(path, false, k1, k2); err != nil {
		t.Fatal(err)
	}
	out, err := runKey("fingerprint", path)
	want := heartbeat.Fingerprint(k1) + "  primary: encrypts and decrypts\n" + heartbeat.Fingerprint(k2) + "  decrypts\n"
	if err != nil || out != want {
		t.Errorf("ward key fingerprint = %q, %v; want %q", out, err, want)
	}
	os.Chmod(path, 0o644)
	if _, err := runKey("fingerprint", path); err == nil || !strings.Contains(err.Error(), "chmod 600") {
		t.Errorf("ward key fingerprint of a 0644 file = %v, want a refusal", err)
	}
}

func TestKeyCmdsUnreachableDaemon(t *testing.T) {
	sock := filepath.Join(t.TempDir(), "none.sock")
	for _, args := range [][]string{{"list"}, {"list", "--local"}, {"use", "0123456789abcdef"}, {"rotate"}} {
		_, err := runKey(append(args, "--socket", sock)...)
		var ee *exitError
		if !errors.As(err, &ee) || ee.code != 1 || !strings.Contains(ee.msg, "cannot reach the ward daemon") {
			t.Errorf("ward key %v with no daemon = %v, want exit 1 naming the daemon", args, err)
		}
	}
}
