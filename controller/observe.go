package controller

import (
	"github.com/ward-ha/ward/policy"
	"github.com/ward-ha/ward/resources"
)

// This file turns what a node's executor remembers into what the
// scheduler reads: the executor's History of one resource becomes a
// policy.ResourceStatus. The nodes are the truth: the DC never guesses a
// resource's state from the actions it sent.

// statusFromHistory derives a resource's role, failure flags, fail count
// and op records from its executor history. The latest one-shot
// operation (start, stop, promote, demote, probe) gives the role; a
// recurring monitor that failed after it marks the resource failed.
func statusFromHistory(h resources.History) policy.ResourceStatus {
	rs := policy.ResourceStatus{ID: h.Resource, Role: policy.RoleStopped, FailCount: h.FailCount}
	if !h.LastFailure.IsZero() {
		t := h.LastFailure
		rs.LastFailure = &t
	}
	for _, r := range h.Failures {
		rs.Failures = append(rs.Failures, opRecord(r))
	}
	var last *resources.Result
	for i := range h.Last {
		r := &h.Last[i]
		rs.Ops = append(rs.Ops, opRecord(*r))
		if r.Interval != 0 || r.Action == resources.ActionNotify || r.Action == resources.ActionValidate {
			continue
		}
		if last == nil || r.Seq > last.Seq {
			last = r
		}
	}
	// A start, promote or demote the agent answered "not running" (OCF
	// 7) leaves the instance stopped, whatever was asked: it must be
	// started again, not demoted again. Taking a failed demote for
	// "still promoted" made the DC demote an instance that was not
	// running, once a second for ever (seed 637: a no-quorum stop and a
	// promotion queued behind a hung monitor ran in that order). The
	// failure still counts (FailCount, Failures).
	if last != nil && last.Kind == resources.KindDone && last.Code == resources.NotRunning &&
		(last.Action == resources.ActionStart || last.Action == resources.ActionPromote || last.Action == resources.ActionDemote) {
		return rs
	}
	if last != nil {
		failed := last.Failure() != resources.SeverityNone
		switch last.Action {
		case resources.ActionStart:
			rs.Role, rs.Failed = policy.RoleStarted, failed
		case resources.ActionStop:
			rs.FailedStop = failed
		case resources.ActionPromote:
			rs.Role, rs.Failed = policy.RolePromoted, failed
		case resources.ActionDemote:
			rs.Role = policy.RoleUnpromoted
			if failed {
				rs.Role, rs.Failed = policy.RolePromoted, true
			}
		case resources.ActionMonitor:
			switch {
			case last.Kind != resources.KindDone:
				rs.Role, rs.Failed = policy.RoleStarted, true
			case last.Code == resources.OK:
				rs.Role = policy.RoleStarted
			case last.Code == resources.RunningPromoted:
				rs.Role = policy.RolePromoted
			case last.Code == resources.FailedPromoted:
				// OCF 9: promoted, and failed (Pacemaker's "failed
				// master"): it must be demoted or stopped.
				rs.Role, rs.Failed = policy.RolePromoted, true
			case last.Code == resources.NotRunning:
				rs.Role = policy.RoleStopped
			default:
				rs.Role, rs.Failed = policy.RoleStarted, true
			}
		}
	}
	if rs.Role != policy.RoleStopped {
		for _, r := range h.Last {
			if r.Interval > 0 && (last == nil || r.Seq > last.Seq) && r.Failure() != resources.SeverityNone {
				rs.Failed = true
			}
		}
	}
	return rs
}

// opRecord converts one executor result.
func opRecord(r resources.Result) policy.OpRecord {
	at := r.Finished
	o := policy.OpRecord{Op: r.Action, Interval: policy.Duration(r.Interval), RC: int(r.Code), At: &at, Output: r.Output}
	switch r.Kind {
	case resources.KindTimeout, resources.KindCanceled:
		o.Kind = "timeout"
	case resources.KindError:
		o.Kind = "error"
	}
	if len(o.Output) > 512 {
		o.Output = o.Output[:512]
	}
	return o
}

// active reports whether a resource status counts as running somewhere.
func active(rs policy.ResourceStatus) bool {
	return (rs.Role != policy.RoleStopped && rs.Role != policy.RoleUnknown) || rs.FailedStop
}
