package resources

import (
	"fmt"
	"strings"
	"time"
)

// DefaultTimeout is the timeout of an operation whose request sets none
// (Pacemaker's default).
const DefaultTimeout = 20 * time.Second

// Request asks for one operation on one resource: start, stop, promote,
// demote, notify, validate-all, or a one-shot monitor (a probe).
type Request struct {
	// Resource is the resource instance ID.
	Resource string
	// Agent is the agent name (dummy, exec, ocf:heartbeat:Dummy, ...).
	Agent string
	// Action is one of the Action* names.
	Action string
	// Params and Meta are passed to the agent (see Call). The executor
	// does not modify them; the caller must not modify them until the
	// call returns.
	Params map[string]string
	Meta   map[string]string
	// Timeout bounds the operation; DefaultTimeout when zero.
	Timeout time.Duration
	// Notify describes the event of a notify action.
	Notify *Notify
	// Term is the DC term the action was dispatched in. The executor
	// refuses (ErrStaleTerm) an action whose term is lower than the
	// highest it has seen, and a higher term raises that mark. Zero
	// means "not from a DC" (ward agent exec, tests): never checked.
	Term uint64
}

// MonitorSpec configures a recurring monitor of one resource. A resource
// may have several, one per interval (for example one per role).
type MonitorSpec struct {
	Resource string
	Agent    string
	Params   map[string]string
	Meta     map[string]string
	// Interval is the time between the end of one run and the start of
	// the next. It must be positive.
	Interval time.Duration
	// Timeout bounds each run; DefaultTimeout when zero.
	Timeout time.Duration
	// Expect is the code a healthy resource answers: OK (the default)
	// or RunningPromoted for the monitor of a promoted instance.
	Expect Code
}

func checkResourceID(id string) error {
	switch {
	case id == "":
		return fmt.Errorf("resource id is empty")
	case len(id) > 255:
		return fmt.Errorf("resource id %.20q... is longer than 255 bytes", id)
	case strings.ContainsAny(id, "/\x00\n\r\t ") || id == "." || id == "..":
		return fmt.Errorf("resource id %q may not contain '/', spaces or control characters", id)
	}
	return nil
}

func (r Request) check() error {
	if err := checkResourceID(r.Resource); err != nil {
		return fmt.Errorf("resources: request: %w", err)
	}
	if r.Agent == "" {
		return fmt.Errorf("resources: request for %q: agent is empty", r.Resource)
	}
	if r.Action == "" {
		return fmt.Errorf("resources: request for %q: action is empty", r.Resource)
	}
	if r.Timeout < 0 {
		return fmt.Errorf("resources: request %s %s: timeout %v is negative", r.Resource, r.Action, r.Timeout)
	}
	return nil
}

func (m MonitorSpec) check() error {
	if err := checkResourceID(m.Resource); err != nil {
		return fmt.Errorf("resources: monitor: %w", err)
	}
	if m.Agent == "" {
		return fmt.Errorf("resources: monitor of %q: agent is empty", m.Resource)
	}
	if m.Interval <= 0 {
		return fmt.Errorf("resources: monitor of %q: interval %v must be > 0", m.Resource, m.Interval)
	}
	if m.Timeout < 0 {
		return fmt.Errorf("resources: monitor of %q: timeout %v is negative", m.Resource, m.Timeout)
	}
	return nil
}
