package policy

import (
	"strconv"
	"strings"
)

// This file holds the parser of rule expressions. The grammar is in
// docs/rules.md; in short:
//
//	expr    := unary { "and" unary } | unary { "or" unary }   (no mixing without parentheses)
//	unary   := "not" unary | "(" expr ")" | term
//	term    := "defined" ATTR | "not_defined" ATTR
//	         | ATTR CMP [TYPE] VALUE
//	         | "date" ("gt" | "lt") DATE
//	         | "date" "in_range" [DATE] "to" (DATE | "duration" FIELD=N...)
//	         | "date-spec" FIELD=RANGE...

// ParseExpr parses and validates a rule expression. Every error is a
// *ParseError that names the column of the problem.
func ParseExpr(s string) (*Expr, error) {
	if len(s) > MaxExprLen {
		return nil, newParseError(s, MaxExprLen, "rule is %d bytes long; the limit is %d", len(s), MaxExprLen)
	}
	toks, err := lex(s)
	if err != nil {
		return nil, err
	}
	p := &parser{src: s, toks: toks}
	if p.peek().kind == tkEOF {
		return nil, p.errAt(p.peek(), "rule is empty; write a condition such as %s", `"site eq east"`)
	}
	root, err := p.parseBool(0)
	if err != nil {
		return nil, err
	}
	if t := p.peek(); t.kind != tkEOF {
		if t.kind == tkRParen {
			return nil, p.errAt(t, `unexpected ")" without a matching "("`)
		}
		if l := strings.ToLower(t.text); t.kind == tkWord && (l == "and" || l == "or") {
			return nil, p.errAt(t, "keywords are lower case: write %q, not %q", l, t.text)
		}
		return nil, p.errAt(t, `unexpected %s after a complete condition; expected "and", "or" or the end of the rule`, t.describe())
	}
	return &Expr{root: root, dates: p.dates}, nil
}

// parser is a recursive-descent parser over the token slice. Recursion is
// bounded by MaxExprDepth.
type parser struct {
	src   string
	toks  []token
	i     int
	dates []*node
}

func (p *parser) peek() token { return p.toks[p.i] }

func (p *parser) peekAt(k int) token {
	if p.i+k < len(p.toks) {
		return p.toks[p.i+k]
	}
	return p.toks[len(p.toks)-1]
}

func (p *parser) next() token {
	t := p.toks[p.i]
	if t.kind != tkEOF {
		p.i++
	}
	return t
}

func (p *parser) errAt(t token, format string, args ...any) *ParseError {
	return newParseError(p.src, t.pos, format, args...)
}

// parseBool parses operands joined by one kind of connective.
func (p *parser) parseBool(depth int) (*node, error) {
	first, err := p.parseUnary(depth)
	if err != nil {
		return nil, err
	}
	kids := []*node{first}
	conn := ""
	for {
		t := p.peek()
		if !t.isWord("and") && !t.isWord("or") {
			break
		}
		if conn == "" {
			conn = t.text
		} else if t.text != conn {
			return nil, p.errAt(t, `"and" and "or" cannot be mixed without parentheses; write "(a and b) or c" or "a and (b or c)"`)
		}
		p.next()
		k, err := p.parseUnary(depth)
		if err != nil {
			return nil, err
		}
		kids = append(kids, k)
	}
	if len(kids) == 1 {
		return first, nil
	}
	kind := kindAnd
	if conn == "or" {
		kind = kindOr
	}
	n := &node{kind: kind}
	for _, k := range kids {
		if k.kind == kind { // "(a and b) and c" is "a and b and c"
			n.kids = append(n.kids, k.kids...)
		} else {
			n.kids = append(n.kids, k)
		}
	}
	if kind == kindAnd {
		n.merged, n.mergedNever = mergeSpecs(n.kids)
	}
	return n, nil
}

func (p *parser) parseUnary(depth int) (*node, error) {
	t := p.peek()
	if depth >= MaxExprDepth && (t.kind == tkLParen || t.isWord("not")) {
		return nil, p.errAt(t, "rule nests parentheses and \"not\" deeper than %d levels", MaxExprDepth)
	}
	switch {
	case t.kind == tkLParen:
		p.next()
		n, err := p.parseBool(depth + 1)
		if err != nil {
			return nil, err
		}
		if c := p.peek(); c.kind != tkRParen {
			return nil, p.errAt(c, `expected ")" to close the "(" at column %d, found %s`, newParseError(p.src, t.pos, "").Column, c.describe())
		}
		p.next()
		return n, nil
	case t.isWord("not"):
		p.next()
		k, err := p.parseUnary(depth + 1)
		if err != nil {
			return nil, err
		}
		return &node{kind: kindNot, kids: []*node{k}}, nil
	}
	return p.parseTerm()
}

// termKeywords cannot be attribute names unless quoted.
var termKeywords = map[string]bool{"and": true, "or": true, "not": true, "defined": true, "not_defined": true, "date": true, "date-spec": true}

// valueKeywords are quoted when printed as values, so that a reader never
// mistakes them for syntax.
var valueKeywords = map[string]bool{
	"and": true, "or": true, "not": true, "defined": true, "not_defined": true, "date": true, "date-spec": true,
	"string": true, "integer": true, "number": true, "version": true, "to": true, "duration": true,
	"eq": true, "ne": true, "lt": true, "gt": true, "lte": true, "gte": true, "in_range": true,
}

func (p *parser) parseTerm() (*node, error) {
	t := p.peek()
	switch {
	case t.kind == tkEOF:
		return nil, p.errAt(t, "rule ends where a condition was expected")
	case t.kind == tkRParen:
		return nil, p.errAt(t, `expected a condition before ")"`)
	case t.kind == tkOp:
		return nil, p.errAt(t, "expected a condition (an attribute name, \"defined\", \"date\" or \"date-spec\"), found %s", t.describe())
	case t.isWord("and") || t.isWord("or"):
		return nil, p.errAt(t, "expected a condition before %q", t.text)
	case t.isWord("defined") || t.isWord("not_defined"):
		p.next()
		a, err := p.attrAfter(t)
		if err != nil {
			return nil, err
		}
		kind := kindDefined
		if t.text == "not_defined" {
			kind = kindNotDefined
		}
		return &node{kind: kind, attr: a}, nil
	case t.isWord("date"):
		p.next()
		return p.parseDateTerm()
	case t.isWord("date-spec"):
		p.next()
		return p.parseDateSpec(t)
	}
	// ATTR CMP [TYPE] VALUE
	attrTok := p.next()
	if attrTok.kind == tkString && attrTok.text == "" {
		return nil, p.errAt(attrTok, "attribute name is empty")
	}
	attr := attrTok.text
	if attrTok.kind == tkWord && (attr == "date_spec" || attr == "datespec") {
		return nil, p.errAt(attrTok, `write "date-spec" (with a hyphen), as in "date-spec hours=9-16"`)
	}
	if lower := strings.ToLower(attr); attrTok.kind == tkWord && lower != attr && termKeywords[lower] {
		return nil, p.errAt(attrTok, "keywords are lower case: write %q, not %q (quote it if it is an attribute name)", lower, attr)
	}
	opTok := p.next()
	op, ok := parseCmpOp(opTok)
	if !ok {
		switch {
		case opTok.kind == tkOp && opTok.text == "=":
			return nil, p.errAt(opTok, `"=" is not a comparison; write "eq" or "=="`)
		case opTok.kind == tkEOF:
			return nil, p.errAt(opTok, "expected a comparison (eq, ne, lt, gt, lte, gte) after attribute %q", attr)
		}
		return nil, p.errAt(opTok, "expected a comparison (eq, ne, lt, gt, lte, gte) after attribute %q, found %s", attr, opTok.describe())
	}
	n := &node{kind: kindCmp, attr: attr, op: op}
	if tt := p.peek(); tt.kind == tkWord {
		if typ, isType := parseValueType(tt.text); isType {
			if v := p.peekAt(1); v.kind == tkString || (v.kind == tkWord && !v.isWord("and") && !v.isWord("or")) {
				p.next()
				n.typ = typ
			}
		}
	}
	vt := p.peek()
	if vt.kind != tkString && (vt.kind != tkWord || vt.isWord("and") || vt.isWord("or")) {
		if vt.kind == tkEOF {
			return nil, p.errAt(vt, "expected a value after %q", opTok.text)
		}
		return nil, p.errAt(vt, "expected a value after %q, found %s (quote values that contain spaces or keywords)", opTok.text, vt.describe())
	}
	p.next()
	if vt.text == "" {
		return nil, p.errAt(vt, "value is empty; to test for a missing attribute write %q", "not_defined "+printAttr(attr))
	}
	n.value = vt.text
	if msg := checkTypedValue(n.typ, n.value); msg != "" {
		return nil, p.errAt(vt, "%s", msg)
	}
	return n, nil
}

// attrAfter reads the attribute name after "defined" or "not_defined".
func (p *parser) attrAfter(kw token) (string, error) {
	t := p.peek()
	if t.kind == tkString && t.text != "" {
		p.next()
		return t.text, nil
	}
	if t.kind == tkWord && !termKeywords[t.text] {
		p.next()
		return t.text, nil
	}
	return "", p.errAt(t, "expected an attribute name after %q, found %s", kw.text, t.describe())
}

func parseCmpOp(t token) (cmpOp, bool) {
	if t.kind == tkOp {
		switch t.text {
		case "==":
			return opEQ, true
		case "!=":
			return opNE, true
		case "<":
			return opLT, true
		case ">":
			return opGT, true
		case "<=":
			return opLTE, true
		case ">=":
			return opGTE, true
		}
		return 0, false
	}
	if t.kind != tkWord {
		return 0, false
	}
	for op, name := range cmpOpNames {
		if name != "" && name == t.text {
			return cmpOp(op), true
		}
	}
	return 0, false
}

func parseValueType(s string) (valueType, bool) {
	for typ, name := range valueTypeNames {
		if name != "" && name == s {
			return valueType(typ), true
		}
	}
	return 0, false
}

// checkTypedValue checks a literal against an explicit type.
func checkTypedValue(typ valueType, v string) string {
	switch typ {
	case typeInteger:
		if _, err := strconv.ParseInt(v, 10, 64); err != nil {
			return "value " + strconv.Quote(v) + " is not an integer"
		}
	case typeNumber:
		if _, ok := parseNumber(v); !ok {
			return "value " + strconv.Quote(v) + " is not a number"
		}
	case typeVersion:
		if !isVersion(v) {
			return "value " + strconv.Quote(v) + " is not a version; write numbers separated by dots, such as 2.1.5"
		}
	}
	return ""
}

// isVersion reports whether v is dot-separated decimal numbers.
func isVersion(v string) bool {
	for _, part := range strings.Split(v, ".") {
		if part == "" || len(part) > 18 {
			return false
		}
		for i := 0; i < len(part); i++ {
			if part[i] < '0' || part[i] > '9' {
				return false
			}
		}
	}
	return true
}
