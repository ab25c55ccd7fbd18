package controller

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
)

// The file names inside the state directory.
const (
	termFile    = "term.state"
	policyFile  = "policy.state"
	fencingFile = "fencing.state"
	lockFile    = "lock"
	tmpPrefix   = ".tmp-"
)

// CorruptError reports a state file that cannot be trusted. The daemon
// must stop on it: starting with an empty state instead could grant a
// second vote in a term, or forget a newer policy or a fencing result.
type CorruptError struct {
	// Path is the file.
	Path string
	// Err says what is wrong with it.
	Err error
}

// Error tells the operator what happened and what to do.
func (e *CorruptError) Error() string {
	return fmt.Sprintf("state file %s is corrupt: %v; ward will not start with it. "+
		"Check the disk (dmesg), then restore the file from a backup, or move it aside "+
		"(mv %s %s.corrupt) to let this node start without it: it then takes the policy "+
		"and the current term from the cluster (see docs/protocol.md, \"Persistence\")",
		e.Path, e.Err, e.Path, e.Path)
}

// Unwrap returns the underlying error.
func (e *CorruptError) Unwrap() error { return e.Err }

// ErrLocked is returned by OpenStore when another process holds the
// state directory.
var ErrLocked = errors.New("controller: state directory is in use by another ward process")

// Store is this node's persisted state: the term record, the policy with
// its epoch and the fencing history. Every change is on disk (fsynced)
// before the method that makes it returns. Methods are safe for
// concurrent use; returned values are copies owned by the caller.
type Store struct {
	dir  string
	log  *slog.Logger
	lock *os.File

	// crash, when set (tests only), is called after each stage of an
	// atomic write ("create", "write", "sync", "close", "rename"); if it
	// returns true the write stops right there as if the process died.
	crash func(stage string) bool

	// fenceLimit, when > 0 (tests only), replaces maxFencingHistory.
	fenceLimit int

	// termsLost is set by OpenStore; read-only after.
	termsLost bool

	// mu guards the following.
	mu      sync.Mutex
	term    TermState
	policy  PolicyState
	fencing []FenceRecord
}

// OpenStore opens (creating if needed) the state directory dir, locks it
// for this process and loads every state file. A missing file is a fresh
// state; a file that fails any check returns a *CorruptError. Temporary
// files left by a crash during a write are removed: the write they belong
// to never completed, and the previous file is intact.
func OpenStore(dir string, log *slog.Logger) (*Store, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("controller: create state directory: %w", err)
	}
	lf, err := os.OpenFile(filepath.Join(dir, lockFile), os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, fmt.Errorf("controller: open state lock: %w", err)
	}
	if err := syscall.Flock(int(lf.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		lf.Close()
		return nil, fmt.Errorf("%w: %s (stop the other ward agent first)", ErrLocked, dir)
	}
	s := &Store{dir: dir, log: log, lock: lf}
	if err := s.load(); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

// Close releases the directory lock. The Store must not be used after.
func (s *Store) Close() error {
	if s == nil || s.lock == nil {
		return nil
	}
	err := s.lock.Close() // closing the descriptor releases the flock
	s.lock = nil
	return err
}

// Dir returns the state directory.
func (s *Store) Dir() string { return s.dir }

func (s *Store) load() error {
	entries, err := os.ReadDir(s.dir)
	if err != nil {
		return fmt.Errorf("controller: read state directory: %w", err)
	}
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), tmpPrefix) {
			p := filepath.Join(s.dir, e.Name())
			s.log.Warn("removing a temporary state file left by an interrupted write; the previous state is intact", "file", p)
			if err := os.Remove(p); err != nil {
				return fmt.Errorf("controller: remove leftover %s: %w", p, err)
			}
		}
	}
	hadTerms, err := s.readFile(termFile, kindTerm, &s.term)
	if err != nil {
		return err
	}
	if err := s.term.check(); err != nil {
		return &CorruptError{Path: filepath.Join(s.dir, termFile), Err: err}
	}
	if _, err := s.readFile(policyFile, kindPolicy, &s.policy); err != nil {
		return err
	}
	if err := s.policy.check(); err != nil {
		return &CorruptError{Path: filepath.Join(s.dir, policyFile), Err: err}
	}
	var fh fencingHistory
	if _, err := s.readFile(fencingFile, kindFencing, &fh); err != nil {
		return err
	}
	s.fencing = fh.Records
	if !hadTerms && (s.policy.Epoch > 0 || len(s.fencing) > 0) {
		s.termsLost = true
		s.log.Error("term.state is missing but this node has run before: its record of the votes it granted is lost",
			"dir", s.dir, "hint", "see docs/protocol.md, Persistence: do not let this node vote until the cluster has moved past the terms it may have voted in")
	}
	return nil
}

// TermsLost reports that the term record was missing at open although the
// directory holds other state from an earlier run (someone moved
// term.state aside). The node may then have voted in terms it no longer
// remembers; the controller must alert and must not grant votes in terms
// it cannot prove are new (see docs/protocol.md, "Persistence").
func (s *Store) TermsLost() bool { return s.termsLost }

// readFile decodes the named file into v. It reports false, with no
// error, when the file does not exist.
func (s *Store) readFile(name, kind string, v any) (bool, error) {
	p := filepath.Join(s.dir, name)
	f, err := os.Open(p)
	if errors.Is(err, fs.ErrNotExist) {
		s.log.Info("no saved state: starting fresh", "file", p)
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("controller: read %s: %w", p, err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxStateFile+1))
	if err != nil {
		return false, fmt.Errorf("controller: read %s: %w", p, err)
	}
	if err := decodeState(kind, data, v); err != nil {
		return false, &CorruptError{Path: p, Err: err}
	}
	return true, nil
}

// writeLocked encodes v and replaces the named file atomically: write a
// temporary file in the same directory, fsync it, rename it over the
// file, fsync the directory. A crash at any point leaves either the old
// or the new file, never a mix. s.mu must be held.
func (s *Store) writeLocked(name, kind string, v any) error {
	data, err := encodeState(kind, v)
	if err != nil {
		return fmt.Errorf("controller: %w", err)
	}
	p := filepath.Join(s.dir, name)
	if err := s.atomicWrite(p, data); err != nil {
		return fmt.Errorf("controller: save %s: %w", p, err)
	}
	return nil
}

// errCrash is returned when the test crash hook stopped a write.
var errCrash = errors.New("simulated crash")

func (s *Store) stage(name string) bool { return s.crash != nil && s.crash(name) }

func (s *Store) atomicWrite(path string, data []byte) (err error) {
	f, err := os.CreateTemp(filepath.Dir(path), tmpPrefix+filepath.Base(path)+"-")
	if err != nil {
		return err
	}
	tmp := f.Name()
	crashed := false
	defer func() {
		switch {
		case crashed:
			f.Close() // a dead process leaves the file as it is on disk
		case err != nil:
			f.Close()
			os.Remove(tmp)
		}
	}()
	if s.stage("create") {
		crashed = true
		return errCrash
	}
	if _, err := f.Write(data); err != nil {
		return err
	}
	if s.stage("write") {
		crashed = true
		return errCrash
	}
	if err := f.Sync(); err != nil {
		return fmt.Errorf("fsync: %w", err)
	}
	if s.stage("sync") {
		crashed = true
		return errCrash
	}
	if err := f.Close(); err != nil {
		return err
	}
	if s.stage("close") {
		crashed = true
		return errCrash
	}
	if err := os.Rename(tmp, path); err != nil {
		return err
	}
	if s.stage("rename") {
		crashed = true
		return errCrash
	}
	return syncDir(filepath.Dir(path))
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("fsync directory %s: %w", dir, err)
	}
	return nil
}
