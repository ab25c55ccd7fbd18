package cib

import (
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/ward-ha/ward/policy"
)

// Pacemaker's resource roles, in order.
const (
	roleUnknown = iota
	roleStopped
	roleStarted
	roleUnpromoted
	rolePromoted
)

// Pacemaker's failure handling, in increasing severity (cmp_on_fail).
const (
	failIgnore = iota
	failDemote
	failRestart
	failBan
	failBlock
	failStop
	failStandby
	failFence
)

// Executor statuses (op-status), after remapping.
const (
	execPending      = -1
	execDone         = 0
	execCancelled    = 1
	execTimeout      = 2
	execNotSupported = 3
	execError        = 4
	execErrorHard    = 5
	execErrorFatal   = 6
	execNotInstalled = 7
	execMax          = 11
)

// histOp is one lrm_rsc_op.
type histOp struct {
	el       *element
	task     string
	key      string
	interval int64 // ms
	callID   int64
	rcChange int64
	status   int
	rc       int
	expected int
}

// replay is the state of one resource on one node while its history is
// replayed (unpack_lrm_resource).
type replay struct {
	im         *importer
	node       *nodeRT
	id         string
	info       *primInfo
	role       int
	onFail     int
	lastFail   *histOp
	failedStop bool
	failures   []policy.OpRecord
	last       map[string]policy.OpRecord
	lastOrder  []string
}

// unpackResource replays one lrm_resource of a node.
func (im *importer) unpackResource(rt *nodeRT, lr *element) {
	rawID := lr.attr("id")
	id, info := im.resolveHistoryID(rawID)
	if rt.rawIDs == nil {
		rt.rawIDs = map[string]string{}
	}
	if _, ok := rt.rawIDs[id]; !ok {
		rt.rawIDs[id] = rawID
	}
	var ops []*histOp
	for _, o := range lr.all("lrm_rsc_op") {
		if h := parseHistOp(o); h != nil {
			ops = append(ops, h)
		}
	}
	if len(ops) == 0 {
		return
	}
	if info == nil {
		kind := im.kinds[id]
		switch kind {
		case "device":
			info = &primInfo{id: id, managed: true, ops: map[string]string{}}
		default:
			im.note(lr, "history of a resource that is not configured (orphan): kept in the status so that ward stops it if it runs")
			info = &primInfo{id: id, managed: im.defaultManaged, ops: map[string]string{}}
		}
	}
	sort.SliceStable(ops, func(i, j int) bool {
		a, b := ops[i], ops[j]
		if (a.callID < 0) != (b.callID < 0) {
			return b.callID < 0
		}
		if a.callID != b.callID && a.callID >= 0 {
			return a.callID < b.callID
		}
		return a.rcChange < b.rcChange
	})
	r := &replay{im: im, node: rt, id: id, info: info, role: roleUnknown, onFail: failIgnore, last: map[string]policy.OpRecord{}}
	for _, op := range ops {
		r.apply(op)
	}
	rs := r.finish()
	rs.ID = id
	rt.resources = append(rt.resources, rs)
}

// resolveHistoryID maps an lrm_resource id to the status id: anonymous
// clone instances lose their ":N", unique clone instances keep it.
func (im *importer) resolveHistoryID(raw string) (string, *primInfo) {
	if info, ok := im.prims[raw]; ok {
		return raw, info
	}
	if i := strings.LastIndexByte(raw, ':'); i > 0 {
		base := raw[:i]
		if _, err := strconv.Atoi(raw[i+1:]); err == nil {
			if info, ok := im.prims[base]; ok {
				if info.unique {
					return raw, info
				}
				return base, info
			}
			if im.kinds[base] == "device" {
				return base, nil
			}
		}
	}
	return raw, nil
}

func parseHistOp(o *element) *histOp {
	h := &histOp{el: o, task: o.attr("operation"), expected: -1}
	if h.task == "" {
		return nil
	}
	if v := o.attr("interval"); v != "" {
		d, err := parsePcmkDuration(v)
		if err != nil {
			return nil
		}
		// A bare number in history is milliseconds.
		if n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64); err == nil {
			h.interval = n
		} else {
			h.interval = d.D().Milliseconds()
		}
	}
	st, err := strconv.Atoi(strings.TrimSpace(o.attr("op-status")))
	if err != nil || st < execPending || st > execMax || st == execCancelled {
		return nil
	}
	h.status = st
	rc, err := strconv.Atoi(strings.TrimSpace(o.attr("rc-code")))
	if err != nil || rc < 0 || rc > 255 {
		return nil
	}
	h.rc = rc
	if id, err := strconv.ParseInt(strings.TrimSpace(o.attr("call-id")), 10, 64); err == nil {
		h.callID = id
	} else {
		h.callID = -1
	}
	// A last-rc-change that is no epoch in years 1970-9999 counts as
	// absent, as an empty one does: the op has no time.
	if t, ok := parseEpoch(o.attr("last-rc-change")); ok {
		h.rcChange = t
	}
	if k := o.attr("transition-key"); k != "" {
		f := strings.Split(k, ":")
		if len(f) >= 3 {
			if n, err := strconv.Atoi(f[2]); err == nil {
				h.expected = n
			}
		}
	}
	h.key = o.attr("operation_key")
	if h.key == "" {
		h.key = o.attr("id")
	}
	return h
}

func (h *histOp) probe() bool { return h.task == "monitor" && h.interval == 0 }

// maskedProbeFailure is pcmk_xe_mask_probe_failure on the raw result.
func (h *histOp) maskedProbeFailure() bool {
	return h.probe() && (h.rc == 5 || h.rc == 2 || h.status == execNotInstalled)
}

func affectsState(task string) bool {
	switch task {
	case "monitor", "start", "stop", "promote", "demote", "migrate_to", "migrate_from", "asyncmon":
		return true
	}
	return false
}

func (r *replay) setActive() {
	if r.info.promotable {
		r.role = roleUnpromoted
	} else {
		r.role = roleStarted
	}
}

// onFailFor is pcmk__parse_on_fail for an op of this resource.
func (r *replay) onFailFor(h *histOp) int {
	v, ok := r.info.ops[h.task+"/"+strconv.FormatInt(h.interval, 10)]
	if !ok || v == "" {
		v = r.im.opDefaultOnFail
	}
	switch policy.OnFail(v) {
	case policy.OnFailBlock:
		return failBlock
	case policy.OnFailFence:
		if r.im.fenced {
			return failFence
		}
		return failStop
	case policy.OnFailStandby:
		return failStandby
	case policy.OnFailIgnore, "nothing":
		return failIgnore
	case policy.OnFailBan, "migrate":
		return failBan
	case policy.OnFailStop:
		return failStop
	case policy.OnFailRestart:
		return failRestart
	case policy.OnFailDemote:
		return failDemote
	}
	if h.task == "stop" {
		if r.im.fenced {
			return failFence
		}
		return failBlock
	}
	return failRestart
}

// apply is unpack_rsc_op for one history entry.
func (r *replay) apply(h *histOp) {
	if !affectsState(h.task) {
		return
	}
	r.remember(h)
	origRC := h.rc
	masked := h.maskedProbeFailure()
	expired := r.expired(h)
	// remap_operation
	status, rc := h.status, h.rc
	if h.task == "monitor" {
		switch rc {
		case 190:
			rc = 0
		case 191:
			rc = 8
		}
	}
	if masked {
		status, rc = execDone, 7
	}
	switch status {
	case execDone, execError:
		if h.expected < 0 || rc != h.expected {
			status = execError
		} else {
			status = execDone
		}
		switch rc {
		case 0:
			if h.probe() && h.expected == 7 {
				status = execDone
			}
		case 7:
			if h.probe() || h.expected == 7 || !r.info.managed {
				status = execDone
				r.role = roleStopped
				r.onFail = failIgnore
			}
		case 8:
			if h.probe() && rc != h.expected {
				status = execDone
			}
			if !expired || rc == h.expected {
				r.role = rolePromoted
			}
		case 9:
			if !expired {
				r.role = rolePromoted
			}
			status = execError
		case 6:
			status = execErrorFatal
		case 3:
			if h.interval == 0 {
				status = execErrorHard
			} else {
				status = execNotSupported
			}
		case 5, 2, 4:
			status = execErrorHard
		default:
			if status == execDone {
				status = execError
			}
		}
	case 10, 11:
		status = execErrorHard
	}
	if expired && r.processExpired(h, origRC, rc, masked) {
		return
	}
	if masked {
		r.updateState(h, h.expected)
		r.recordFailure(h, origRC, status)
		return
	}
	switch status {
	case execPending:
		switch h.task {
		case "start":
			r.setActive()
		case "promote":
			r.role = rolePromoted
		}
		return
	case execDone:
		r.updateState(h, rc)
		return
	case execNotInstalled:
		strategy := r.onFailFor(h)
		if strategy == failIgnore {
			r.onFail = max(r.onFail, failBan)
		}
		r.failure(h, origRC, status, strategy, rc)
		return
	}
	strategy := r.onFailFor(h)
	if strategy == failIgnore {
		r.updateState(h, h.expected)
		r.recordFailure(h, origRC, status)
		return
	}
	r.failure(h, origRC, status, strategy, rc)
}

// updateState is update_resource_state after a success.
func (r *replay) updateState(h *histOp, rc int) {
	clear := false
	switch {
	case rc == 5 || h.maskedProbeFailure():
		r.role = roleStopped
	case rc == 7:
		clear = true
	case h.task == "monitor":
		if r.lastFail != nil && r.lastFail.key == h.key {
			clear = true
		}
		if r.role < roleStarted {
			r.setActive()
		}
	case h.task == "start":
		r.role = roleStarted
		clear = true
	case h.task == "stop":
		r.role = roleStopped
		r.failedStop = false
		clear = true
	case h.task == "promote":
		r.role = rolePromoted
		clear = true
	case h.task == "demote":
		if r.onFail == failDemote {
			clear = true
		}
		r.role = roleUnpromoted
	case h.task == "migrate_from":
		r.role = roleStarted
		clear = true
	default:
		if r.role < roleStarted {
			r.setActive()
		}
	}
	if clear {
		switch r.onFail {
		case failBlock, failIgnore, failDemote, failRestart:
			r.onFail = failIgnore
		}
	}
}

// failure is unpack_rsc_op_failure.
func (r *replay) failure(h *histOp, origRC, status, strategy, rc int) {
	r.lastFail = h
	r.recordFailure(h, origRC, status)
	if strategy > r.onFail || (r.onFail == failDemote && strategy != failIgnore) {
		r.onFail = strategy
	}
	switch h.task {
	case "stop":
		r.failedStop = true
	case "promote":
		r.role = rolePromoted
	case "demote":
		switch {
		case strategy == failBlock:
			r.role = rolePromoted
		case rc == 7:
			r.role = roleStopped
		default:
			r.role = roleUnpromoted
		}
	}
	if h.probe() && rc == 5 {
		r.role = roleStopped
	} else if r.role < roleStarted {
		r.setActive()
	}
}

// recordFailure keeps a failed op for the scheduler. Hard errors carry an
// OCF code that says so (5 not installed when the executor could not run
// the agent), fatal errors 6.
func (r *replay) recordFailure(h *histOp, origRC, status int) {
	rec := r.record(h)
	rec.RC = origRC
	switch status {
	case execErrorHard:
		if origRC != 2 && origRC != 3 && origRC != 4 && origRC != 5 {
			rec.RC = 5
		}
		rec.Kind = "error"
	case execErrorFatal:
		rec.RC = 6
	case execTimeout:
		rec.Kind = "timeout"
	}
	if h.status == execNotInstalled {
		rec.RC = 5
		rec.Kind = "error"
	}
	// The history often holds one failure twice (as the last result and
	// as the last failure).
	if n := len(r.failures); n > 0 && sameRecord(r.failures[n-1], rec) {
		return
	}
	r.failures = append(r.failures, rec)
}

// record converts a history entry.
func (r *replay) record(h *histOp) policy.OpRecord {
	rec := policy.OpRecord{Op: h.task, Interval: policy.Duration(time.Duration(h.interval) * time.Millisecond), RC: h.rc, Output: h.el.attr("exit-reason")}
	switch h.status {
	case execTimeout:
		rec.Kind = "timeout"
	case execDone, execError, execPending:
	default:
		rec.Kind = "error"
	}
	if h.rcChange > 0 {
		t := time.Unix(h.rcChange, 0).UTC()
		rec.At = &t
	}
	return rec
}

// remember keeps the latest result per op name and interval.
func (r *replay) remember(h *histOp) {
	k := h.task + "/" + strconv.FormatInt(h.interval, 10)
	if _, ok := r.last[k]; !ok {
		r.lastOrder = append(r.lastOrder, k)
	}
	r.last[k] = r.record(h)
}

// finish is process_rsc_state: node-level consequences and the flags.
func (r *replay) finish() policy.ResourceStatus {
	n := r.node
	if r.role > roleStopped && !n.online && !n.maintenance && r.info.managed && r.im.fenced {
		n.unclean = true // the resource is thought to be active there
	}
	onFail := r.onFail
	if n.unclean {
		onFail = failIgnore
	}
	rs := policy.ResourceStatus{Role: policy.RoleStopped}
	switch onFail {
	case failFence:
		n.unclean = true
	case failStandby:
		n.standbyOnFail = true
	case failBlock:
		// When on-fail=block is configured, failure-timeout does not
		// apply and the block holds; a default block (failed stop without
		// fencing) may expire, so without a known now the scheduler
		// decides after its own failure_timeout check.
		rs.Blocked = r.info.blockOnFail || !r.im.now.IsZero()
	}
	if r.role > roleStopped {
		switch r.role {
		case rolePromoted:
			rs.Role = policy.RolePromoted
		case roleUnpromoted:
			rs.Role = policy.RoleUnpromoted
		default:
			rs.Role = policy.RoleStarted
			if r.info.promotable {
				rs.Role = policy.RoleUnpromoted
			}
		}
		rs.Failed = onFail != failIgnore
		rs.FailedStop = rs.Failed && r.failedStop
	}
	rs.Failures = r.failures
	for _, k := range r.lastOrder {
		rs.Ops = append(rs.Ops, r.last[k])
	}
	return rs
}

func sameRecord(a, b policy.OpRecord) bool {
	return a.Op == b.Op && a.Interval == b.Interval && a.RC == b.RC && a.Kind == b.Kind &&
		(a.At == nil) == (b.At == nil) && (a.At == nil || a.At.Equal(*b.At))
}
