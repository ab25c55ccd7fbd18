package cib

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// Limits on the XML Import accepts. A real CIB of a large cluster is a few
// megabytes with a nesting depth below 20; these bounds reject hostile input
// long before it can exhaust memory.
const (
	// MaxInputSize is the largest CIB accepted, in bytes.
	MaxInputSize = 64 << 20
	// MaxDepth is the deepest element nesting accepted.
	MaxDepth = 64
	// MaxAttrs is the largest number of attributes on one element.
	MaxAttrs = 256
	// MaxElements is the largest number of elements in one CIB.
	MaxElements = 2_000_000
)

// element is one XML element of the CIB, with its attributes in document
// order and its line in the input.
type element struct {
	name     string
	attrs    []xml.Attr
	children []*element
	parent   *element
	line     int
}

// attr returns the value of attribute name, or "" when it is absent.
func (e *element) attr(name string) string {
	v, _ := e.lookup(name)
	return v
}

// lookup returns the value of attribute name and whether it is present.
func (e *element) lookup(name string) (string, bool) {
	for _, a := range e.attrs {
		if a.Name.Local == name && a.Name.Space == "" {
			return a.Value, true
		}
	}
	return "", false
}

// child returns the first child element called name, or nil.
func (e *element) child(name string) *element {
	for _, c := range e.children {
		if c.name == name {
			return c
		}
	}
	return nil
}

// all returns the child elements called name, in document order.
func (e *element) all(name string) []*element {
	var out []*element
	for _, c := range e.children {
		if c.name == name {
			out = append(out, c)
		}
	}
	return out
}

// path names the element for an operator: its ancestry with the id of
// every element that has one, for example
// /cib/configuration/resources/primitive[@id='db'].
func (e *element) path() string {
	var parts []string
	for x := e; x != nil; x = x.parent {
		p := x.name
		if id := x.attr("id"); id != "" {
			p += "[@id='" + id + "']"
		}
		parts = append(parts, p)
	}
	var b strings.Builder
	for i := len(parts) - 1; i >= 0; i-- {
		b.WriteByte('/')
		b.WriteString(parts[i])
	}
	return b.String()
}

// parseXML reads data as one XML document into an element tree. Errors
// name the file (name) and the line.
func parseXML(name string, data []byte) (*element, error) {
	if len(data) > MaxInputSize {
		return nil, fmt.Errorf("%s: input is %d bytes, more than the %d bytes a CIB may have", name, len(data), MaxInputSize)
	}
	d := xml.NewDecoder(bytes.NewReader(data))
	d.Strict = true
	d.Entity = nil
	// A CIB is ASCII or UTF-8; other declared encodings are refused
	// rather than guessed.
	d.CharsetReader = func(charset string, input io.Reader) (io.Reader, error) {
		switch strings.ToLower(charset) {
		case "utf-8", "utf8", "us-ascii", "ascii":
			return input, nil
		}
		return nil, fmt.Errorf("encoding %q is not supported; convert the file to UTF-8", charset)
	}
	var root, cur *element
	depth, count := 0, 0
	for {
		line, _ := d.InputPos()
		tok, err := d.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			var se *xml.SyntaxError
			if errors.As(err, &se) {
				return nil, fmt.Errorf("%s:%d: malformed XML: %s", name, se.Line, se.Msg)
			}
			return nil, fmt.Errorf("%s:%d: malformed XML: %w", name, line, err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			line, _ = d.InputPos()
			depth++
			count++
			if depth > MaxDepth {
				return nil, fmt.Errorf("%s:%d: element <%s> is nested %d deep, more than the %d allowed", name, line, t.Name.Local, depth, MaxDepth)
			}
			if count > MaxElements {
				return nil, fmt.Errorf("%s:%d: more than %d elements", name, line, MaxElements)
			}
			if len(t.Attr) > MaxAttrs {
				return nil, fmt.Errorf("%s:%d: element <%s> has %d attributes, more than the %d allowed", name, line, t.Name.Local, len(t.Attr), MaxAttrs)
			}
			e := &element{name: t.Name.Local, attrs: t.Attr, parent: cur, line: line}
			if cur == nil {
				if root != nil {
					return nil, fmt.Errorf("%s:%d: a second root element <%s> after </%s>", name, line, e.name, root.name)
				}
				root = e
			} else {
				cur.children = append(cur.children, e)
			}
			cur = e
		case xml.EndElement:
			depth--
			if cur != nil {
				cur = cur.parent
			}
		case xml.Directive:
			s := strings.TrimSpace(string(t))
			if strings.HasPrefix(strings.ToUpper(s), "DOCTYPE") {
				return nil, fmt.Errorf("%s:%d: DOCTYPE declarations are not accepted in a CIB (they can declare entities); remove it", name, line)
			}
			return nil, fmt.Errorf("%s:%d: XML directive <!%s> is not accepted in a CIB", name, line, truncate(s, 20))
		case xml.CharData:
			if cur == nil && len(bytes.TrimSpace(t)) > 0 {
				return nil, fmt.Errorf("%s:%d: text outside the root element", name, line)
			}
		}
	}
	if root == nil {
		return nil, fmt.Errorf("%s: no XML element found; is this a CIB?", name)
	}
	return root, nil
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}

// atoi parses a decimal integer, reporting ok=false for anything else.
func atoi(s string) (int, bool) {
	n, err := strconv.Atoi(strings.TrimSpace(s))
	return n, err == nil
}
