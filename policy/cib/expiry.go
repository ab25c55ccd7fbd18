package cib

import "time"

// Failure timeouts while the history is replayed (Pacemaker's
// check_operation_expiry and process_expired_result). They apply only when
// the import knows "now" (Options.Now or the CIB's execution-date).

// expired is check_operation_expiry: whether a failure-timeout has
// passed for this entry at the import's now.
func (r *replay) expired(h *histOp) bool {
	now := r.im.now
	to := time.Duration(r.info.failureTimeout)
	if now.IsZero() || to <= 0 || r.info.blockOnFail || h.status == execNotInstalled || h.rcChange <= 0 {
		return false
	}
	sec := int64((to + time.Second - 1) / time.Second)
	if now.Unix() < h.rcChange+sec {
		return false
	}
	if fc := r.node.failCounts[r.id]; fc != nil && fc.count > 0 && fc.last+sec > now.Unix() {
		return false // the resource still has an unexpired fail count
	}
	if h.probe() {
		switch h.rc {
		case 0, 7, 8, 190, 191:
			return false
		}
	}
	return true
}

// processExpired is process_expired_result: true when the entry is
// ignored because its failure expired.
func (r *replay) processExpired(h *histOp, origRC, rc int, masked bool) bool {
	if masked && origRC != h.expected {
		if r.role <= roleStopped {
			r.role = roleUnknown
		}
		return true
	}
	if rc == h.expected {
		return false // only failures expire
	}
	if h.interval == 0 {
		return true
	}
	return r.node.online && !r.node.unclean
}
