package controller

import (
	"strconv"
	"strings"
	"time"

	"github.com/ward-ha/ward/policy"
	"github.com/ward-ha/ward/resources"
)

// rscSpec is what a node needs to run an operation of one resource
// instance: taken from the DC's policy and sent with each action, so a
// member never acts on a policy it has not got yet.
type rscSpec struct {
	agent  string
	params map[string]string
	meta   map[string]string
	ops    []policy.Op
	optTO  time.Duration
}

// timeout returns the timeout of op (interval 0).
func (s *rscSpec) timeout(op string) time.Duration {
	for _, o := range s.ops {
		if o.Name == op && o.Interval == 0 && o.Timeout > 0 {
			return time.Duration(o.Timeout)
		}
	}
	if s.optTO > 0 {
		return s.optTO
	}
	return resources.DefaultTimeout
}

// monitorOp returns the recurring monitor with interval iv.
func (s *rscSpec) monitorOp(iv time.Duration) (policy.Op, bool) {
	for _, o := range s.ops {
		if o.Name == "monitor" && time.Duration(o.Interval) == iv {
			return o, true
		}
	}
	return policy.Op{}, false
}

// resourceSpec finds the primitive of instance id ("db" or "web:2").
func resourceSpec(cfg *policy.Config, id string) *rscSpec {
	base := id
	if i := strings.LastIndexByte(id, ':'); i > 0 {
		if _, err := strconv.Atoi(id[i+1:]); err == nil {
			base = id[:i]
		}
	}
	var prim *policy.Primitive
	for i := range cfg.Primitives {
		if cfg.Primitives[i].ID == base || cfg.Primitives[i].ID == id {
			prim = &cfg.Primitives[i]
			break
		}
	}
	if prim == nil {
		return nil
	}
	s := &rscSpec{agent: prim.Agent, params: map[string]string{}, meta: map[string]string{}, ops: prim.Ops,
		optTO: time.Duration(cfg.Cluster.OpDefaults.Timeout)}
	for k, v := range prim.Params {
		s.params[k] = v
	}
	for k, v := range prim.SecretParams {
		s.params[k] = v
	}
	parent := prim.ID
	for _, g := range cfg.Groups {
		for _, m := range g.Members {
			if m == prim.ID {
				parent = g.ID
			}
		}
	}
	for _, cl := range cfg.Clones {
		if cl.Resource != parent && cl.Resource != prim.ID {
			continue
		}
		s.meta["clone"] = "true"
		n := len(cfg.Nodes)
		if cl.CloneMax != nil {
			n = *cl.CloneMax
		}
		s.meta["clone_max"] = strconv.Itoa(n)
		s.meta["clone_node_max"] = "1"
		if cl.CloneNodeMax != nil {
			s.meta["clone_node_max"] = strconv.Itoa(*cl.CloneNodeMax)
		}
		s.meta["globally_unique"] = strconv.FormatBool(cl.GloballyUnique)
		s.meta["notify"] = strconv.FormatBool(cl.Notify)
		if cl.Promotable {
			s.meta["promotable"] = "true"
			pm, pnm := 1, 1
			if cl.PromotedMax != nil {
				pm = *cl.PromotedMax
			}
			if cl.PromotedNodeMax != nil {
				pnm = *cl.PromotedNodeMax
			}
			s.meta["promoted_max"] = strconv.Itoa(pm)
			s.meta["promoted_node_max"] = strconv.Itoa(pnm)
		}
	}
	return s
}

// actionFor is actionFor for the DC's dispatch: a promote also gets
// MetaDownNodes, the policy's nodes that are not members now.
func (l *loopState) actionFor(cfg *policy.Config, a policy.Action) (*actionMsg, bool) {
	m, ok := actionFor(cfg, a)
	if ok && a.Kind == policy.ActionPromote {
		m.Meta[MetaDownNodes] = strings.Join(l.downNodes(cfg), ",")
	}
	return m, ok
}

// actionFor builds the message that runs a on its node.
func actionFor(cfg *policy.Config, a policy.Action) (*actionMsg, bool) {
	m := &actionMsg{ID: a.ID, Kind: a.Kind, Resource: a.Resource, Node: a.Node, IntervalMS: time.Duration(a.Interval).Milliseconds()}
	if a.Kind == policy.ActionFence || a.Kind == policy.ActionClearFailcount {
		return m, true
	}
	s := resourceSpec(cfg, a.Resource)
	if s == nil {
		return nil, false
	}
	m.Agent, m.Params, m.Meta = s.agent, s.params, s.meta
	op := string(a.Kind)
	if a.Kind == policy.ActionProbe {
		op = "monitor"
	}
	to := s.timeout(op)
	if a.Kind == policy.ActionMonitor {
		if o, ok := s.monitorOp(time.Duration(a.Interval)); ok {
			if o.Timeout > 0 {
				to = time.Duration(o.Timeout)
			}
			if o.Role == policy.RolePromoted {
				m.Expect = int(resources.RunningPromoted)
			}
		}
	}
	m.TimeoutMS = to.Milliseconds()
	return m, true
}
