package main

import (
	"context"
	"log/slog"
	"os"
	"sync"
	"time"

	"github.com/ward-ha/ward/heartbeat"
)

// witnessKeys holds the keys `ward witness` accepts: every key of its key
// file, read again whenever the file changes, so that a key rotation
// reaches the witness without a restart (add the new key to the file
// before the nodes start using it, remove the old one after).
type witnessKeys struct {
	path string
	log  *slog.Logger

	mu   sync.Mutex
	keys [][]byte
	mod  time.Time
	size int64
}

// keyReloadEvery is how often the witness looks at its key file.
const keyReloadEvery = 2 * time.Second

func newWitnessKeys(path string, ring heartbeat.Keyring, log *slog.Logger) *witnessKeys {
	k := &witnessKeys{path: path, log: log, keys: ring.Keys()}
	if fi, err := os.Stat(path); err == nil {
		k.mod, k.size = fi.ModTime(), fi.Size()
	}
	return k
}

// get returns the keys accepted now.
func (k *witnessKeys) get() [][]byte {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.keys
}

// reload reads the key file again if it changed since the last read. A
// file that cannot be used (missing, wrong mode, malformed) keeps the
// keys loaded before, and says so.
func (k *witnessKeys) reload() {
	fi, err := os.Stat(k.path)
	k.mu.Lock()
	same := err == nil && fi.ModTime().Equal(k.mod) && fi.Size() == k.size
	k.mu.Unlock()
	if same {
		return
	}
	ring, lerr := heartbeat.LoadKeyFile(k.path)
	k.mu.Lock()
	defer k.mu.Unlock()
	if err == nil {
		k.mod, k.size = fi.ModTime(), fi.Size()
	}
	if lerr != nil {
		k.log.Error("witness: the key file changed but cannot be used; the keys loaded before stay in use", "file", k.path, "err", lerr)
		return
	}
	k.keys = ring.Keys()
	fps := make([]string, 0, len(k.keys))
	for _, key := range k.keys {
		fps = append(fps, heartbeat.Fingerprint(key))
	}
	k.log.Info("witness: key file read again", "file", k.path, "keys", fps)
}

// watch reloads the key file every keyReloadEvery until ctx ends.
func (k *witnessKeys) watch(ctx context.Context) {
	t := time.NewTicker(keyReloadEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			k.reload()
		}
	}
}
