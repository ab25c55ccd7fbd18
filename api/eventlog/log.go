package eventlog

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"sync"

	"github.com/ward-ha/ward/api"
)

// File names in the state directory: the current file and the previous
// one.
const (
	currentFile  = "events.jsonl"
	previousFile = "events.1.jsonl"
)

// DefaultMaxPerFile bounds each of the two files (so the log holds
// between DefaultMaxPerFile and twice as many events).
const DefaultMaxPerFile = 5000

// maxLine bounds one line of the file.
const maxLine = 64 << 10

// Log is the persisted, bounded event log. It is safe for concurrent
// use. Build it with Open.
type Log struct {
	dir string
	max int
	log *slog.Logger

	// mu guards the following.
	mu      sync.Mutex
	f       *os.File
	inFile  int         // events in the current file
	events  []api.Event // both files, oldest first
	lastSeq uint64
	subs    []chan<- api.Event
}

// Open reads the log in dir (creating it if missing) and opens it for
// appending. maxPerFile <= 0 means DefaultMaxPerFile. Lines that do not
// decode (a write torn by a crash) are skipped with a warning.
func Open(dir string, maxPerFile int, log *slog.Logger) (*Log, error) {
	if maxPerFile <= 0 {
		maxPerFile = DefaultMaxPerFile
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, fmt.Errorf("eventlog: %w", err)
	}
	l := &Log{dir: dir, max: maxPerFile, log: log}
	for _, name := range []string{previousFile, currentFile} {
		evs, err := readFile(filepath.Join(dir, name), log)
		if err != nil {
			return nil, err
		}
		if name == currentFile {
			l.inFile = len(evs)
		}
		for _, e := range evs {
			if e.Seq > l.lastSeq {
				l.events = append(l.events, e)
				l.lastSeq = e.Seq
			}
		}
	}
	f, err := os.OpenFile(filepath.Join(dir, currentFile), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o640)
	if err != nil {
		return nil, fmt.Errorf("eventlog: %w", err)
	}
	l.f = f
	return l, nil
}

// readFile decodes every line of path; a missing file is empty.
func readFile(path string, log *slog.Logger) ([]api.Event, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("eventlog: %w", err)
	}
	var out []api.Event
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 0, 4096), maxLine)
	n := 0
	for sc.Scan() {
		n++
		if len(bytes.TrimSpace(sc.Bytes())) == 0 {
			continue
		}
		e, err := DecodeLine(sc.Bytes())
		if err != nil {
			log.Warn("eventlog: skipping a line that does not decode (torn write?)", "file", path, "line", n, "err", err)
			continue
		}
		out = append(out, e)
	}
	if err := sc.Err(); err != nil {
		log.Warn("eventlog: stopped reading at an overlong line", "file", path, "line", n+1, "err", err)
	}
	return out, nil
}

// DecodeLine decodes one line of the log file and checks it.
func DecodeLine(b []byte) (api.Event, error) {
	var e api.Event
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&e); err != nil {
		return api.Event{}, fmt.Errorf("eventlog: decode: %w", err)
	}
	if e.Seq == 0 {
		return api.Event{}, errors.New("eventlog: event without seq")
	}
	known := false
	for _, k := range api.EventKinds {
		known = known || k == e.Kind
	}
	if !known {
		return api.Event{}, fmt.Errorf("eventlog: event %d: unknown kind %q", e.Seq, e.Kind)
	}
	return e, nil
}

// Append numbers evs (Seq), writes them and hands them to subscribers.
// It returns the events as stored.
func (l *Log) Append(evs ...api.Event) ([]api.Event, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.f == nil {
		return nil, errors.New("eventlog: the log is closed")
	}
	var buf bytes.Buffer
	out := make([]api.Event, 0, len(evs))
	for _, e := range evs {
		l.lastSeq++
		e.Seq = l.lastSeq
		b, err := json.Marshal(e)
		if err != nil {
			return nil, fmt.Errorf("eventlog: encode: %w", err)
		}
		buf.Write(b)
		buf.WriteByte('\n')
		out = append(out, e)
	}
	if _, err := l.f.Write(buf.Bytes()); err != nil {
		return nil, fmt.Errorf("eventlog: write %s: %w", l.f.Name(), err)
	}
	l.events = append(l.events, out...)
	l.inFile += len(out)
	if l.inFile >= l.max {
		if err := l.rotateLocked(); err != nil {
			return out, err
		}
	}
	for _, e := range out {
		for _, s := range l.subs {
			select {
			case s <- e:
			default: // a slow subscriber misses events, it never blocks the log
			}
		}
	}
	return out, nil
}

// rotateLocked makes the current file the previous one and starts a new
// one; the events of the file dropped leave memory too.
func (l *Log) rotateLocked() error {
	if err := l.f.Close(); err != nil {
		return fmt.Errorf("eventlog: %w", err)
	}
	l.f = nil
	cur, prev := filepath.Join(l.dir, currentFile), filepath.Join(l.dir, previousFile)
	if err := os.Rename(cur, prev); err != nil {
		return fmt.Errorf("eventlog: rotate: %w", err)
	}
	f, err := os.OpenFile(cur, os.O_CREATE|os.O_WRONLY|os.O_APPEND|os.O_TRUNC, 0o640)
	if err != nil {
		return fmt.Errorf("eventlog: rotate: %w", err)
	}
	l.f = f
	if drop := len(l.events) - l.inFile; drop > 0 {
		l.events = append([]api.Event(nil), l.events[drop:]...)
	}
	l.inFile = 0
	return nil
}

// Subscribe makes Append send every new event to ch without blocking
// (events that do not fit are dropped for that subscriber).
func (l *Log) Subscribe(ch chan<- api.Event) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.subs = append(l.subs, ch)
}

// Events returns the events matching q, oldest first; it implements
// api.EventSource.
func (l *Log) Events(q api.EventQuery) api.Events {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := api.Events{Last: l.lastSeq, Events: []api.Event{}}
	for _, e := range l.events {
		if q.Match(e) {
			out.Events = append(out.Events, e)
		}
	}
	if q.Limit > 0 && len(out.Events) > q.Limit {
		out.Events = out.Events[len(out.Events)-q.Limit:]
	}
	return out
}

// Close closes the file. Append fails afterwards.
func (l *Log) Close() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.f == nil {
		return nil
	}
	err := l.f.Close()
	l.f = nil
	return err
}
