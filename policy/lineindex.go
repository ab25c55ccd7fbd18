package policy

import (
	"bytes"
	"sort"
	"strconv"
	"strings"
)

// BurntSushi/toml does not export where keys are written, so lineIndex
// scans the TOML text itself: table headers [a.b], arrays of tables [[a]]
// with their running index, key = value lines with dotted and quoted keys,
// the elements of arrays and the keys of inline tables, skipping strings
// (multi-line ones too) and comments. It is tolerant: on text it does not
// understand it skips to the end of the line, and it never fails.

// maxIndexKeyParts bounds the parts of one dotted key or header the index
// resolves; longer keys are not indexed (Load rejects them anyway).
const maxIndexKeyParts = 64

// maxIndexElems bounds the elements of one inline array that are indexed;
// errors in later ones point at the array.
const maxIndexElems = 10_000

// lineIndex maps key paths in index form to where they are written.
type lineIndex struct {
	pos        map[string]int // path -> byte offset of its key
	lineStarts []int          // byte offset of each line's start
	secret     map[int]bool   // lines holding secret_params values
}

// find returns the line and column of p, or of its nearest parent that is
// indexed; 0, 0 when none is.
func (ix *lineIndex) find(p keyPath) (line, col int) {
	for n := len(p); n > 0; n-- {
		if off, ok := ix.pos[p[:n].String()]; ok {
			return ix.lineCol(off)
		}
	}
	return 0, 0
}

// lineCol converts a byte offset to a 1-based line and column.
func (ix *lineIndex) lineCol(off int) (line, col int) {
	i := sort.SearchInts(ix.lineStarts, off+1) - 1
	if i < 0 {
		i = 0
	}
	return i + 1, off - ix.lineStarts[i] + 1
}

// source returns line number line of src without its newline, and whether
// it was withheld because it holds secrets.
func (ix *lineIndex) source(src []byte, line int) (string, bool) {
	if line <= 0 || line > len(ix.lineStarts) {
		return "", false
	}
	if ix.secret[line] {
		return "", true
	}
	start := ix.lineStarts[line-1]
	end := len(src)
	if line < len(ix.lineStarts) {
		end = ix.lineStarts[line] - 1
	}
	return strings.TrimRight(string(src[start:end]), "\r"), false
}

// buildLineIndex scans src.
func buildLineIndex(src []byte) *lineIndex {
	ix := &lineIndex{pos: map[string]int{}, lineStarts: []int{0}, secret: map[int]bool{}}
	for i, c := range src {
		if c == '\n' {
			ix.lineStarts = append(ix.lineStarts, i+1)
		}
	}
	s := &indexScanner{src: src, ix: ix, arrays: map[string]int{}}
	if bytes.HasPrefix(src, []byte("\xef\xbb\xbf")) { // byte order mark
		s.i = 3
	}
	s.run()
	return ix
}

type indexScanner struct {
	src    []byte
	i      int
	ix     *lineIndex
	arrays map[string]int // arrays of tables: path -> elements so far
	table  string         // current table path
}

func (s *indexScanner) eof() bool { return s.i >= len(s.src) }

func (s *indexScanner) peek(off int) byte {
	if s.i+off < len(s.src) {
		return s.src[s.i+off]
	}
	return 0
}

func (s *indexScanner) record(path string, off int) {
	if _, ok := s.ix.pos[path]; !ok {
		s.ix.pos[path] = off
	}
}

func (s *indexScanner) run() {
	for {
		s.skipBlank(true)
		if s.eof() {
			return
		}
		start := s.i
		if s.src[s.i] == '[' {
			s.header()
		} else {
			s.keyValue(s.table)
		}
		s.skipLine()
		if s.i == start { // no progress: never loop forever
			s.i++
		}
	}
}

// skipBlank skips spaces and tabs, and also newlines and comments when nl.
func (s *indexScanner) skipBlank(nl bool) {
	for !s.eof() {
		switch c := s.src[s.i]; {
		case c == ' ' || c == '\t' || c == '\r':
			s.i++
		case c == '\n' && nl:
			s.i++
		case c == '#' && nl:
			s.skipComment()
		default:
			return
		}
	}
}

func (s *indexScanner) skipComment() {
	for !s.eof() && s.src[s.i] != '\n' {
		s.i++
	}
}

// skipLine skips the rest of the current line (a trailing comment or
// text the scanner does not understand), up to the newline.
func (s *indexScanner) skipLine() {
	for !s.eof() && s.src[s.i] != '\n' {
		if c := s.src[s.i]; c == '"' || c == '\'' {
			s.skipString()
			continue
		}
		s.i++
	}
}

// header handles [a.b] and [[a.b]].
func (s *indexScanner) header() {
	start := s.i
	array := s.peek(1) == '['
	if array {
		s.i += 2
	} else {
		s.i++
	}
	parts, ok := s.key()
	if !ok || len(parts) > maxIndexKeyParts {
		return
	}
	s.skipBlank(false)
	if s.peek(0) != ']' || (array && s.peek(1) != ']') {
		return
	}
	if array {
		s.i += 2
	} else {
		s.i++
	}
	cur := ""
	for k, p := range parts {
		if cur != "" {
			cur += "."
		}
		cur += keyPart(p)
		n := s.arrays[cur]
		switch {
		case array && k == len(parts)-1:
			s.arrays[cur] = n + 1
			cur += "[" + strconv.Itoa(n) + "]"
		case n > 0:
			cur += "[" + strconv.Itoa(n-1) + "]"
		}
	}
	s.table = cur
	s.record(cur, start)
}

// keyValue handles key = value under table.
func (s *indexScanner) keyValue(table string) {
	start := s.i
	parts, ok := s.key()
	if !ok || len(parts) > maxIndexKeyParts {
		return
	}
	s.skipBlank(false)
	if s.peek(0) != '=' {
		return
	}
	s.i++
	path := joinPath(table, parts)
	s.record(path, start)
	s.value(path, 0)
	if isSecretPath(path) || strings.HasSuffix(path, ".url") && bytes.ContainsRune(s.src[start:s.i], '@') {
		first, _ := s.ix.lineCol(start)
		last, _ := s.ix.lineCol(s.i)
		for l := first; l <= last; l++ {
			s.ix.secret[l] = true
		}
	}
}

func joinPath(table string, parts []string) string {
	var b strings.Builder
	b.WriteString(table)
	for _, p := range parts {
		if b.Len() > 0 {
			b.WriteByte('.')
		}
		b.WriteString(keyPart(p))
	}
	return b.String()
}

func isSecretPath(path string) bool {
	return strings.Contains(path, "secret_params")
}

// key reads a dotted key of bare, "basic" and 'literal' parts.
func (s *indexScanner) key() ([]string, bool) {
	var parts []string
	for {
		s.skipBlank(false)
		if s.eof() {
			return nil, false
		}
		switch c := s.src[s.i]; {
		case c == '"' || c == '\'':
			start := s.i
			s.skipString()
			raw := string(s.src[start:s.i])
			if c == '"' {
				u, err := strconv.Unquote(raw)
				if err != nil {
					u = strings.Trim(raw, `"`)
				}
				parts = append(parts, u)
			} else {
				parts = append(parts, strings.Trim(raw, "'"))
			}
		case isBareKeyByte(c):
			start := s.i
			for !s.eof() && isBareKeyByte(s.src[s.i]) {
				s.i++
			}
			parts = append(parts, string(s.src[start:s.i]))
		default:
			return nil, false
		}
		s.skipBlank(false)
		if s.peek(0) != '.' {
			return parts, true
		}
		s.i++
	}
}

func isBareKeyByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-'
}

// value skips one value, recording array elements and inline-table keys.
func (s *indexScanner) value(path string, depth int) {
	s.skipBlank(false)
	if s.eof() || depth > maxNesting {
		return
	}
	switch s.src[s.i] {
	case '"', '\'':
		s.skipString()
	case '[':
		s.i++
		n := 0
		for {
			s.skipBlank(true)
			if s.eof() {
				return
			}
			switch s.src[s.i] {
			case ']':
				s.i++
				return
			case ',':
				s.i++
				n++
				continue
			}
			elem := path + "[" + strconv.Itoa(n) + "]"
			start := s.i
			if n < maxIndexElems {
				s.record(elem, start)
			}
			s.value(elem, depth+1)
			if s.i == start {
				s.i++
			}
		}
	case '{':
		s.i++
		for {
			s.skipBlank(true)
			if s.eof() {
				return
			}
			switch s.src[s.i] {
			case '}':
				s.i++
				return
			case ',':
				s.i++
				continue
			}
			start := s.i
			parts, ok := s.key()
			s.skipBlank(false)
			if !ok || s.peek(0) != '=' || len(parts) > maxIndexKeyParts {
				if s.i == start {
					s.i++
				}
				continue
			}
			s.i++
			p := joinPath(path, parts)
			s.record(p, start)
			s.value(p, depth+1)
		}
	default:
		for !s.eof() {
			switch s.src[s.i] {
			case ',', ']', '}', '\n', '#':
				return
			}
			s.i++
		}
	}
}

// skipString skips a basic, literal or multi-line string starting at s.i.
func (s *indexScanner) skipString() {
	// An escape at the very end of the input ("abc\) steps past it;
	// callers slice s.src[start:s.i], so never leave s.i beyond the end.
	defer func() { s.i = min(s.i, len(s.src)) }()
	q := s.src[s.i]
	if s.peek(1) == q && s.peek(2) == q {
		s.i += 3
		for !s.eof() {
			c := s.src[s.i]
			if c == '\\' && q == '"' {
				s.i += 2
				continue
			}
			if c == q && s.peek(1) == q && s.peek(2) == q {
				s.i += 3
				for k := 0; k < 2 && s.peek(0) == q; k++ { // """" ends with a quote inside
					s.i++
				}
				return
			}
			s.i++
		}
		return
	}
	s.i++
	for !s.eof() {
		c := s.src[s.i]
		switch {
		case c == '\n':
			return
		case c == '\\' && q == '"':
			s.i += 2
			continue
		case c == q:
			s.i++
			return
		}
		s.i++
	}
}
