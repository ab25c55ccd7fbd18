package controller

import (
	"context"
	"time"

	"github.com/ward-ha/ward/fencing"
	"github.com/ward-ha/ward/policy"
)

// This file settles two-node fence races by priority: when the link of a
// two_node pair breaks, each node fences the other, and the node running
// the more important resources (fencing.NodePriority: the sum of their
// priorities, a promoted instance counting one more) must survive. The
// fence of that node therefore waits cluster.priority_fencing_delay
// first (fencing.PriorityDelay). Each node computes the totals from the
// latest cluster view it holds (the DC's status, which every member
// receives), on the controller's goroutine, before the fence runs.

// fencerWith is a Fencer that takes per-call options: *fencing.Fencer.
type fencerWith interface {
	FenceWith(ctx context.Context, cfg *policy.Config, target string, o fencing.Options) fencing.Result
}

// priorityTotals returns every node's total priority in the latest view
// (nil when this node holds none).
func (c *Controller) priorityTotals(cfg *policy.Config) map[string]int {
	v := c.loop.view
	if v == nil {
		return nil
	}
	totals := map[string]int{}
	for _, n := range v.Status.Nodes {
		var running, promoted []string
		for _, rs := range n.Resources {
			switch {
			case rs.Role == policy.RolePromoted:
				promoted = append(promoted, rs.ID)
			case active(rs):
				running = append(running, rs.ID)
			}
		}
		totals[n.Name] = fencing.NodePriority(cfg, running, promoted)
	}
	return totals
}

// fenceOptions returns the options of a fence of target run from this
// node: the priority delay in a two_node cluster, none otherwise (a
// majority fencing a lost node has no race to settle). It must run on
// the controller's goroutine.
func (c *Controller) fenceOptions(cfg *policy.Config, target string) fencing.Options {
	if cfg == nil || !cfg.Cluster.TwoNode || cfg.Cluster.PriorityFencingDelay <= 0 {
		return fencing.Options{}
	}
	d := fencing.PriorityDelay(cfg, c.priorityTotals(cfg), target)
	if d > 0 {
		c.log.Warn("the node to fence runs the more important resources: waiting the priority fencing delay first, so that it wins a fence race",
			"node", target, "delay", d.Round(time.Millisecond))
	}
	return fencing.Options{ExtraDelay: d}
}

// runFence fences target with o when the fencer takes options.
func (c *Controller) runFence(ctx context.Context, cfg *policy.Config, target string, o fencing.Options) fencing.Result {
	if fw, ok := c.fencer.(fencerWith); ok {
		return fw.FenceWith(ctx, cfg, target, o)
	}
	return c.fencer.Fence(ctx, cfg, target)
}
