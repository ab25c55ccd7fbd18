package policy

import "sort"

// Apply returns the status the cluster reaches when every action of t
// succeeds, as crm_simulate's revised status: started resources run,
// stopped ones are gone (with their failure cleared; fail counts stay),
// fenced nodes are offline and run nothing. st is not modified.
func (t Transition) Apply(st Status) Status {
	out := Status{Quorate: st.Quorate, DC: st.DC}
	if st.ExecutionDate != nil {
		d := *st.ExecutionDate
		out.ExecutionDate = &d
	}
	fenced := map[string]bool{}
	for _, n := range t.Fenced {
		fenced[n] = true
	}
	type key struct{ node, id string }
	res := map[key]*ResourceStatus{}
	var order []key
	nodeIdx := map[string]int{}
	for _, ns := range st.Nodes {
		c := NodeStatus{Name: ns.Name, State: ns.State, Standby: ns.Standby, Maintenance: ns.Maintenance}
		if len(ns.Attributes) > 0 {
			c.Attributes = make(map[string]string, len(ns.Attributes))
			for k, v := range ns.Attributes {
				c.Attributes[k] = v
			}
		}
		if fenced[ns.Name] {
			c.State = NodeOffline
		}
		nodeIdx[ns.Name] = len(out.Nodes)
		out.Nodes = append(out.Nodes, c)
		if fenced[ns.Name] {
			continue
		}
		for _, r := range ns.Resources {
			rc := r
			rc.Failures = append([]OpRecord(nil), r.Failures...)
			rc.Ops = append([]OpRecord(nil), r.Ops...)
			k := key{ns.Name, r.ID}
			res[k] = &rc
			order = append(order, k)
		}
	}
	get := func(node, id string) *ResourceStatus {
		k := key{node, id}
		if r, ok := res[k]; ok {
			return r
		}
		r := &ResourceStatus{ID: id, Role: RoleStopped}
		res[k] = r
		order = append(order, k)
		if _, ok := nodeIdx[node]; !ok {
			nodeIdx[node] = len(out.Nodes)
			out.Nodes = append(out.Nodes, NodeStatus{Name: node, State: NodeOnline})
		}
		return r
	}
	for _, a := range t.Actions {
		if a.Kind == ActionFence || a.Implied || fenced[a.Node] {
			continue
		}
		switch a.Kind {
		case ActionStop:
			r := get(a.Node, a.Resource)
			r.Role, r.Failed, r.FailedStop, r.Blocked = RoleStopped, false, false, false
		case ActionStart:
			r := get(a.Node, a.Resource)
			r.Role, r.Failed = RoleStarted, false
		case ActionPromote:
			get(a.Node, a.Resource).Role = RolePromoted
		case ActionDemote:
			get(a.Node, a.Resource).Role = RoleUnpromoted
		case ActionClearFailcount:
			r := get(a.Node, a.Resource)
			r.FailCount, r.LastFailure, r.Failures = 0, nil, nil
		case ActionProbe:
			get(a.Node, a.Resource)
		}
	}
	sort.SliceStable(order, func(i, j int) bool {
		if order[i].node != order[j].node {
			return order[i].node < order[j].node
		}
		return order[i].id < order[j].id
	})
	for _, k := range order {
		i, ok := nodeIdx[k.node]
		if !ok {
			continue
		}
		out.Nodes[i].Resources = append(out.Nodes[i].Resources, *res[k])
	}
	return out
}
