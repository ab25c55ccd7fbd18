package controller

import (
	"context"
	"encoding/json"

	"github.com/ward-ha/ward/api"
	"github.com/ward-ha/ward/policy"
)

// Explain runs the scheduler on the live policy and the state this node
// sees (the DC's snapshot, or the last view the DC sent) and explains
// where resource runs and why.
func (c *Controller) Explain(ctx context.Context, resource string) (api.ExplainResult, error) {
	type reply struct {
		res api.ExplainResult
		err error
	}
	ch := make(chan reply, 1)
	err := c.call(ctx, func(context.Context) {
		l := &c.loop
		var st policy.Status
		switch {
		case l.isDC:
			st = c.snapshot()
		case l.view != nil:
			st = l.view.Status
		}
		now := c.clk.Now()
		t := policy.Schedule(l.cfg, st, now)
		rs, ok := t.ScoresOf(resource)
		if !ok {
			ch <- reply{err: api.Errorf(api.CodeNotFound, "resource %q is not in the policy (epoch %d)", resource, l.pol.Epoch)}
			return
		}
		text, err := t.Explain(resource)
		if err != nil {
			ch <- reply{err: api.Errorf(api.CodeNotFound, "%v", err)}
			return
		}
		scores, err := json.Marshal(rs)
		if err != nil {
			ch <- reply{err: err}
			return
		}
		ch <- reply{res: api.ExplainResult{Resource: resource, At: now, Text: text, Scores: scores}}
	})
	if err != nil {
		return api.ExplainResult{}, err
	}
	r, err := wait(ctx, ch)
	if err != nil {
		return api.ExplainResult{}, err
	}
	return r.res, r.err
}
