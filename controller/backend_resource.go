package controller

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/ward-ha/ward/api"
	"github.com/ward-ha/ward/policy"
)

// This file implements the resource and cluster commands of api.Backend
// (ward resource move|ban|clear|start|stop|cleanup, ward cluster
// maintenance). Every command but cleanup is a change of the live
// policy: the DC parses the live source, edits the model, writes it back
// (normalized: comments are not kept) and applies it as a new epoch
// through applyPolicy, so it is replicated exactly like `ward policy
// apply`. Cleanup clears fail counts on the executors (msgCleanup).

// msgCleanup asks a member to clear a resource's failures (Source holds
// the resource IDs, one a line).
const msgCleanup msgKind = "cleanup"

// ResourceAction moves, bans, clears, starts, stops or cleans up a
// resource; see api.Backend.
func (c *Controller) ResourceAction(ctx context.Context, req api.ResourceRequest) (api.ResourceResult, error) {
	if err := req.Check(); err != nil {
		return api.ResourceResult{}, err
	}
	ch := make(chan resourceReply, 1)
	if err := c.call(ctx, func(ctx context.Context) { c.resourceAction(ctx, req, ch) }); err != nil {
		return api.ResourceResult{}, err
	}
	r, err := wait(ctx, ch)
	if err != nil {
		return api.ResourceResult{}, err
	}
	if r.err != nil {
		return api.ResourceResult{}, r.err
	}
	if r.apply == nil {
		return r.res, nil
	}
	ar, err := wait(ctx, r.apply)
	if err != nil {
		return api.ResourceResult{}, err
	}
	if ar.err != nil {
		return api.ResourceResult{}, ar.err
	}
	r.res.Applied, r.res.Epoch, r.res.Actions, r.res.Warnings = ar.res.Applied, ar.res.Epoch, ar.res.Actions, ar.res.Warnings
	return r.res, nil
}

// SetCluster turns cluster maintenance on or off in the live policy.
func (c *Controller) SetCluster(ctx context.Context, req api.ClusterRequest) (api.ApplyResult, error) {
	if req.Maintenance == nil {
		return api.ApplyResult{}, api.Errorf(api.CodeBadRequest, "cluster request: maintenance is missing")
	}
	ch := make(chan applyReply, 1)
	err := c.call(ctx, func(ctx context.Context) {
		c.editPolicy(ctx, func(cfg *policy.Config) error {
			cfg.Cluster.Maintenance = *req.Maintenance
			return nil
		}, func(_ *policy.Config, e *policy.Editor) error {
			return e.SetKey("cluster", "maintenance", strconv.FormatBool(*req.Maintenance))
		}, ch)
	})
	if err != nil {
		return api.ApplyResult{}, err
	}
	r, err := wait(ctx, ch)
	if err != nil {
		return api.ApplyResult{}, err
	}
	return r.res, r.err
}

// resourceReply is the loop's answer; apply, when set, carries the
// policy change's answer.
type resourceReply struct {
	res   api.ResourceResult
	err   error
	apply chan applyReply
}

// resourceAction runs on the loop.
func (c *Controller) resourceAction(ctx context.Context, req api.ResourceRequest, reply chan resourceReply) {
	l := &c.loop
	res := api.ResourceResult{Resource: req.Resource, Action: req.Action, Epoch: l.pol.Epoch}
	kind := resourceKind(l.cfg, req.Resource)
	if kind == "" {
		reply <- resourceReply{err: api.Errorf(api.CodeNotFound, "resource %q is not in the policy (epoch %d): see ward status", req.Resource, l.pol.Epoch)}
		return
	}
	if req.Node != "" && !l.known2(req.Node) {
		reply <- resourceReply{err: api.Errorf(api.CodeUnknownNode, "node %q is not in the policy", req.Node)}
		return
	}
	if err := c.changeAllowed(); err != nil {
		reply <- resourceReply{err: err}
		return
	}
	if req.Action == api.ResourceCleanup {
		res.Nodes = c.cleanup(ctx, req.Resource, req.Node)
		reply <- resourceReply{res: res}
		return
	}
	d, _ := req.Duration()
	var expires time.Time
	if d > 0 {
		expires = c.clk.Now().Add(d).UTC().Truncate(time.Second)
		res.Expires = &expires
	}
	var edit func(cfg *policy.Config) error
	var text func(orig *policy.Config, e *policy.Editor) error // the same change on the text
	var dropped []string                                       // location ids edit removed
	var added *policy.Location
	removeAndAdd := func(orig *policy.Config, e *policy.Editor) error {
		for _, id := range dropped {
			if err := e.RemoveTable(fmt.Sprintf("location[%d]", locationIndex(orig, id))); err != nil {
				return err
			}
		}
		if added != nil {
			t, err := policy.LocationTOML(*added)
			if err != nil {
				return err
			}
			e.Append(t)
		}
		return nil
	}
	switch req.Action {
	case api.ResourceMove, api.ResourceBan:
		node := req.Node
		if node == "" {
			cur := c.currentNodes(req.Resource)
			switch {
			case kind == "clone":
				reply <- resourceReply{err: api.Errorf(api.CodeBadRequest, "resource %s is a clone: name the node (ward resource %s %s NODE)", req.Resource, req.Action, req.Resource)}
				return
			case len(cur) == 0:
				reply <- resourceReply{err: api.Errorf(api.CodeBadRequest, "resource %s runs nowhere now: name the node (ward resource %s %s NODE)", req.Resource, req.Action, req.Resource)}
				return
			}
			node = cur[0]
		}
		prefer := req.Action == api.ResourceMove && req.Node != ""
		edit = func(cfg *policy.Config) error {
			loc := policy.Location{Resource: req.Resource, Node: node}
			if !expires.IsZero() {
				loc.Expires = expires.Format(time.RFC3339)
			}
			if prefer {
				loc.ID, loc.Score = api.PreferPrefix+req.Resource, scorePtr(policy.Infinity)
				if kind == "clone" && promotable(cfg, req.Resource) {
					loc.Role = policy.RolePromoted
				}
				// A move replaces the previous move and lifts a ban from the target.
				dropped = dropLocations(cfg, func(x policy.Location) bool {
					return x.ID == loc.ID || x.ID == banID(req.Resource, node)
				})
			} else {
				loc.ID, loc.Score = banID(req.Resource, node), scorePtr(-policy.Infinity)
				dropped = dropLocations(cfg, func(x policy.Location) bool {
					return x.ID == loc.ID || (x.ID == api.PreferPrefix+req.Resource && x.Node == node)
				})
			}
			cfg.Locations = append(cfg.Locations, loc)
			added = &loc
			res.Added = []string{loc.ID}
			res.Removed = slices.DeleteFunc(slices.Clone(dropped), func(id string) bool { return id == loc.ID })
			return nil
		}
		text = removeAndAdd
	case api.ResourceClear:
		edit = func(cfg *policy.Config) error {
			dropped = dropLocations(cfg, func(x policy.Location) bool {
				if x.Resource != req.Resource || (req.Node != "" && x.Node != req.Node) {
					return false
				}
				return strings.HasPrefix(x.ID, api.PreferPrefix) || strings.HasPrefix(x.ID, api.BanPrefix)
			})
			res.Removed = dropped
			return nil
		}
		text = removeAndAdd
	case api.ResourceStart, api.ResourceStop:
		role := policy.Role("")
		if req.Action == api.ResourceStop {
			role = policy.RoleStopped
		}
		edit = func(cfg *policy.Config) error {
			if m := metaOf(cfg, req.Resource); m != nil {
				m.TargetRole = role
			}
			return nil
		}
		text = func(orig *policy.Config, e *policy.Editor) error {
			value := ""
			if role != "" {
				value = strconv.Quote(string(role))
			}
			return e.SetKey(fmt.Sprintf("%s[%d]", kind, resourceIndex(orig, kind, req.Resource)), "target_role", value)
		}
	}
	ch := make(chan applyReply, 1)
	c.editPolicy(ctx, edit, text, ch)
	reply <- resourceReply{res: res, apply: ch}
}

// changeAllowed refuses a change on a node that is not the DC or
// without quorum.
func (c *Controller) changeAllowed() error {
	l := &c.loop
	if !l.isDC {
		return errNotDC("this node (" + c.node + ") is not the DC; run the command on " + orNone(l.dcName))
	}
	if !l.mem.Quorum.Quorate {
		return api.Errorf(api.CodeNoQuorum, "this partition has no quorum (%d of %d votes needed): nothing was changed", l.mem.Quorum.Votes, l.mem.Quorum.Needed)
	}
	return nil
}

// editPolicy applies edit to a fresh copy of the live policy and
// applies the result as the next epoch (on the loop). It answers on
// reply. text makes the same change on the live policy's text
// (policy_text.go), so that the operator's comments and layout stay.
func (c *Controller) editPolicy(ctx context.Context, edit func(*policy.Config) error, text func(*policy.Config, *policy.Editor) error, reply chan applyReply) {
	l := &c.loop
	if err := c.changeAllowed(); err != nil {
		reply <- applyReply{err: err}
		return
	}
	cfg, err := policy.Parse("policy.toml", l.pol.Source)
	if err != nil {
		reply <- applyReply{err: api.Errorf(api.CodeInternal, "the live policy (epoch %d) does not parse: %v", l.pol.Epoch, err)}
		return
	}
	if err := edit(cfg); err != nil {
		reply <- applyReply{err: err}
		return
	}
	var b bytes.Buffer
	if err := cfg.WriteTOML(&b); err != nil {
		reply <- applyReply{err: api.Errorf(api.CodeInternal, "write the changed policy: %v", err)}
		return
	}
	src := b.String()
	if edited, ok := c.editText(text, b.Bytes()); ok {
		src = edited
	}
	c.applyPolicy(ctx, api.ApplyRequest{Source: src}, reply)
}

// resourceKind returns primitive, group or clone, or "" when id is not
// in cfg.
func resourceKind(cfg *policy.Config, id string) string {
	for _, p := range cfg.Primitives {
		if p.ID == id {
			return "primitive"
		}
	}
	for _, g := range cfg.Groups {
		if g.ID == id {
			return "group"
		}
	}
	for _, cl := range cfg.Clones {
		if cl.ID == id {
			return "clone"
		}
	}
	return ""
}

// metaOf returns the meta of resource id in cfg, nil when unknown.
func metaOf(cfg *policy.Config, id string) *policy.Meta {
	for i := range cfg.Primitives {
		if cfg.Primitives[i].ID == id {
			return &cfg.Primitives[i].Meta
		}
	}
	for i := range cfg.Groups {
		if cfg.Groups[i].ID == id {
			return &cfg.Groups[i].Meta
		}
	}
	for i := range cfg.Clones {
		if cfg.Clones[i].ID == id {
			return &cfg.Clones[i].Meta
		}
	}
	return nil
}

func promotable(cfg *policy.Config, id string) bool {
	for _, cl := range cfg.Clones {
		if cl.ID == id {
			return cl.Promotable
		}
	}
	return false
}

// members returns the primitive IDs resource id stands for.
func members(cfg *policy.Config, id string) []string {
	for _, g := range cfg.Groups {
		if g.ID == id {
			return slices.Clone(g.Members)
		}
	}
	for _, cl := range cfg.Clones {
		if cl.ID == id {
			return append(members(cfg, cl.Resource), id)
		}
	}
	return []string{id}
}

// currentNodes returns the nodes where resource id (or its first member)
// is active now, sorted.
func (c *Controller) currentNodes(id string) []string {
	ids := members(c.loop.cfg, id)
	var out []string
	for _, r := range c.status().Resources {
		if r.Node != "" && (r.ID == ids[0] || baseID(r.ID) == ids[0]) && !slices.Contains(out, r.Node) {
			out = append(out, r.Node)
		}
	}
	sort.Strings(out)
	return out
}

func banID(resource, node string) string { return api.BanPrefix + resource + "-on-" + node }

func scorePtr(s policy.Score) *policy.Score { return &s }

// dropLocations deletes the location constraints drop selects and
// returns their IDs.
func dropLocations(cfg *policy.Config, drop func(policy.Location) bool) []string {
	var removed []string
	keep := cfg.Locations[:0]
	for _, x := range cfg.Locations {
		if drop(x) {
			removed = append(removed, x.ID)
			continue
		}
		keep = append(keep, x)
	}
	cfg.Locations = keep
	return removed
}

// cleanup clears the failures of resource (all its primitives and
// instances) on node, or on every present node when node is "". It
// returns the nodes asked.
func (c *Controller) cleanup(ctx context.Context, resource, node string) []string {
	l := &c.loop
	ids := members(l.cfg, resource)
	var nodes []string
	for _, n := range l.presentNodes() {
		if node != "" && n != node {
			continue
		}
		nodes = append(nodes, n)
		// The DC forgets the failures in its record of the node at once:
		// a result computed before the node cleared them must not bring
		// them back until the node reports again.
		if r := l.joined[n]; r != nil {
			for i := range r.Resources {
				rs := &r.Resources[i]
				if slices.Contains(ids, rs.ID) || slices.Contains(ids, baseID(rs.ID)) {
					rs.FailCount, rs.LastFailure, rs.Failures = 0, nil, nil
				}
			}
			l.dirty = true
		}
		if n == c.node {
			c.clearFailures(ids)
			continue
		}
		c.send(ctx, n, message{Kind: msgCleanup, Term: l.myTerm, Source: []byte(strings.Join(ids, "\n"))})
	}
	c.log.Info("failures cleared", "resource", resource, "nodes", strings.Join(nodes, ","))
	return nodes
}

// clearFailures clears the local executor's failures of ids (and of
// their clone instances) and reports again.
func (c *Controller) clearFailures(ids []string) {
	for _, r := range c.ex.Resources() {
		if slices.Contains(ids, r) || slices.Contains(ids, baseID(r)) {
			c.ex.ClearFailures(r)
		}
	}
	c.loop.reportDirty = true
	c.loop.dirty = true
}

// onCleanup clears failures the DC asked to clear (member side).
func (c *Controller) onCleanup(from string, m message) {
	l := &c.loop
	if seen := c.observe(m.Term, from); m.Term < seen || from != l.dcName {
		c.log.Warn("ignoring a cleanup from a node that is not the DC", "from", from, "term", m.Term)
		return
	}
	ids := strings.Split(string(m.Source), "\n")
	c.clearFailures(ids)
	c.log.Info("failures cleared at the DC's request", "dc", from, "resources", fmt.Sprint(ids))
}
