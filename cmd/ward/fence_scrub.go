package main

import (
	"context"

	"github.com/ward-ha/ward/fencing"
	"github.com/ward-ha/ward/policy"
)

// fencerWith is a fencer that takes per-call options (*fencing.Fencer):
// the controller passes the priority fencing delay and an operator's
// off/reboot through it, and skips both for a fencer without it.
type fencerWith interface {
	FenceWith(ctx context.Context, cfg *policy.Config, target string, o fencing.Options) fencing.Result
}

// The daemon's scrubbing wrapper must keep the options.
var _ fencerWith = scrubFencer{}

// FenceWith runs the inner fencer with o (through Fence when it takes
// no options) and scrubs its error.
func (f scrubFencer) FenceWith(ctx context.Context, cfg *policy.Config, target string, o fencing.Options) fencing.Result {
	var r fencing.Result
	if fw, ok := f.Fencer.(fencerWith); ok {
		r = fw.FenceWith(ctx, cfg, target, o)
	} else {
		r = f.Fencer.Fence(ctx, cfg, target)
	}
	r.Err = f.s.Scrub(r.Err)
	return r
}
