package heartbeat

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"

	"github.com/hashicorp/memberlist"
)

// This file changes the gossip keyring of a running node, for key
// rotation without downtime (docs/security.md). Every link shares one
// memberlist.Keyring: the primary key encrypts, every key decrypts. A
// change is written to the key file first (atomically, mode 0600), then
// applied in memory, so a daemon that restarts at any point comes back
// with the keyring it last acknowledged.
//
// Rotation is three steps, each done on every node before the next:
// install the new key (all decrypt it), use it (all encrypt with it, and
// every node can already read it), remove the old one (nobody sends it
// any more).

// ErrInsecure is returned by the keyring methods when gossip is not
// encrypted: encryption cannot be turned on without a restart.
var ErrInsecure = errors.New("heartbeat: gossip is not encrypted (insecure mode): there is no keyring to change; restart the daemon with a key file")

// fingerprintLen is the length of a fingerprint in hex characters.
const fingerprintLen = 16

// Fingerprint returns a short name for key that reveals nothing useful
// about it: the first 8 bytes of a domain-separated SHA-256, in hex. It
// is what logs, the API and the CLI show instead of the key.
func Fingerprint(key []byte) string {
	h := sha256.New()
	h.Write([]byte("ward gossip key fingerprint\x00"))
	h.Write(key)
	return hex.EncodeToString(h.Sum(nil))[:fingerprintLen]
}

// Keys returns every key of kr, the primary first.
func (kr Keyring) Keys() [][]byte {
	if kr.Primary == nil {
		return nil
	}
	return append([][]byte{kr.Primary}, kr.Others...)
}

// KeyringInfo describes a node's gossip keyring without its keys.
type KeyringInfo struct {
	// Encrypted is false in insecure mode (no keyring at all).
	Encrypted bool
	// KeyFile is the file the keyring is persisted to ("" when the keys
	// were given in memory).
	KeyFile string
	// Fingerprints of the keys, the primary (the one that encrypts)
	// first.
	Fingerprints []string
}

// KeyringInfo returns this node's keyring, as fingerprints.
func (c *Cluster) KeyringInfo() KeyringInfo {
	c.keyMu.Lock()
	defer c.keyMu.Unlock()
	info := KeyringInfo{KeyFile: c.persistedKeyFile()}
	ring, err := c.memberlistKeyringLocked()
	if ring == nil || err != nil {
		return info
	}
	info.Encrypted = true
	for _, k := range ring.GetKeys() {
		info.Fingerprints = append(info.Fingerprints, Fingerprint(k))
	}
	return info
}

// PrimaryKey returns a copy of the key this node encrypts with now (nil
// in insecure mode). A component that authenticates with the cluster key
// (the witness client) should call it for each request, to follow a
// rotation.
func (c *Cluster) PrimaryKey() []byte {
	c.keyMu.Lock()
	defer c.keyMu.Unlock()
	ring, err := c.memberlistKeyringLocked()
	if ring == nil || err != nil {
		return nil
	}
	return bytes.Clone(ring.GetPrimaryKey())
}

// InstallKey adds key to the keyring as a secondary key: this node then
// accepts traffic encrypted with it, and still encrypts with its primary.
// Installing a key already present changes nothing. It returns the key's
// fingerprint.
func (c *Cluster) InstallKey(key []byte) (string, error) {
	if err := memberlist.ValidateKey(key); err != nil {
		return "", fmt.Errorf("heartbeat: install key: the key is %d bytes, want 16, 24 or 32 (AES)", len(key))
	}
	fp := Fingerprint(key)
	err := c.changeKeys("install", fp, func(keys [][]byte) ([][]byte, error) {
		if containsKey(keys, key) {
			return keys, nil
		}
		return append(slices.Clone(keys), bytes.Clone(key)), nil
	})
	return fp, err
}

// UseKey makes the installed key with fingerprint fp the primary key:
// this node encrypts with it from now on. Every other node must have
// installed it first, or they can no longer read this node. Using the
// primary again changes nothing.
func (c *Cluster) UseKey(fp string) error {
	return c.changeKeys("use", fp, func(keys [][]byte) ([][]byte, error) {
		i := indexOfFingerprint(keys, fp)
		if i < 0 {
			return nil, fmt.Errorf("heartbeat: use key %s: it is not installed on this node (install it first)", fp)
		}
		out := [][]byte{keys[i]}
		for j, k := range keys {
			if j != i {
				out = append(out, k)
			}
		}
		return out, nil
	})
}

// RemoveKey removes the key with fingerprint fp from the keyring: this
// node no longer accepts traffic encrypted with it. The primary key
// cannot be removed (use another first). Removing a key that is not
// installed changes nothing.
func (c *Cluster) RemoveKey(fp string) error {
	return c.changeKeys("remove", fp, func(keys [][]byte) ([][]byte, error) {
		i := indexOfFingerprint(keys, fp)
		switch {
		case i < 0:
			return keys, nil
		case i == 0:
			return nil, fmt.Errorf("heartbeat: remove key %s: it is the primary key, which this node encrypts with; use another key first", fp)
		}
		return slices.Delete(slices.Clone(keys), i, i+1), nil
	})
}

// changeKeys computes the next keyring with f from the current keys
// (primary first), persists it to the key file, then applies it to the
// shared memberlist keyring.
func (c *Cluster) changeKeys(op, fp string, f func([][]byte) ([][]byte, error)) error {
	c.keyMu.Lock()
	defer c.keyMu.Unlock()
	ring, err := c.memberlistKeyringLocked()
	if err != nil {
		return err
	}
	if ring == nil {
		return ErrInsecure
	}
	cur := slices.Clone(ring.GetKeys()) // GetKeys returns memberlist's own slice
	next, err := f(cur)
	if err != nil {
		return err
	}
	if sameKeys(cur, next) {
		c.log.Info("gossip keyring unchanged", "op", op, "key", fp, "keys", fingerprints(cur))
		return nil
	}
	if path := c.persistedKeyFile(); path != "" {
		if err := RewriteKeyFile(path, next...); err != nil {
			return fmt.Errorf("heartbeat: %s key %s: %w (the keyring in memory is unchanged)", op, fp, err)
		}
	}
	applyKeys(ring, cur, next)
	c.log.Info("gossip keyring changed", "op", op, "key", fp, "keys", fingerprints(next), "primary", Fingerprint(next[0]), "key_file", c.persistedKeyFile())
	return nil
}

// applyKeys turns ring, holding cur, into next (the primary first). The
// steps never leave the ring without a key every member encrypts with:
// new keys are added, then the primary switched, then old keys removed.
func applyKeys(ring *memberlist.Keyring, cur, next [][]byte) {
	for _, k := range next {
		if !containsKey(cur, k) {
			ring.AddKey(k) // validated: cannot fail
		}
	}
	if !bytes.Equal(cur[0], next[0]) {
		ring.UseKey(next[0]) // installed just above or before: cannot fail
	}
	for _, k := range cur {
		if containsKey(next, k) {
			continue
		}
		removeKey(ring, k)
	}
}

// removeKey removes k (not the primary) from ring. memberlist's
// RemoveKey shifts the keys after k in place, in the slice that its
// decrypting goroutines may be reading without a lock; removing the last
// key shifts nothing. So the keys after k are removed first (each the
// last) and added back after k is gone: for those microseconds a packet
// under one of them is dropped, which gossip retransmits. In a rotation
// the key removed is the last one and nothing is re-added.
func removeKey(ring *memberlist.Keyring, k []byte) {
	keys := ring.GetKeys()
	i := slices.IndexFunc(keys, func(x []byte) bool { return bytes.Equal(x, k) })
	if i <= 0 {
		return
	}
	after := slices.Clone(keys[i+1:])
	for j := len(after) - 1; j >= 0; j-- {
		ring.RemoveKey(after[j])
	}
	ring.RemoveKey(k)
	for _, a := range after {
		ring.AddKey(a)
	}
}

// memberlistKeyring returns the keyring every link shares (nil in
// insecure mode), creating it from the configured keys on first use.
func (c *Cluster) memberlistKeyring() (*memberlist.Keyring, error) {
	c.keyMu.Lock()
	defer c.keyMu.Unlock()
	return c.memberlistKeyringLocked()
}

func (c *Cluster) memberlistKeyringLocked() (*memberlist.Keyring, error) {
	if c.keyring == nil {
		return nil, nil
	}
	if c.mlKeyring == nil {
		kr, err := memberlist.NewKeyring(c.keyring.Others, c.keyring.Primary)
		if err != nil {
			return nil, fmt.Errorf("heartbeat: keyring: %w", err)
		}
		c.mlKeyring = kr
	}
	return c.mlKeyring, nil
}

// persistedKeyFile is the key file keyring changes are written to: the
// configured file when the keys were read from it.
func (c *Cluster) persistedKeyFile() string {
	if c.cfg.Insecure || c.cfg.Keyring != nil {
		return ""
	}
	return c.cfg.KeyFile
}

func containsKey(keys [][]byte, k []byte) bool {
	return slices.ContainsFunc(keys, func(x []byte) bool { return bytes.Equal(x, k) })
}

func indexOfFingerprint(keys [][]byte, fp string) int {
	return slices.IndexFunc(keys, func(x []byte) bool { return Fingerprint(x) == fp })
}

func sameKeys(a, b [][]byte) bool {
	return slices.EqualFunc(a, b, bytes.Equal)
}

func fingerprints(keys [][]byte) []string {
	out := make([]string, len(keys))
	for i, k := range keys {
		out[i] = Fingerprint(k)
	}
	return out
}
