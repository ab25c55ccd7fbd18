package heartbeat

import (
	"bufio"
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
)

// DefaultKeyFile is where the agent looks for the gossip key.
const DefaultKeyFile = "/etc/ward/ward.key"

// KeySize is the size of keys GenerateKey makes (AES-256).
const KeySize = 32

// maxKeyFile bounds a key file.
const maxKeyFile = 64 << 10

// Keyring is the gossip encryption keys: Primary encrypts, every key
// (Primary included) decrypts, so keys can be rotated without downtime.
type Keyring struct {
	Primary []byte
	Others  [][]byte
}

// GenerateKey returns a new random AES-256 key.
func GenerateKey() ([]byte, error) {
	k := make([]byte, KeySize)
	if _, err := rand.Read(k); err != nil {
		return nil, fmt.Errorf("heartbeat: generate key: %w", err)
	}
	return k, nil
}

// EncodeKeyFile renders keys as a key file: one base64 key per line,
// the first being the primary.
func EncodeKeyFile(keys ...[]byte) []byte {
	var b bytes.Buffer
	b.WriteString("# ward gossip key (base64, AES); the first key encrypts, all decrypt\n")
	for _, k := range keys {
		b.WriteString(base64.StdEncoding.EncodeToString(k))
		b.WriteByte('\n')
	}
	return b.Bytes()
}

// ParseKeyFile parses a key file's content. name is used in errors.
// Lines are base64 keys of 16, 24 or 32 bytes; blank lines and lines
// starting with # are ignored; the first key is the primary.
func ParseKeyFile(name string, data []byte) (Keyring, error) {
	var kr Keyring
	if len(data) > maxKeyFile {
		return kr, fmt.Errorf("heartbeat: key file %s is %d bytes; a key file is a few base64 lines", name, len(data))
	}
	sc := bufio.NewScanner(bytes.NewReader(data))
	line := 0
	for sc.Scan() {
		line++
		s := strings.TrimSpace(sc.Text())
		if s == "" || strings.HasPrefix(s, "#") {
			continue
		}
		k, err := base64.StdEncoding.DecodeString(s)
		if err != nil {
			return Keyring{}, fmt.Errorf("heartbeat: key file %s:%d: not base64 (make a key with `ward key generate`)", name, line)
		}
		if n := len(k); n != 16 && n != 24 && n != 32 {
			return Keyring{}, fmt.Errorf("heartbeat: key file %s:%d: key is %d bytes, want 16, 24 or 32", name, line, n)
		}
		if kr.Primary == nil {
			kr.Primary = k
		} else {
			kr.Others = append(kr.Others, k)
		}
	}
	if err := sc.Err(); err != nil {
		return Keyring{}, fmt.Errorf("heartbeat: key file %s: %w", name, err)
	}
	if kr.Primary == nil {
		return Keyring{}, fmt.Errorf("heartbeat: key file %s holds no key (make one with `ward key generate --out %s --force`)", name, name)
	}
	return kr, nil
}

// LoadKeyFile reads the key file at path. The file must be a regular file
// that only its owner can read or write (mode 0600 or 0400), owned by
// root or by this process's user: anyone who reads the key can join the
// cluster and speak for any node.
func LoadKeyFile(path string) (Keyring, error) {
	fi, err := os.Stat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return Keyring{}, fmt.Errorf("heartbeat: key file %s does not exist: make one on one node with `ward key generate --out %s` and copy it to every node (mode 0600)", path, path)
	}
	if err != nil {
		return Keyring{}, fmt.Errorf("heartbeat: key file: %w", err)
	}
	if !fi.Mode().IsRegular() {
		return Keyring{}, fmt.Errorf("heartbeat: key file %s is not a regular file", path)
	}
	if perm := fi.Mode().Perm(); perm&0o077 != 0 {
		return Keyring{}, fmt.Errorf("heartbeat: key file %s has mode %04o: others can read the cluster key; refusing to start. Run `chmod 600 %s` (and consider the key leaked: rotate it)", path, perm, path)
	}
	if st, ok := fi.Sys().(*syscall.Stat_t); ok && st.Uid != 0 && int(st.Uid) != os.Geteuid() {
		return Keyring{}, fmt.Errorf("heartbeat: key file %s is owned by uid %d, neither root nor this process (uid %d): that user can read and replace the cluster key; refusing to start. Run `chown root:root %s` (or make it the daemon's user's)", path, st.Uid, os.Geteuid(), path)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return Keyring{}, fmt.Errorf("heartbeat: key file: %w", err)
	}
	return ParseKeyFile(path, data)
}

// WriteKeyFile writes keys to path with mode 0600, creating the parent
// directory (mode 0700) if needed. It refuses to replace an existing file
// unless force is set; a forced write replaces the file atomically.
func WriteKeyFile(path string, force bool, keys ...[]byte) error {
	if len(keys) == 0 {
		return errors.New("heartbeat: write key file: no key")
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return fmt.Errorf("heartbeat: write key file: %w", err)
	}
	if _, err := os.Lstat(path); err == nil && !force {
		return fmt.Errorf("heartbeat: key file %s already exists; refusing to overwrite it (every node must hold the same key: use --force to replace it, then copy it to every node)", path)
	}
	f, err := os.CreateTemp(filepath.Dir(path), ".key-")
	if err != nil {
		return fmt.Errorf("heartbeat: write key file: %w", err)
	}
	tmp := f.Name()
	defer os.Remove(tmp) // fails harmlessly after the rename
	if err := f.Chmod(0o600); err != nil {
		f.Close()
		return fmt.Errorf("heartbeat: write key file: %w", err)
	}
	if _, err := f.Write(EncodeKeyFile(keys...)); err != nil {
		f.Close()
		return fmt.Errorf("heartbeat: write key file: %w", err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("heartbeat: write key file: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("heartbeat: write key file: %w", err)
	}
	if !force {
		// Link fails if the file appeared meanwhile: never overwrite.
		if err := os.Link(tmp, path); err != nil {
			return fmt.Errorf("heartbeat: write key file %s: %w", path, err)
		}
		return syncDir(filepath.Dir(path))
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("heartbeat: write key file: %w", err)
	}
	return syncDir(filepath.Dir(path))
}

// RewriteKeyFile replaces the key file at path with keys (the primary
// first), atomically and with mode 0600: a crash leaves the old file or
// the new one, never a mix. When path is a symbolic link, the file it
// points to is replaced.
func RewriteKeyFile(path string, keys ...[]byte) error {
	if real, err := filepath.EvalSymlinks(path); err == nil {
		path = real
	}
	return WriteKeyFile(path, true, keys...)
}

// syncDir makes a rename or link in dir durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("heartbeat: write key file: %w", err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("heartbeat: write key file: sync %s: %w", dir, err)
	}
	return nil
}
