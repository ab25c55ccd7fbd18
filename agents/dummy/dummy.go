// Package dummy is ward's built-in test agent: a resource whose whole
// state is a file under a state folder. It starts, stops and monitors
// instantly, and takes injected faults (a failing monitor, a hanging
// start) from files an operator or a test drops next to its state file.
// Cluster tests and the demo use it; so can an operator who wants to see
// ward move something without risk.
//
// Fault files live in the state folder and are named
// "<instance>.fail-<action>" (for example "db.fail-monitor"). Their
// content is a code ("7"; empty means 1) or "hang" (the action blocks
// until its timeout), optionally followed by "sticky": without it the
// fault applies once and the file is removed.
package dummy

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/ward-ha/ward/resources"
)

// DefaultStateDir is where built-in agents keep their state files when
// the registry sets no folder.
const DefaultStateDir = "/run/ward/agents"

// Agent is the dummy agent. It is safe for concurrent use.
type Agent struct {
	dir string
}

// New returns a dummy agent keeping state under dir (DefaultStateDir
// when empty). The folder is created on first start.
func New(dir string) *Agent {
	if dir == "" {
		dir = DefaultStateDir
	}
	return &Agent{dir: dir}
}

// Meta describes the dummy agent.
func Meta() *resources.Metadata {
	return &resources.Metadata{
		Name:      "dummy",
		Version:   "1.0",
		ShortDesc: "Built-in test resource backed by a state file",
		LongDesc: "A resource whose state is a file in ward's agent state folder. " +
			"Faults are injected with files named <instance>.fail-<action> in that folder " +
			"(content: an OCF code, or \"hang\"; add \"sticky\" to keep the fault).",
		Params: []resources.ParamSpec{
			{Name: "fake", Type: "string", ShortDesc: "Any value; changing it changes nothing",
				LongDesc: "A parameter with no effect, for trying parameter changes."},
		},
		Actions: []resources.ActionSpec{
			{Name: "start", Timeout: 20 * time.Second},
			{Name: "stop", Timeout: 20 * time.Second},
			{Name: "monitor", Timeout: 20 * time.Second, Interval: 10 * time.Second},
			{Name: "validate-all", Timeout: 20 * time.Second},
			{Name: "meta-data", Timeout: 5 * time.Second},
		},
	}
}

// Metadata returns Meta().
func (a *Agent) Metadata(context.Context) (*resources.Metadata, error) { return Meta(), nil }

// Do runs one action.
func (a *Agent) Do(ctx context.Context, c resources.Call) resources.Outcome {
	if c.Action == resources.ActionMetaData {
		return resources.Outcome{Code: resources.OK, Output: string(Meta().XML())}
	}
	st := State{Dir: a.dir, Instance: c.Resource}
	if o, hit := st.Fault(ctx, c.Action); hit {
		return o
	}
	switch c.Action {
	case resources.ActionStart:
		return st.Write("started")
	case resources.ActionStop:
		return st.Remove()
	case resources.ActionMonitor:
		v, o, ok := st.Read()
		if !ok {
			return o
		}
		if v == "" {
			return resources.Outcome{Code: resources.NotRunning}
		}
		return resources.Outcome{Code: resources.OK}
	case resources.ActionValidate:
		return Validate(Meta(), c)
	case resources.ActionNotify:
		return resources.Outcome{Code: resources.OK}
	}
	return resources.Outcome{Code: resources.ErrUnimplemented, Output: fmt.Sprintf("dummy: action %q is not implemented", c.Action)}
}

// Validate checks c's params against md: ErrNotConfigured naming the
// problems, or OK.
func Validate(md *resources.Metadata, c resources.Call) resources.Outcome {
	if err := md.CheckParams(c.Resource, c.Params); err != nil {
		return resources.Outcome{Code: resources.ErrNotConfigured, Output: err.Error()}
	}
	return resources.Outcome{Code: resources.OK}
}

// State is the state file of one instance of a built-in agent, and its
// fault files. agents/stateful uses it too.
type State struct {
	Dir      string
	Instance string
}

func (s State) path(suffix string) (string, error) {
	if s.Instance == "" || strings.ContainsAny(s.Instance, "/\x00") || s.Instance == "." || s.Instance == ".." {
		return "", fmt.Errorf("instance name %q cannot name a state file", s.Instance)
	}
	return filepath.Join(s.Dir, s.Instance+suffix), nil
}

// Read returns the state file's content ("" when absent). ok is false
// when it could not be read; the Outcome then says why.
func (s State) Read() (string, resources.Outcome, bool) {
	p, err := s.path(".state")
	if err != nil {
		return "", resources.Outcome{Code: resources.ErrArgs, Output: err.Error()}, false
	}
	b, err := os.ReadFile(p)
	if errors.Is(err, fs.ErrNotExist) {
		return "", resources.Outcome{}, true
	}
	if err != nil {
		return "", resources.Outcome{Code: resources.ErrGeneric, Output: fmt.Sprintf("read state %s: %v", p, err)}, false
	}
	return strings.TrimSpace(string(b)), resources.Outcome{}, true
}

// Write stores v in the state file, atomically.
func (s State) Write(v string) resources.Outcome {
	p, err := s.path(".state")
	if err != nil {
		return resources.Outcome{Code: resources.ErrArgs, Output: err.Error()}
	}
	if err := os.MkdirAll(s.Dir, 0o755); err != nil {
		return resources.Outcome{Code: resources.ErrPerm, Output: fmt.Sprintf("create state folder: %v", err)}
	}
	tmp := p + ".tmp"
	if err := os.WriteFile(tmp, []byte(v+"\n"), 0o644); err != nil {
		return resources.Outcome{Code: resources.ErrGeneric, Output: fmt.Sprintf("write state %s: %v", tmp, err)}
	}
	if err := os.Rename(tmp, p); err != nil {
		return resources.Outcome{Code: resources.ErrGeneric, Output: fmt.Sprintf("write state %s: %v", p, err)}
	}
	return resources.Outcome{Code: resources.OK}
}

// Remove deletes the state file; a missing one is fine.
func (s State) Remove() resources.Outcome {
	p, err := s.path(".state")
	if err != nil {
		return resources.Outcome{Code: resources.ErrArgs, Output: err.Error()}
	}
	if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return resources.Outcome{Code: resources.ErrGeneric, Output: fmt.Sprintf("remove state %s: %v", p, err)}
	}
	return resources.Outcome{Code: resources.OK}
}

// Fault applies the fault file for action, if there is one: it returns
// the injected outcome and true (after blocking until ctx ends, for
// "hang"), or false when no fault is set.
func (s State) Fault(ctx context.Context, action string) (resources.Outcome, bool) {
	p, err := s.path(".fail-" + action)
	if err != nil {
		return resources.Outcome{}, false
	}
	b, err := os.ReadFile(p)
	if err != nil {
		return resources.Outcome{}, false
	}
	f := strings.Fields(string(b))
	sticky := len(f) > 0 && f[len(f)-1] == "sticky"
	if !sticky {
		os.Remove(p)
	}
	if len(f) > 0 && f[0] == "hang" {
		<-ctx.Done()
		return resources.Outcome{Code: resources.ErrGeneric, Output: "injected fault: hung until the timeout"}, true
	}
	code := resources.ErrGeneric
	if len(f) > 0 && f[0] != "sticky" {
		n, err := strconv.Atoi(f[0])
		if err != nil || n < 0 || n > 255 {
			return resources.Outcome{Code: resources.ErrGeneric, Output: fmt.Sprintf("fault file %s: %q is neither a code nor \"hang\"", p, f[0])}, true
		}
		code = resources.Code(n)
	}
	return resources.Outcome{Code: code, Output: fmt.Sprintf("injected fault from %s", p)}, true
}
