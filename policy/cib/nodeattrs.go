package cib

import (
	"fmt"
	"sort"
	"strings"

	"github.com/ward-ha/ward/policy"
)

// Node attributes that depend on a rule (an instance_attributes set of a
// <node> with a <rule>, typically a date range) have no place in ward's
// static node attributes. The import keeps them by rewriting the location
// rules that test such an attribute: on a node with conditional values the
// test becomes "#uname eq NODE and (the set conditions under which the
// value in force passes the test)", evaluated by ward at scheduling time.

// attrSet is one instance_attributes set of a node, in priority order.
type attrSet struct {
	cond   string // rule in ward's language; "" for an unconditional set
	values map[string]string
}

// condNode holds a node's attribute sets when some of them are
// conditional.
type condNode struct {
	name string
	sets []attrSet
}

// readConditionalNodeSets records the attribute sets of node n when any
// of them has a rule. It returns false when a rule cannot be converted
// (the sets with rules are then ignored, as reported).
func (im *importer) readConditionalNodeSets(n *element, name string) {
	type raw struct {
		el    *element
		score int
	}
	var sets []raw
	hasRule := false
	for _, s := range n.all("instance_attributes") {
		s = im.deref(s)
		if s == nil {
			continue
		}
		sc := 0
		if v := s.attr("score"); v != "" {
			if p, err := policy.ParseScore(v); err == nil {
				sc = int(p)
			}
		}
		if s.child("rule") != nil {
			hasRule = true
		}
		sets = append(sets, raw{s, sc})
	}
	if !hasRule {
		return
	}
	sort.SliceStable(sets, func(i, j int) bool { return sets[i].score > sets[j].score })
	cn := condNode{name: name}
	for _, s := range sets {
		as := attrSet{values: map[string]string{}}
		if r := s.el.child("rule"); r != nil {
			im.inNodeRule = true
			text, err := im.ruleText(r)
			im.inNodeRule = false
			if err != nil {
				im.lossy(s.el, "node attribute set with a rule that cannot be written in ward's rule language ("+err.Error()+"); ignored")
				continue
			}
			as.cond = text
		}
		for _, p := range s.el.all("nvpair") {
			if p = im.deref(p); p != nil && p.attr("name") != "" {
				if _, dup := as.values[p.attr("name")]; !dup {
					as.values[p.attr("name")] = p.attr("value")
				}
			}
		}
		cn.sets = append(cn.sets, as)
		if as.cond != "" {
			for k := range as.values {
				im.condAttrs[k] = true
			}
			im.note(s.el, "node attribute set with a rule: location rules that test its attributes are rewritten to test the rule's condition on this node")
		}
	}
	im.condNodes = append(im.condNodes, cn)
}

// condExpr rewrites the comparison base (already in ward's language) on
// attribute attr for the nodes whose value of attr depends on a rule. It
// returns base unchanged when no node has a conditional value of attr.
func (im *importer) condExpr(attr, base string) (string, error) {
	if im.inNodeRule || !im.condAttrs[attr] {
		return base, nil
	}
	e, err := policy.ParseExpr(base)
	if err != nil {
		return "", fmt.Errorf("cannot rewrite %q for conditional node attributes: %v", base, err)
	}
	var clauses, others []string
	for _, cn := range im.condNodes {
		defines := false
		for _, s := range cn.sets {
			if _, ok := s.values[attr]; ok && s.cond != "" {
				defines = true
			}
		}
		if !defines {
			continue
		}
		others = append(others, "#uname ne "+quoteValue(cn.name))
		// Terms: the value of set i is in force when its condition holds
		// and no earlier set defining attr applies.
		var terms []string
		var earlier []string
		reachable := true
		for _, s := range cn.sets {
			v, ok := s.values[attr]
			if !ok {
				continue
			}
			match := e.Eval(policy.EvalEnv{Node: cn.name, Attrs: map[string]string{attr: v}})
			if match {
				parts := append([]string(nil), earlier...)
				if s.cond != "" {
					parts = append(parts, "("+s.cond+")")
				}
				terms = append(terms, conj(parts))
			}
			if s.cond == "" {
				reachable = false
				break
			}
			earlier = append(earlier, "not ("+s.cond+")")
		}
		if reachable && e.Eval(policy.EvalEnv{Node: cn.name, Attrs: map[string]string{}}) {
			terms = append(terms, conj(earlier))
		}
		if len(terms) == 0 {
			continue
		}
		clause := "#uname eq " + quoteValue(cn.name)
		if !(len(terms) == 1 && terms[0] == "") {
			var ts []string
			for _, t := range terms {
				if t == "" {
					ts = nil
					break
				}
				ts = append(ts, "("+t+")")
			}
			if ts != nil {
				clause += " and (" + strings.Join(ts, " or ") + ")"
			}
		}
		clauses = append(clauses, "("+clause+")")
	}
	if len(others) == 0 {
		return base, nil
	}
	all := append([]string{"(" + strings.Join(append(others, "("+base+")"), " and ") + ")"}, clauses...)
	out := strings.Join(all, " or ")
	if _, err := policy.ParseExpr(out); err != nil {
		return "", fmt.Errorf("cannot rewrite %q for conditional node attributes: %v", base, err)
	}
	return out, nil
}

func conj(parts []string) string { return strings.Join(parts, " and ") }
