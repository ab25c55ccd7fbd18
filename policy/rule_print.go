package policy

import "strings"

// This file prints rule expressions in canonical form (Expr.String).

func printExpr(n *node) string {
	var b strings.Builder
	printNode(&b, n)
	return b.String()
}

func printNode(b *strings.Builder, n *node) {
	switch n.kind {
	case kindAnd, kindOr:
		sep := " and "
		if n.kind == kindOr {
			sep = " or "
		}
		for i, k := range n.kids {
			if i > 0 {
				b.WriteString(sep)
			}
			printOperand(b, k)
		}
	case kindNot:
		b.WriteString("not ")
		printOperand(b, n.kids[0])
	case kindDefined:
		b.WriteString("defined " + printAttr(n.attr))
	case kindNotDefined:
		b.WriteString("not_defined " + printAttr(n.attr))
	case kindCmp:
		b.WriteString(printAttr(n.attr) + " " + cmpOpNames[n.op] + " ")
		if n.typ != typeDefault {
			b.WriteString(valueTypeNames[n.typ] + " ")
		}
		b.WriteString(printValue(n.value))
	case kindDateGT:
		b.WriteString("date gt " + n.start.String())
	case kindDateLT:
		b.WriteString("date lt " + n.end.String())
	case kindInRange:
		b.WriteString("date in_range ")
		if n.start != nil {
			b.WriteString(n.start.String() + " ")
		}
		if n.dur != nil {
			b.WriteString("to duration " + n.dur.String())
		} else {
			b.WriteString("to " + n.end.String())
		}
	case kindDateSpec:
		b.WriteString("date-spec " + n.spec.String())
	}
}

// printOperand prints an operand of and/or/not, in parentheses when it is
// itself an and/or.
func printOperand(b *strings.Builder, n *node) {
	if n.kind == kindAnd || n.kind == kindOr {
		b.WriteString("(")
		printNode(b, n)
		b.WriteString(")")
		return
	}
	printNode(b, n)
}

// bareWord reports whether s can be written without quotes.
func bareWord(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if isSpecial(s[i]) || s[i] < 0x20 || s[i] == 0x7f {
			return false
		}
	}
	return true
}

func printAttr(a string) string {
	if bareWord(a) && !valueKeywords[strings.ToLower(a)] {
		return a
	}
	return quote(a)
}

func printValue(v string) string {
	if bareWord(v) && !valueKeywords[strings.ToLower(v)] {
		return v
	}
	return quote(v)
}

// quote writes s in double quotes, escaping backslashes and double quotes.
func quote(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for i := 0; i < len(s); i++ {
		if s[i] == '"' || s[i] == '\\' {
			b.WriteByte('\\')
		}
		b.WriteByte(s[i])
	}
	b.WriteByte('"')
	return b.String()
}
