package policy

import (
	"bytes"
	"fmt"
	"unicode/utf8"
)

// Limits on a policy file. They are far above any real policy and far
// below what would exhaust a node: the TOML parser recurses once per level
// of nested arrays and inline tables and allocates per table.
const (
	// MaxFileSize is the largest policy file Load accepts (16 MiB).
	MaxFileSize = 16 << 20
	// maxNesting bounds nested arrays and inline tables (and [[headers]]).
	maxNesting = 32
	// maxTables bounds [[array-of-tables]] headers plus inline tables:
	// the parser needs about 1 KiB per table.
	maxTables = 200_000
	// maxKeyParts bounds the parts of one dotted key (a.b.c): the parser
	// copies the key path per part.
	maxKeyParts = 32
	// maxValues bounds keys plus array elements (counted as '=' and ','
	// outside strings): the parser needs about 500 bytes per value, so a
	// 16 MiB file of one-byte values would take a gigabyte.
	maxValues = 1_000_000
	// maxEntries bounds the length of any one array (resources, ops...).
	maxEntries = 100_000
	// maxResources bounds primitives, groups and clones together.
	maxResources = 100_000
)

// checkLimits rejects data that is too large, not UTF-8, nested too deeply
// or with too many tables, before the TOML parser sees it.
func checkLimits(name string, data []byte) error {
	if len(data) > MaxFileSize {
		return fileError(name, fmt.Sprintf("file is %d bytes; the limit is %d (16 MiB): is this really a policy file?", len(data), MaxFileSize), nil)
	}
	if !utf8.Valid(data) {
		off := firstInvalidUTF8(data)
		line := 1 + bytes.Count(data[:off], []byte{'\n'})
		col := off - (bytes.LastIndexByte(data[:off], '\n') + 1) + 1
		return ErrorList{{File: name, Line: line, Col: col, Syntax: true,
			Msg: fmt.Sprintf("not valid UTF-8 (byte 0x%02x); a policy file is UTF-8 text: is this a binary file or another encoding?", data[off])}}
	}
	if off, msg := scanNesting(data); msg != "" {
		line := 1 + bytes.Count(data[:off], []byte{'\n'})
		col := off - (bytes.LastIndexByte(data[:off], '\n') + 1) + 1
		return ErrorList{{File: name, Line: line, Col: col, Syntax: true, Msg: msg}}
	}
	return nil
}

func firstInvalidUTF8(data []byte) int {
	for i := 0; i < len(data); {
		r, n := utf8.DecodeRune(data[i:])
		if r == utf8.RuneError && n <= 1 {
			return i
		}
		i += n
	}
	return 0
}

// scanNesting finds the first place where arrays and inline tables nest
// deeper than maxNesting, a dotted key has more than maxKeyParts parts, or
// there are more than maxTables tables.
// It skips strings and comments as TOML does, so brackets inside them do
// not count; it returns the offending offset and a message, or "".
func scanNesting(data []byte) (int, string) {
	depth, tables, dots, values := 0, 0, 0, 0
	lineStart := true
	for i := 0; i < len(data); i++ {
		c := data[i]
		switch c {
		case '=', ',', '{', '}', '[', ']', '\n':
			dots = 0
			if c == '=' || c == ',' {
				values++
				if values > maxValues {
					return i, fmt.Sprintf("more than %d keys and array elements; the policy is too large", maxValues)
				}
			}
		case '.':
			// Dots between two resets: the parts of a dotted key, or
			// of a value such as 1.5 (at most two).
			dots++
			if dots >= maxKeyParts {
				return i, fmt.Sprintf("a dotted key has more than %d parts; use a table header", maxKeyParts)
			}
		}
		switch c {
		case '\n':
			lineStart = true
			continue
		case ' ', '\t', '\r':
			continue
		case '#':
			for i < len(data) && data[i] != '\n' {
				i++
			}
			i--
			continue
		case '"', '\'':
			i = skipStringAt(data, i) - 1
		case '[', '{':
			depth++
			if depth > maxNesting {
				return i, fmt.Sprintf("arrays and inline tables nest more than %d levels deep; flatten the structure", maxNesting)
			}
			if c == '{' || (lineStart && i+1 < len(data) && data[i+1] == '[') {
				tables++
				if tables > maxTables {
					return i, fmt.Sprintf("more than %d tables; the policy is too large", maxTables)
				}
			}
		case ']', '}':
			if depth > 0 {
				depth--
			}
		}
		lineStart = false
	}
	return 0, ""
}

// skipStringAt returns the offset just after the string starting at i (or
// the end of the line for an unterminated one-line string).
func skipStringAt(data []byte, i int) int {
	q := data[i]
	at := func(j int) byte {
		if j < len(data) {
			return data[j]
		}
		return 0
	}
	if at(i+1) == q && at(i+2) == q {
		j := i + 3
		for j < len(data) {
			if data[j] == '\\' && q == '"' {
				j += 2
				continue
			}
			if data[j] == q && at(j+1) == q && at(j+2) == q {
				j += 3
				for k := 0; k < 2 && at(j) == q; k++ {
					j++
				}
				return j
			}
			j++
		}
		return len(data)
	}
	j := i + 1
	for j < len(data) {
		switch {
		case data[j] == '\n':
			return j
		case data[j] == '\\' && q == '"':
			j += 2
			continue
		case data[j] == q:
			return j + 1
		}
		j++
	}
	if j > len(data) {
		j = len(data)
	}
	return j
}
