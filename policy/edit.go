package policy

import (
	"bytes"
	"fmt"
	"sort"
	"strings"
)

// This file edits a policy file's text in place, for the changes ward
// makes itself (ward resource move|ban|clear|start|stop, ward cluster
// maintenance): the rest of the file (comments, order, layout) stays as
// the operator wrote it. The editor understands only what it needs: a
// table written as a [[header]] to remove, a key written on its own line
// to set or remove, text to append. Anything else is an error, and the
// caller falls back to WriteTOML (which loses comments). Callers should
// check the result means what they intended (parse it and compare).

// Editor collects edits of one policy text; Bytes applies them.
type Editor struct {
	src     []byte
	ix      *lineIndex
	changes []textChange
	tail    []string
}

// textChange replaces src[start:end] with text.
type textChange struct {
	start, end int
	text       string
}

// NewEditor returns an editor of src.
func NewEditor(src []byte) *Editor {
	return &Editor{src: src, ix: buildLineIndex(src)}
}

// lineStart returns the offset of the start of the line holding off.
func (e *Editor) lineStart(off int) int {
	return bytes.LastIndexByte(e.src[:off], '\n') + 1
}

// lineEnd returns the offset just past the newline ending the line
// holding off (len(src) on the last line).
func (e *Editor) lineEnd(off int) int {
	if i := bytes.IndexByte(e.src[off:], '\n'); i >= 0 {
		return off + i + 1
	}
	return len(e.src)
}

// header returns the offset of the [[...]] or [...] header that opens
// table path ("location[3]", "primitive[0]", "cluster").
func (e *Editor) header(path string) (int, error) {
	off, ok := e.ix.pos[path]
	if !ok {
		return 0, fmt.Errorf("policy edit: %s is not in the text", path)
	}
	if off != e.lineStart(off) || e.src[off] != '[' {
		return 0, fmt.Errorf("policy edit: %s is not written as a [table] on its own line", path)
	}
	return off, nil
}

// nextHeader returns the offset of the first table header after off
// that is not path or one of its sub-tables (len(src) when none).
func (e *Editor) nextHeader(path string, off int) int {
	next := len(e.src)
	for p, o := range e.ix.pos {
		if o <= off || o >= next || (path != "" && (p == path || strings.HasPrefix(p, path+"."))) {
			continue
		}
		if o == e.lineStart(o) && e.src[o] == '[' {
			next = o
		}
	}
	return next
}

// lastContentEnd returns the end of the last line in [from, limit) that
// is neither blank nor a comment, or from when there is none.
func (e *Editor) lastContentEnd(from, limit int) int {
	end := from
	for off := from; off < limit; off = e.lineEnd(off) {
		line := strings.TrimSpace(string(e.src[off:e.lineEnd(off)]))
		if line != "" && !strings.HasPrefix(line, "#") {
			end = e.lineEnd(off)
		}
	}
	return end
}

// RemoveTable removes the array-of-tables element path ("location[3]")
// with its sub-tables. Comment and blank lines between its last key and
// the next table stay (they usually belong to the next one).
func (e *Editor) RemoveTable(path string) error {
	start, err := e.header(path)
	if err != nil {
		return err
	}
	end := e.lastContentEnd(e.lineEnd(start), e.nextHeader(path, start))
	if start > 0 {
		prev := e.lineStart(start - 1)
		if strings.TrimSpace(string(e.src[prev:start])) == "" {
			start = prev // the blank line that separated it
		}
	}
	e.changes = append(e.changes, textChange{start: start, end: end})
	return nil
}

// SetKey writes key = value (value in TOML syntax, e.g. `"Stopped"` or
// `true`) in table path, replacing the key's line when it is there, else
// right after the table's header. An empty value removes the key's line.
// The key's current value must fit on its line.
func (e *Editor) SetKey(path, key, value string) error {
	hdr, err := e.header(path)
	if err != nil {
		return err
	}
	if off, ok := e.ix.pos[path+"."+key]; ok {
		ls := e.lineStart(off)
		if ls < hdr || e.nextHeader(path, hdr) < off {
			return fmt.Errorf("policy edit: %s.%s is not written under its table's header", path, key)
		}
		le := e.lineEnd(off)
		_, v, _ := strings.Cut(string(e.src[off:le]), "=")
		v = strings.TrimSpace(v)
		if strings.HasPrefix(v, `"""`) || strings.HasPrefix(v, "'''") || strings.HasPrefix(v, "[") || strings.HasPrefix(v, "{") {
			return fmt.Errorf("policy edit: %s.%s spans lines", path, key)
		}
		text := ""
		if value != "" {
			text = string(e.src[ls:off]) + key + " = " + value + "\n"
		}
		e.changes = append(e.changes, textChange{start: ls, end: le, text: text})
		return nil
	}
	if value == "" {
		return nil
	}
	// After the table's own last key, before its sub-tables.
	at := e.lastContentEnd(e.lineEnd(hdr), e.nextHeader("", hdr))
	if at > 0 && e.src[at-1] != '\n' {
		return fmt.Errorf("policy edit: %s ends without a newline", path)
	}
	e.changes = append(e.changes, textChange{start: at, end: at, text: key + " = " + value + "\n"})
	return nil
}

// Append adds text (whole TOML tables) at the end of the file.
func (e *Editor) Append(text string) {
	e.tail = append(e.tail, text)
}

// Bytes returns the edited text. Overlapping edits are an error.
func (e *Editor) Bytes() ([]byte, error) {
	ch := append([]textChange(nil), e.changes...)
	sort.SliceStable(ch, func(i, j int) bool { return ch[i].start < ch[j].start })
	var b bytes.Buffer
	at := 0
	for _, c := range ch {
		if c.start < at {
			return nil, fmt.Errorf("policy edit: two edits touch the same lines")
		}
		b.Write(e.src[at:c.start])
		b.WriteString(c.text)
		at = c.end
	}
	b.Write(e.src[at:])
	for _, t := range e.tail {
		if b.Len() > 0 && !bytes.HasSuffix(b.Bytes(), []byte("\n")) {
			b.WriteByte('\n')
		}
		if b.Len() > 0 && !bytes.HasSuffix(b.Bytes(), []byte("\n\n")) {
			b.WriteByte('\n')
		}
		b.WriteString(t)
	}
	return b.Bytes(), nil
}

// LocationTOML returns loc as a [[location]] table.
func LocationTOML(loc Location) (string, error) {
	var b bytes.Buffer
	c := Config{Locations: []Location{loc}}
	if err := c.WriteTOML(&b); err != nil {
		return "", err
	}
	s := b.String()
	i := strings.Index(s, "[[location]]")
	if i < 0 {
		return "", fmt.Errorf("policy: location %s did not encode as a table", loc.ID)
	}
	return s[i:], nil
}
