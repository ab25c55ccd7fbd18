package policy

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// This file splits a rule expression into tokens and defines ParseError,
// the error every syntax or validation problem of an expression returns.

// ParseError is a problem in a rule expression at a known position. Its
// message speaks to an operator and is self-contained, for example
//
//	rule "site eq": column 8: expected a value after "eq"
//
// Callers that know the file and key path wrap it with them.
type ParseError struct {
	// Expr is the expression as given.
	Expr string
	// Offset is the byte offset of the problem in Expr (len(Expr) when
	// the expression ends too early).
	Offset int
	// Line and Column locate Offset, both starting at 1; Column counts
	// characters (runes), not bytes.
	Line, Column int
	// Msg says what is wrong, in lower case.
	Msg string
}

// Error formats the error as `rule "EXPR": column N: MSG` (with a line
// number too when the expression spans several lines).
func (e *ParseError) Error() string {
	pos := fmt.Sprintf("column %d", e.Column)
	if strings.ContainsAny(e.Expr, "\n") {
		pos = fmt.Sprintf("line %d, column %d", e.Line, e.Column)
	}
	return fmt.Sprintf("rule %s: %s: %s", quoteExcerpt(e.Expr, e.Offset), pos, e.Msg)
}

// quoteExcerpt quotes s for an error message, shortened to about 80
// bytes around off when it is long.
func quoteExcerpt(s string, off int) string {
	const limit = 80
	if !utf8.ValidString(s) {
		s = strings.ToValidUTF8(s, "\uFFFD")
	}
	if len(s) <= limit {
		return fmt.Sprintf("%q", s)
	}
	from := min(max(off-limit/2, 0), len(s)-limit)
	to := from + limit
	for from > 0 && !utf8.RuneStart(s[from]) {
		from--
	}
	for to < len(s) && !utf8.RuneStart(s[to]) {
		to++
	}
	out := s[from:to]
	if from > 0 {
		out = "..." + out
	}
	if to < len(s) {
		out += "..."
	}
	return fmt.Sprintf("%q", out)
}

func newParseError(src string, off int, format string, args ...any) *ParseError {
	if off > len(src) {
		off = len(src)
	}
	if off < 0 {
		off = 0
	}
	line, col := 1, 1
	for _, r := range src[:off] {
		if r == '\n' {
			line++
			col = 1
			continue
		}
		col++
	}
	return &ParseError{Expr: src, Offset: off, Line: line, Column: col, Msg: fmt.Sprintf(format, args...)}
}

// tokKind is the kind of a token.
type tokKind uint8

const (
	tkEOF    tokKind = iota
	tkWord           // unquoted word: keyword, attribute, value, date
	tkString         // quoted string; text is the unquoted content
	tkLParen         // (
	tkRParen         // )
	tkOp             // == != < > <= >= =
)

// token is one token of a rule expression.
type token struct {
	kind tokKind
	text string
	pos  int // byte offset in the source
}

// describe names t for an error message.
func (t token) describe() string {
	switch t.kind {
	case tkEOF:
		return "the end of the rule"
	case tkString:
		return fmt.Sprintf("quoted string %q", t.text)
	}
	return fmt.Sprintf("%q", t.text)
}

// isWord reports whether t is the unquoted word w.
func (t token) isWord(w string) bool { return t.kind == tkWord && t.text == w }

// isSpace reports whether c separates tokens.
func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

// isSpecial reports whether c ends a word.
func isSpecial(c byte) bool {
	switch c {
	case '(', ')', '"', '\'', '<', '>', '=', '!':
		return true
	}
	return isSpace(c)
}

// lex splits src into tokens, ending with a tkEOF token.
func lex(src string) ([]token, error) {
	if !utf8.ValidString(src) {
		for i := 0; i < len(src); {
			r, n := utf8.DecodeRuneInString(src[i:])
			if r == utf8.RuneError && n <= 1 {
				return nil, newParseError(src, i, "invalid UTF-8 byte 0x%02x", src[i])
			}
			i += n
		}
	}
	var toks []token
	i := 0
	for i < len(src) {
		c := src[i]
		switch {
		case isSpace(c):
			i++
		case c < 0x20 || c == 0x7f:
			return nil, newParseError(src, i, "unexpected control character 0x%02x", c)
		case c == '(':
			toks = append(toks, token{kind: tkLParen, text: "(", pos: i})
			i++
		case c == ')':
			toks = append(toks, token{kind: tkRParen, text: ")", pos: i})
			i++
		case c == '"' || c == '\'':
			s, n, err := lexQuoted(src, i)
			if err != nil {
				return nil, err
			}
			toks = append(toks, token{kind: tkString, text: s, pos: i})
			i += n
		case c == '<' || c == '>' || c == '=' || c == '!':
			op := string(c)
			if i+1 < len(src) && src[i+1] == '=' {
				op += "="
			}
			if op == "!" {
				return nil, newParseError(src, i, `unexpected "!"; write "ne" or "!=" to compare, "not" to negate`)
			}
			toks = append(toks, token{kind: tkOp, text: op, pos: i})
			i += len(op)
		default:
			j := i
			for j < len(src) && !isSpecial(src[j]) && src[j] >= 0x20 && src[j] != 0x7f {
				j++
			}
			toks = append(toks, token{kind: tkWord, text: src[i:j], pos: i})
			i = j
		}
	}
	toks = append(toks, token{kind: tkEOF, pos: len(src)})
	return toks, nil
}

// lexQuoted reads the quoted string starting at src[start] (a " or '). A
// backslash takes the next character literally. It returns the content and
// the number of bytes consumed.
func lexQuoted(src string, start int) (string, int, error) {
	q := src[start]
	var b strings.Builder
	for i := start + 1; i < len(src); i++ {
		c := src[i]
		switch {
		case c == q:
			return b.String(), i + 1 - start, nil
		case c == '\\':
			if i+1 >= len(src) {
				return "", 0, newParseError(src, start, "quoted string is not closed; add a %c", q)
			}
			i++
			c = src[i]
			if c < 0x20 || c == 0x7f {
				return "", 0, newParseError(src, i, "control character 0x%02x inside a quoted string", c)
			}
			b.WriteByte(c)
		case c < 0x20 || c == 0x7f:
			return "", 0, newParseError(src, i, "control character 0x%02x inside a quoted string", c)
		default:
			b.WriteByte(c)
		}
	}
	return "", 0, newParseError(src, start, "quoted string is not closed; add a %c", q)
}
