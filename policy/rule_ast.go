package policy

// This file holds the syntax tree of rule expressions.

// nodeKind is the kind of a rule expression node.
type nodeKind uint8

const (
	kindAnd        nodeKind = iota + 1 // kids: two or more operands
	kindOr                             // kids: two or more operands
	kindNot                            // kids: one operand
	kindDefined                        // attr
	kindNotDefined                     // attr
	kindCmp                            // attr op typ value
	kindDateGT                         // start
	kindDateLT                         // end
	kindInRange                        // start (optional), end or dur
	kindDateSpec                       // spec
)

// cmpOp is a comparison operator.
type cmpOp uint8

const (
	opEQ cmpOp = iota + 1
	opNE
	opLT
	opGT
	opLTE
	opGTE
)

var cmpOpNames = [...]string{opEQ: "eq", opNE: "ne", opLT: "lt", opGT: "gt", opLTE: "lte", opGTE: "gte"}

// valueType is how a comparison interprets its values.
type valueType uint8

const (
	typeDefault valueType = iota // Pacemaker's default: see docs/rules.md
	typeString
	typeInteger
	typeNumber
	typeVersion
)

var valueTypeNames = [...]string{typeString: "string", typeInteger: "integer", typeNumber: "number", typeVersion: "version"}

// node is one node of a rule expression's syntax tree. Which fields are
// used depends on kind.
type node struct {
	kind  nodeKind
	kids  []*node
	attr  string
	op    cmpOp
	typ   valueType
	value string
	start *dateValue
	end   *dateValue
	dur   *durationSpec
	spec  *dateSpec
	// merged is the intersection of the date-specs directly under an
	// "and" when there are two or more; mergedNever says it is empty.
	// NextChange uses them (see rule_next.go).
	merged      *dateSpec
	mergedNever bool
}

// isDate reports whether n is a date term.
func (n *node) isDate() bool {
	switch n.kind {
	case kindDateGT, kindDateLT, kindInRange, kindDateSpec:
		return true
	}
	return false
}
