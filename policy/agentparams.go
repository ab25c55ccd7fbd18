package policy

import (
	"slices"
	"sort"
	"strings"
)

// AgentParams is what an agent's meta-data declares of its parameters.
type AgentParams struct {
	// Names lists every parameter the agent declares.
	Names []string
	// Required lists the parameters it requires.
	Required []string
	// Notify reports that the agent declares a notify action: it may
	// rely on clone notifications, which ward does not send yet.
	Notify bool
}

// CheckAgentParams checks the params and secret_params of cfg's
// primitives against what their agents declare. lookup returns the
// declaration of an agent, false for an agent it cannot describe (not
// installed on this machine): that primitive is not checked. problems
// are required parameters that are not set; warnings are parameters the
// agent does not declare (a typo, or a parameter of another version of
// the agent). Both name the file and line; data is the policy text cfg
// was loaded from, name its file name.
func CheckAgentParams(name string, data []byte, cfg *Config, lookup func(agent string) (AgentParams, bool)) (problems, warnings ErrorList) {
	errs, warns := newCollector(), newCollector()
	for i := range cfg.Primitives {
		p := &cfg.Primitives[i]
		ap, ok := lookup(p.Agent)
		if !ok {
			continue
		}
		for _, req := range ap.Required {
			if _, set := p.Params[req]; set {
				continue
			}
			if _, set := p.SecretParams[req]; set {
				continue
			}
			at := kp("primitive", i, "params")
			if p.Params == nil {
				at = kp("primitive", i, "agent")
			}
			errs.add(at, "agent %s requires parameter %q; set it under [primitive.params] (ward agent describe %s lists them all)", p.Agent, req, p.Agent)
		}
		for _, set := range []struct {
			table  string
			params map[string]string
		}{{"params", p.Params}, {"secret_params", p.SecretParams}} {
			keys := make([]string, 0, len(set.params))
			for k := range set.params {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			for _, k := range keys {
				if slices.Contains(ap.Names, k) {
					continue
				}
				warns.add(kp("primitive", i, set.table, k), "agent %s does not declare parameter %q%s (it is passed anyway, as OCF_RESKEY_%s)",
					p.Agent, k, didYouMean(k, ap.Names), k)
			}
		}
	}
	for ci := range cfg.Clones {
		cl := &cfg.Clones[ci]
		if !cl.Notify {
			continue
		}
		for _, p := range clonePrimitives(cfg, cl.Resource) {
			if ap, ok := lookup(p.Agent); ok && ap.Notify && strings.HasPrefix(p.Agent, "ocf:") {
				warns.add(kp("clone", ci, "notify"), "ward does not send clone notifications yet: agent %s (primitive %s) declares a notify action and may rely on notifications to work in a clone; test it before production", p.Agent, p.ID)
			}
		}
	}
	var idx *lineIndex
	if !errs.empty() || !warns.empty() {
		idx = buildLineIndex(data)
	}
	labels := pathLabels(cfg)
	if !errs.empty() {
		problems = errs.list(name, data, idx, labels)
	}
	if !warns.empty() {
		warnings = warns.list(name, data, idx, labels)
	}
	return problems, warnings
}

// clonePrimitives returns the primitives a clone's resource stands for:
// the primitive itself, or a group's members.
func clonePrimitives(cfg *Config, rsc string) []*Primitive {
	members := []string{rsc}
	for _, g := range cfg.Groups {
		if g.ID == rsc {
			members = g.Members
		}
	}
	var out []*Primitive
	for _, m := range members {
		for i := range cfg.Primitives {
			if cfg.Primitives[i].ID == m {
				out = append(out, &cfg.Primitives[i])
			}
		}
	}
	return out
}
