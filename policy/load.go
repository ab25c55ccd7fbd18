package policy

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"reflect"
	"regexp"
	"strings"

	"github.com/BurntSushi/toml"

	// Time zones of location rules must resolve the same way on every
	// node, with or without /usr/share/zoneinfo.
	_ "time/tzdata"
)

// Load reads, decodes, defaults and validates the policy file at path.
//
// On failure the error is an ErrorList holding every problem found (up to
// 100), each with the file, line and key path; a file that cannot be read
// gives a one-entry ErrorList wrapping the os error (errors.Is(err,
// fs.ErrNotExist) works).
func Load(path string) (*Config, error) {
	data, err := readPolicyFile(path)
	if err != nil {
		return nil, err
	}
	return Parse(path, data)
}

// readPolicyFile reads at most MaxFileSize+1 bytes of path.
func readPolicyFile(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fileError(path, "cannot read the policy file: "+osReason(err), err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, fileError(path, "cannot read the policy file: "+osReason(err), err)
	}
	if st.IsDir() {
		return nil, fileError(path, "is a directory, not a policy file; name the .toml file", fs.ErrInvalid)
	}
	if st.Mode().IsRegular() && st.Size() > MaxFileSize {
		return nil, fileError(path, fmt.Sprintf("file is %d bytes; the limit is %d (16 MiB): is this really a policy file?", st.Size(), MaxFileSize), nil)
	}
	data, err := io.ReadAll(io.LimitReader(f, MaxFileSize+1))
	if err != nil {
		return nil, fileError(path, "cannot read the policy file: "+osReason(err), err)
	}
	return data, nil
}

// osReason is the reason part of an os error, without the path that the
// message already names.
func osReason(err error) string {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err.Error()
	}
	return err.Error()
}

// Parse decodes, defaults and validates a policy from data; name is used
// in error messages as the file name. Errors are as for Load.
func Parse(name string, data []byte) (*Config, error) {
	if err := checkLimits(name, data); err != nil {
		return nil, err
	}
	var raw map[string]any
	if _, err := toml.Decode(string(data), &raw); err != nil {
		return nil, syntaxError(name, data, err)
	}
	if len(raw) == 0 {
		return nil, fileError(name, "empty policy: define at least [cluster] and one [[node]]", nil)
	}
	// The line index is only needed for messages: build it on first use.
	var idx *lineIndex
	index := func() *lineIndex {
		if idx == nil {
			idx = buildLineIndex(data)
		}
		return idx
	}
	errs := newCollector()
	cfg := &Config{}
	newDecoder(errs).decode(reflect.ValueOf(cfg).Elem(), raw, nil, false)
	applyDefaults(cfg)
	validate(cfg, raw, index, errs)
	if !errs.empty() {
		return nil, errs.list(name, data, index(), pathLabels(cfg))
	}
	return cfg, nil
}

// syntaxError turns a TOML parse error into a positioned ErrorList.
func syntaxError(name string, data []byte, err error) error {
	var pe toml.ParseError
	if !errors.As(err, &pe) {
		return fileError(name, "cannot decode: "+err.Error(), err)
	}
	e := &Error{File: name, Line: pe.Position.Line, Col: pe.Position.Col, Syntax: true,
		Msg: "syntax error: " + strings.TrimSuffix(pe.Message, "."), Err: err}
	idx := buildLineIndex(data)
	e.Source, e.SecretLine = idx.source(data, e.Line)
	if e.SecretLine {
		// The parser quotes what it found, which may be the secret.
		e.Msg = quotedText.ReplaceAllString(e.Msg, `"`+RedactedValue+`"`)
	}
	return ErrorList{e}
}

// quotedText matches the double-quoted fragments of a parser message.
var quotedText = regexp.MustCompile(`"[^"]*"`)
