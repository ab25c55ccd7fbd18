package policy

import (
	"strings"
	"time"
)

// builtinAgents are the agents ward ships; anything else is "ocf:P:T" or
// a name another part of ward resolves.
var builtinAgents = []string{"postgres", "vip", "exec", "dummy", "stateful"}

// checkResources checks groups, clones (building membership first) and
// then primitives with their ops, and every resource's meta options.
func (v *validator) checkResources() {
	v.checkGroups()
	v.checkClones()
	for _, info := range v.res {
		if info.kind == "primitive" && info.group != "" {
			if g, ok := v.res[info.group]; ok && g.clone != "" {
				info.clone = g.clone
			}
		}
	}
	for i := range v.c.Primitives {
		v.checkPrimitive(i)
	}
	for i := range v.c.Groups {
		v.checkMeta(kp("group", i), &v.c.Groups[i].Meta, v.c.Groups[i].ID)
	}
	for i := range v.c.Clones {
		v.checkMeta(kp("clone", i), &v.c.Clones[i].Meta, v.c.Clones[i].ID)
	}
}

// promotable reports whether id is a promotable clone or inside one.
func (v *validator) promotable(id string) bool {
	info, ok := v.res[id]
	if !ok {
		return false
	}
	if info.kind == "clone" {
		return v.c.Clones[info.idx].Promotable
	}
	if info.clone != "" {
		if cl, ok := v.res[info.clone]; ok && cl.kind == "clone" {
			return v.c.Clones[cl.idx].Promotable
		}
	}
	return false
}

func (v *validator) checkGroups() {
	for i := range v.c.Groups {
		g := &v.c.Groups[i]
		p := kp("group", i)
		if len(g.Members) == 0 {
			v.errs.add(p.with("members"), "group has no members; write members = [\"first\", \"second\"] (primitive ids, in start order)")
		}
		seen := map[string]bool{}
		for j, m := range g.Members {
			mp := p.with("members", j)
			info, ok := v.res[m]
			switch {
			case !ok:
				v.errs.add(mp, "unknown resource %q%s", m, didYouMean(m, v.resIDs))
			case info.kind != "primitive":
				hint := ""
				if info.kind == "clone" {
					hint = "; to run a group on several nodes, clone the group"
				}
				v.errs.add(mp, "group members must be primitives; %q is a %s%s", m, info.kind, hint)
			case seen[m]:
				v.errs.add(mp, "primitive %q is listed twice in this group", m)
			case info.group != "" && info.group != g.ID:
				v.errs.add(mp, "primitive %q is already a member of group %q; a primitive belongs to at most one group", m, info.group)
			default:
				info.group = g.ID
			}
			seen[m] = true
		}
	}
}

func (v *validator) checkClones() {
	for i := range v.c.Clones {
		cl := &v.c.Clones[i]
		p := kp("clone", i)
		rp := p.with("resource")
		info, ok := v.res[cl.Resource]
		switch {
		case cl.Resource == "":
			v.errs.add(rp, "resource is missing; write resource = \"<primitive or group id>\"")
		case cl.Resource == cl.ID:
			v.errs.add(rp, "clone %q clones itself; name the primitive or group to clone", cl.ID)
		case !ok:
			v.errs.add(rp, "unknown resource %q%s", cl.Resource, didYouMean(cl.Resource, v.resIDs))
		case info.kind == "clone":
			v.errs.add(rp, "%q is a clone; a clone of a clone is not allowed: change clone %q instead", cl.Resource, cl.Resource)
		case info.cloned:
			v.errs.add(rp, "resource %q is already cloned by clone %q; a resource is cloned at most once", cl.Resource, info.clone)
		case info.kind == "primitive" && info.group != "":
			v.errs.add(rp, "primitive %q is a member of group %q; clone the group instead", cl.Resource, info.group)
		default:
			info.cloned = true
			info.clone = cl.ID
		}
		if cl.CloneMax != nil && *cl.CloneMax < 0 {
			v.errs.add(p.with("clone_max"), "clone_max is %d; write 0 or more (default: the number of nodes)", *cl.CloneMax)
		}
		if cl.CloneNodeMax != nil && *cl.CloneNodeMax < 1 {
			v.errs.add(p.with("clone_node_max"), "clone_node_max is %d; write 1 or more (default 1)", *cl.CloneNodeMax)
		}
		if !cl.Promotable {
			for _, k := range []struct {
				key string
				val *int
			}{{"promoted_max", cl.PromotedMax}, {"promoted_node_max", cl.PromotedNodeMax}} {
				if k.val != nil {
					v.errs.add(p.with(k.key), "%s applies only to promotable clones; add promotable = true or remove %s", k.key, k.key)
				}
			}
			continue
		}
		if cl.PromotedMax != nil && *cl.PromotedMax < 0 {
			v.errs.add(p.with("promoted_max"), "promoted_max is %d; write 0 or more (default 1)", *cl.PromotedMax)
		}
		if cl.PromotedNodeMax != nil && *cl.PromotedNodeMax < 1 {
			v.errs.add(p.with("promoted_node_max"), "promoted_node_max is %d; write 1 or more (default 1)", *cl.PromotedNodeMax)
		}
	}
}

func (v *validator) checkPrimitive(i int) {
	r := &v.c.Primitives[i]
	p := kp("primitive", i)
	switch {
	case r.Agent == "":
		v.errs.add(p.with("agent"), "agent is missing; write agent = one of %s, or \"ocf:PROVIDER:TYPE\"", strings.Join(builtinAgents, ", "))
	case strings.HasPrefix(r.Agent, "ocf:"):
		parts := strings.Split(r.Agent, ":")
		if len(parts) != 3 || parts[1] == "" || parts[2] == "" {
			v.errs.add(p.with("agent"), "agent %q is not of the form \"ocf:PROVIDER:TYPE\", as in \"ocf:heartbeat:IPaddr2\"", r.Agent)
		}
	}
	v.checkParams(p, r.Params, r.SecretParams)
	v.checkMeta(p, &r.Meta, r.ID)
	v.checkOps(i)
}

// secretWords are parameter names that hold secrets; in params they would
// be printed by `ward policy show` and in logs.
var secretWords = []string{"password", "passwd", "secret", "token", "api_key", "apikey", "private_key"}

// looksSecret reports whether a parameter name suggests a secret value:
// password, db_password, password_hash... but not password_file or
// password_script, which name where the secret is.
func looksSecret(name string) bool {
	n := strings.ToLower(name)
	for _, s := range []string{"_file", "_script", "_path", "_cmd", "_command"} {
		if strings.HasSuffix(n, s) {
			return false
		}
	}
	for _, w := range secretWords {
		if n == w || strings.HasSuffix(n, "_"+w) || strings.HasPrefix(n, w+"_") {
			return true
		}
	}
	return false
}

// checkParams checks that params and secret_params do not share a key and
// that no secret-looking value sits in params.
func (v *validator) checkParams(p keyPath, params, secrets map[string]string) {
	for _, k := range sortedMapKeys(params) {
		if _, both := secrets[k]; both {
			v.errs.add(p.with("params", k), "%q is in both params and secret_params; keep it in secret_params only", k)
			continue
		}
		if looksSecret(k) {
			v.errs.add(p.with("params", k), "%q looks like a secret; move it to secret_params so that it is never printed", k)
		}
	}
}

// checkMeta checks meta options; id is the resource ("" for
// cluster.resource_defaults).
func (v *validator) checkMeta(p keyPath, m *Meta, id string) {
	if r := m.TargetRole; r == RolePromoted || r == RoleUnpromoted {
		switch {
		case id == "":
			v.errs.add(p.with("target_role"), "target_role %q cannot be a default for every resource; write \"Started\" or \"Stopped\"", r)
		case !v.promotable(id):
			v.errs.add(p.with("target_role"), "target_role %q needs a promotable clone, and %q is not in one; write \"Started\"", r, id)
		}
	}
	if m.MigrationThreshold != nil && *m.MigrationThreshold < 0 {
		v.errs.add(p.with("migration_threshold"), "migration_threshold is %d; write 0 (never ban) or more", *m.MigrationThreshold)
	}
	v.checkUtilization(p.with("utilization"), m.Utilization)
}

func (v *validator) checkOps(i int) {
	r := &v.c.Primitives[i]
	byKey := map[string]int{}
	monitors := map[Duration]int{}
	for j := range r.Ops {
		op := &r.Ops[j]
		p := kp("primitive", i, "op", j)
		if op.Name == "" {
			v.errs.add(p.with("name"), "operation name is missing; write name = \"monitor\" (or %s)", strings.Join(opNames, ", "))
		} else if !v.enum(p.with("name"), op.Name, opNames) {
			continue
		}
		ivl := op.Interval
		if ivl != 0 && ivl.D() < time.Second {
			v.errs.add(p.with("interval"), "interval %s is shorter than 1s; write at least \"1s\" (or \"0s\" for a one-shot operation)", ivl)
		}
		if ivl != 0 && op.Name != "monitor" {
			v.errs.add(p.with("interval"), "only monitor operations recur; remove interval from op %q", op.Name)
		}
		if op.Role != RoleUnknown && op.Name != "monitor" {
			v.errs.add(p.with("role"), "role applies to monitor operations only; remove it from op %q", op.Name)
		}
		if (op.Role == RolePromoted || op.Role == RoleUnpromoted) && !v.promotable(r.ID) {
			v.errs.add(p.with("role"), "role %q needs a promotable clone, and %q is not in one", op.Role, r.ID)
		}
		if (op.Name == "promote" || op.Name == "demote") && !v.promotable(r.ID) {
			v.errs.add(p.with("name"), "op %q never runs: %q is not in a promotable clone", op.Name, r.ID)
		}
		key := op.Name + "/" + ivl.String()
		if k, dup := byKey[key]; dup && !(op.Name == "monitor" && ivl != 0) {
			v.errs.add(p, "op %q with interval %s is defined twice (also %s)", op.Name, ivl, v.where(kp("primitive", i, "op", k)))
			continue
		}
		byKey[key] = j
		if op.Name == "monitor" && ivl != 0 {
			if k, dup := monitors[ivl]; dup {
				v.errs.add(p.with("interval"), "two monitors with interval %s (also %s); monitors of one resource need distinct intervals, even for different roles: use for example \"10s\" and \"11s\"", ivl, v.where(kp("primitive", i, "op", k)))
			} else {
				monitors[ivl] = j
			}
		}
		v.checkOnFail(p, op, r.ID)
	}
}

func (v *validator) checkOnFail(p keyPath, op *Op, id string) {
	if op.OnFail == "" {
		return
	}
	if !v.enum(p.with("on_fail"), string(op.OnFail), onFails) {
		return
	}
	switch op.OnFail {
	case OnFailDemote:
		if op.Name != "promote" && !(op.Name == "monitor" && op.Role == RolePromoted) {
			v.errs.add(p.with("on_fail"), "on_fail = \"demote\" applies only to promote and to monitor with role = \"Promoted\"")
		}
	case OnFailFence:
		if !*v.c.Cluster.StonithEnabled {
			v.errs.add(p.with("on_fail"), "on_fail = \"fence\" needs fencing, but stonith_enabled = false; use \"block\" or enable fencing")
		}
	}
}
