package policy

import (
	"fmt"
	"sort"
	"strings"
)

// maxReportedErrors bounds the errors one Load reports; a file with more
// gets a last entry saying how many were left out.
const maxReportedErrors = 100

// Error is one problem found in a policy file. Load and Parse return an
// ErrorList of them; each names the file, the line when it is known, the
// key path and what would be right.
type Error struct {
	// File is the file name given to Load or Parse.
	File string
	// Line is the 1-based line of the problem; 0 when it concerns the
	// whole file (missing file, too large, empty).
	Line int
	// Col is the 1-based column, 0 when unknown.
	Col int
	// Path is the key path in index form, such as
	// "primitive[2].op[0].interval"; empty for file-level problems.
	Path string
	// Where is Path for a human: array elements are named by their id
	// when they have one, as in `primitive "pg": op "monitor": interval`.
	Where string
	// Msg says what is wrong and what would be right.
	Msg string
	// Err is the underlying error, if any (for errors.Is and errors.As).
	Err error
	// Syntax reports a TOML syntax error (Col is then exact).
	Syntax bool
	// Source is the offending line of the file without its newline; it
	// is empty when unknown or when the line holds secret values.
	Source string
	// SecretLine reports that Source was withheld because the line holds
	// secret_params values.
	SecretLine bool
}

// Error formats e as "file:line: where: msg" (file:line:col for syntax
// errors).
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.Line > 0 {
		fmt.Fprintf(&b, ":%d", e.Line)
		if e.Syntax && e.Col > 0 {
			fmt.Fprintf(&b, ":%d", e.Col)
		}
	}
	b.WriteString(": ")
	if e.Where != "" {
		b.WriteString(e.Where)
		b.WriteString(": ")
	}
	b.WriteString(e.Msg)
	return b.String()
}

// Unwrap returns the underlying error.
func (e *Error) Unwrap() error { return e.Err }

// Snippet returns the offending source line with its number and a caret
// under the column, in the manner of BurntSushi/toml's ErrorWithPosition,
// or "" when the line is unknown. Lines holding secrets are not shown.
func (e *Error) Snippet() string {
	if e.Line <= 0 {
		return ""
	}
	num := fmt.Sprintf("%5d | ", e.Line)
	if e.SecretLine {
		return num + "(line not shown: it holds a secret)\n"
	}
	if e.Source == "" {
		return ""
	}
	src := strings.ReplaceAll(e.Source, "\t", " ")
	if len(src) > 200 {
		src = src[:200] + " ..."
	}
	col := e.Col
	if col <= 0 {
		col = len(src) - len(strings.TrimLeft(src, " ")) + 1
	}
	if col > len(src)+1 {
		col = len(src) + 1
	}
	pad := strings.Repeat(" ", len(num)-2) + "| " + strings.Repeat(" ", col-1)
	return num + src + "\n" + pad + "^\n"
}

// ErrorList is every problem Load found in one policy file, sorted by line.
type ErrorList []*Error

// Error joins the errors, one per line.
func (l ErrorList) Error() string {
	s := make([]string, len(l))
	for i, e := range l {
		s[i] = e.Error()
	}
	return strings.Join(s, "\n")
}

// Unwrap returns the errors, so that errors.Is and errors.As see each.
func (l ErrorList) Unwrap() []error {
	out := make([]error, len(l))
	for i, e := range l {
		out[i] = e
	}
	return out
}

// fileError is a problem with the whole file.
func fileError(name, msg string, err error) error {
	return ErrorList{{File: name, Msg: msg, Err: err}}
}

// pending is an error collected during decoding or validation, before
// positions and labels are resolved.
type pending struct {
	path   keyPath
	msg    string
	err    error
	decode bool // a decoding (type) error: validation errors below it are noise
	// valueOffset, when >= 0, is a byte offset inside the string value at
	// path (a rule expression): the column points there.
	valueOffset int
}

// maxCollected bounds the errors kept in memory; more are only counted.
const maxCollected = 10_000

// collector gathers every problem of one file.
type collector struct {
	items   []pending
	dropped int // errors beyond maxCollected
	// decodeErrPaths holds the paths with decoding errors.
	decodeErrPaths map[string]bool
}

func newCollector() *collector {
	return &collector{decodeErrPaths: map[string]bool{}}
}

// decodeErr records a decoding error at p.
func (c *collector) decodeErr(p keyPath, format string, args ...any) {
	if c.full() {
		return
	}
	c.decodeErrPaths[p.String()] = true
	c.items = append(c.items, pending{path: p, msg: fmt.Sprintf(format, args...), decode: true, valueOffset: -1})
}

// add records a validation error at p unless p or a parent of p already
// has a decoding error (then the validation error would only repeat it).
func (c *collector) add(p keyPath, format string, args ...any) {
	c.addAt(p, -1, format, args...)
}

// addAt is add for an error at byte offset off of the string value at p.
func (c *collector) addAt(p keyPath, off int, format string, args ...any) {
	if c.full() {
		return
	}
	for n := len(p); n > 0; n-- {
		if c.decodeErrPaths[p[:n].String()] {
			return
		}
	}
	c.items = append(c.items, pending{path: p, msg: fmt.Sprintf(format, args...), valueOffset: off})
}

// full reports (and counts) an error beyond maxCollected: it is only
// counted, so callers may skip building its message.
func (c *collector) full() bool {
	if len(c.items) < maxCollected {
		return false
	}
	c.dropped++
	return true
}

func (c *collector) empty() bool { return len(c.items) == 0 }

// list resolves positions and labels and returns the sorted ErrorList.
func (c *collector) list(name string, src []byte, idx *lineIndex, labels map[string]string) ErrorList {
	out := make(ErrorList, 0, len(c.items))
	for _, it := range c.items {
		line, col := idx.find(it.path)
		e := &Error{
			File:  name,
			Line:  line,
			Col:   col,
			Path:  it.path.String(),
			Where: it.path.render(labels),
			Msg:   it.msg,
			Err:   it.err,
		}
		e.Source, e.SecretLine = idx.source(src, line)
		if it.valueOffset >= 0 {
			e.Col = valueColumn(e.Source, col, it.valueOffset)
		}
		out = append(out, e)
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Line < out[j].Line })
	if len(out)+c.dropped > maxReportedErrors {
		n := len(out) + c.dropped - maxReportedErrors
		keep := min(len(out), maxReportedErrors)
		out = append(out[:keep:keep], &Error{
			File: name,
			Msg:  fmt.Sprintf("%d more errors not shown; fix the ones above first", n),
		})
	}
	return out
}

// valueColumn returns the column of byte off inside the one-line string
// value of the key at column keyCol of line, or keyCol when the value is
// not a plain one-line string (escapes would shift the offset).
func valueColumn(line string, keyCol, off int) int {
	if keyCol <= 0 || keyCol > len(line) {
		return keyCol
	}
	rest := line[keyCol-1:]
	eq := strings.IndexByte(rest, '=')
	if eq < 0 {
		return keyCol
	}
	q := strings.IndexAny(rest[eq:], "\"'")
	if q < 0 || strings.HasPrefix(rest[eq+q:], `"""`) || strings.HasPrefix(rest[eq+q:], "'''") {
		return keyCol
	}
	start := keyCol - 1 + eq + q + 1 // byte index of the value's first byte
	if start+off > len(line) || strings.ContainsRune(line[start:start+off], '\\') {
		return keyCol
	}
	return start + off + 1
}
