package resources

import "strconv"

// Code is an OCF exit code: what an agent's action reported. Values
// outside 0-9 are kept as they are (a shell's 126 or 127, a crash) and
// count as generic errors.
type Code int

// The OCF exit codes (OCF Resource Agent API, section "Return codes").
const (
	OK               Code = 0 // OCF_SUCCESS
	ErrGeneric       Code = 1 // OCF_ERR_GENERIC
	ErrArgs          Code = 2 // OCF_ERR_ARGS: invalid parameters
	ErrUnimplemented Code = 3 // OCF_ERR_UNIMPLEMENTED: unknown action
	ErrPerm          Code = 4 // OCF_ERR_PERM: insufficient privileges
	ErrNotInstalled  Code = 5 // OCF_ERR_INSTALLED: software missing on this node
	ErrNotConfigured Code = 6 // OCF_ERR_CONFIGURED: the configuration is wrong
	NotRunning       Code = 7 // OCF_NOT_RUNNING: cleanly stopped
	RunningPromoted  Code = 8 // OCF_RUNNING_PROMOTED (OCF_RUNNING_MASTER)
	FailedPromoted   Code = 9 // OCF_FAILED_PROMOTED (OCF_FAILED_MASTER)
)

var codeNames = [...]string{
	OK:               "success",
	ErrGeneric:       "generic-error",
	ErrArgs:          "invalid-args",
	ErrUnimplemented: "unimplemented",
	ErrPerm:          "insufficient-privileges",
	ErrNotInstalled:  "not-installed",
	ErrNotConfigured: "not-configured",
	NotRunning:       "not-running",
	RunningPromoted:  "running-promoted",
	FailedPromoted:   "failed-promoted",
}

var ocfNames = [...]string{
	OK:               "OCF_SUCCESS",
	ErrGeneric:       "OCF_ERR_GENERIC",
	ErrArgs:          "OCF_ERR_ARGS",
	ErrUnimplemented: "OCF_ERR_UNIMPLEMENTED",
	ErrPerm:          "OCF_ERR_PERM",
	ErrNotInstalled:  "OCF_ERR_INSTALLED",
	ErrNotConfigured: "OCF_ERR_CONFIGURED",
	NotRunning:       "OCF_NOT_RUNNING",
	RunningPromoted:  "OCF_RUNNING_PROMOTED",
	FailedPromoted:   "OCF_FAILED_PROMOTED",
}

// String returns the code's short name ("success", "not-running", ...),
// or "unknown-N" outside 0-9.
func (c Code) String() string {
	if c >= 0 && int(c) < len(codeNames) {
		return codeNames[c]
	}
	return "unknown-" + strconv.Itoa(int(c))
}

// OCFName returns the OCF constant name ("OCF_SUCCESS", ...), or
// "OCF_UNKNOWN_N" outside 0-9.
func (c Code) OCFName() string {
	if c >= 0 && int(c) < len(ocfNames) {
		return ocfNames[c]
	}
	return "OCF_UNKNOWN_" + strconv.Itoa(int(c))
}

// Severity is how far a failure reaches, as Pacemaker classifies OCF
// codes: what recovery the cluster must apply.
type Severity int

// The severities, from none to fatal.
const (
	// SeverityNone: not a failure.
	SeverityNone Severity = iota
	// SeveritySoft: recover in place (stop and start here), counting a
	// failure against this node.
	SeveritySoft
	// SeverityHard: the resource cannot run on this node (privileges,
	// software missing): ban it from this node.
	SeverityHard
	// SeverityFatal: the resource cannot run anywhere (bad
	// configuration, unknown action): ban it from every node.
	SeverityFatal
)

var severityNames = [...]string{"none", "soft", "hard", "fatal"}

// String returns "none", "soft", "hard" or "fatal".
func (s Severity) String() string {
	if s >= 0 && int(s) < len(severityNames) {
		return severityNames[s]
	}
	return "severity-" + strconv.Itoa(int(s))
}

// Recovery returns the severity of c when c is a failure: hard for 4 and
// 5 (ban this node), fatal for 2, 3 and 6 (ban everywhere), soft for
// every other code (1, 7, 9 and unknown codes). It says nothing about
// whether c is a failure: 0, 7 and 8 are answers whose meaning depends on
// the operation and the expected state (see Result.Failure).
func (c Code) Recovery() Severity {
	switch c {
	case ErrPerm, ErrNotInstalled:
		return SeverityHard
	case ErrArgs, ErrUnimplemented, ErrNotConfigured:
		return SeverityFatal
	default:
		return SeveritySoft
	}
}

// Kind says how an operation ended, beside its Code.
type Kind string

// The operation kinds.
const (
	// KindDone: the agent ran to completion and its exit code is Code.
	KindDone Kind = ""
	// KindTimeout: the operation outlived its timeout; the agent's
	// process group was killed. Code is ErrGeneric.
	KindTimeout Kind = "timeout"
	// KindError: the agent could not be run at all (missing, not
	// executable, cannot fork). Code says why (usually ErrNotInstalled).
	KindError Kind = "error"
	// KindCanceled: the operation was abandoned because its caller or
	// the executor stopped. The resource's state is unknown; Code is
	// ErrGeneric.
	KindCanceled Kind = "canceled"
)
