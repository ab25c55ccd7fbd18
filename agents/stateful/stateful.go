// Package stateful is ward's built-in promotable test agent: like
// agents/dummy, a resource whose state is a file, with two roles. Start
// makes it unpromoted, promote makes it promoted (monitor then answers 8),
// demote brings it back. It publishes a promotion score as the node
// attribute "master-<resource>" (5 unpromoted, 10 promoted, or the
// integer in the file "<instance>.score" in the state folder, read on
// every start, promote, demote and monitor), and takes the same fault
// files as agents/dummy ("<instance>.fail-<action>").
package stateful

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/ward-ha/ward/agents/dummy"
	"github.com/ward-ha/ward/resources"
)

const (
	stateStarted  = "unpromoted"
	statePromoted = "promoted"
)

// Agent is the stateful agent. It is safe for concurrent use.
type Agent struct {
	dir string
}

// New returns a stateful agent keeping state under dir
// (dummy.DefaultStateDir when empty).
func New(dir string) *Agent {
	if dir == "" {
		dir = dummy.DefaultStateDir
	}
	return &Agent{dir: dir}
}

// Meta describes the stateful agent.
func Meta() *resources.Metadata {
	return &resources.Metadata{
		Name:      "stateful",
		Version:   "1.0",
		ShortDesc: "Built-in promotable test resource backed by a state file",
		LongDesc: "A promotable resource whose role is kept in a file in ward's agent state folder. " +
			"It sets the node attribute master-<resource> to its promotion score. " +
			"Faults are injected with files named <instance>.fail-<action>.",
		Params: []resources.ParamSpec{
			{Name: "score", Type: "integer", Default: "5", ShortDesc: "Promotion score while unpromoted",
				LongDesc: "The promotion score published while unpromoted; promoted instances publish twice this value. A file <instance>.score overrides both."},
			{Name: "fake", Type: "string", ShortDesc: "Any value; changing it changes nothing"},
		},
		Actions: []resources.ActionSpec{
			{Name: "start", Timeout: 20 * time.Second},
			{Name: "stop", Timeout: 20 * time.Second},
			{Name: "promote", Timeout: 20 * time.Second},
			{Name: "demote", Timeout: 20 * time.Second},
			{Name: "monitor", Timeout: 20 * time.Second, Interval: 10 * time.Second, Role: "Unpromoted"},
			{Name: "monitor", Timeout: 20 * time.Second, Interval: 11 * time.Second, Role: "Promoted"},
			{Name: "notify", Timeout: 20 * time.Second},
			{Name: "validate-all", Timeout: 20 * time.Second},
			{Name: "meta-data", Timeout: 5 * time.Second},
		},
	}
}

// Metadata returns Meta().
func (a *Agent) Metadata(context.Context) (*resources.Metadata, error) { return Meta(), nil }

// ScoreAttribute returns the node attribute a promotable instance's
// score is published under: "master-" and the resource ID without a
// clone instance suffix (":N"), as Pacemaker names it.
func ScoreAttribute(resource string) string {
	if i := strings.LastIndexByte(resource, ':'); i > 0 {
		resource = resource[:i]
	}
	return "master-" + resource
}

// Do runs one action.
func (a *Agent) Do(ctx context.Context, c resources.Call) resources.Outcome {
	if c.Action == resources.ActionMetaData {
		return resources.Outcome{Code: resources.OK, Output: string(Meta().XML())}
	}
	st := dummy.State{Dir: a.dir, Instance: c.Resource}
	if o, hit := st.Fault(ctx, c.Action); hit {
		return o
	}
	cur, o, ok := st.Read()
	if !ok {
		return o
	}
	switch c.Action {
	case resources.ActionStart:
		if cur == statePromoted {
			return resources.Outcome{Code: resources.RunningPromoted, Output: "start: instance is promoted; demote it first"}
		}
		return a.set(st, c, stateStarted)
	case resources.ActionStop:
		if o := st.Remove(); o.Code != resources.OK {
			return o
		}
		return resources.Outcome{Code: resources.OK, Attributes: map[string]string{ScoreAttribute(c.Resource): ""}}
	case resources.ActionPromote:
		if cur == "" {
			return resources.Outcome{Code: resources.NotRunning, Output: "promote: instance is not running"}
		}
		return a.set(st, c, statePromoted)
	case resources.ActionDemote:
		if cur == "" {
			return resources.Outcome{Code: resources.NotRunning, Output: "demote: instance is not running"}
		}
		return a.set(st, c, stateStarted)
	case resources.ActionMonitor:
		switch cur {
		case "":
			return resources.Outcome{Code: resources.NotRunning}
		case statePromoted:
			return a.withScore(st, c, cur, resources.Outcome{Code: resources.RunningPromoted})
		case stateStarted:
			return a.withScore(st, c, cur, resources.Outcome{Code: resources.OK})
		}
		return resources.Outcome{Code: resources.ErrGeneric, Output: fmt.Sprintf("monitor: state file holds %q, want %s or %s", cur, stateStarted, statePromoted)}
	case resources.ActionNotify:
		return resources.Outcome{Code: resources.OK}
	case resources.ActionValidate:
		return dummy.Validate(Meta(), c)
	}
	return resources.Outcome{Code: resources.ErrUnimplemented, Output: fmt.Sprintf("stateful: action %q is not implemented", c.Action)}
}

func (a *Agent) set(st dummy.State, c resources.Call, role string) resources.Outcome {
	if _, err := a.baseScore(c); err != nil {
		return resources.Outcome{Code: resources.ErrNotConfigured, Output: err.Error()}
	}
	if o := st.Write(role); o.Code != resources.OK {
		return o
	}
	return a.withScore(st, c, role, resources.Outcome{Code: resources.OK})
}

func (a *Agent) baseScore(c resources.Call) (int, error) {
	v, ok := c.Params["score"]
	if !ok {
		return 5, nil
	}
	n, err := strconv.Atoi(strings.TrimSpace(v))
	if err != nil || n < 0 || n > 1000000 {
		return 0, fmt.Errorf("resource %q: param score: %q is not an integer between 0 and 1000000", c.Resource, v)
	}
	return n, nil
}

// withScore adds the promotion score attribute to o.
func (a *Agent) withScore(st dummy.State, c resources.Call, role string, o resources.Outcome) resources.Outcome {
	score, err := a.baseScore(c)
	if err != nil {
		return resources.Outcome{Code: resources.ErrNotConfigured, Output: err.Error()}
	}
	if role == statePromoted {
		score *= 2
	}
	if b, err := os.ReadFile(filepath.Join(a.dir, c.Resource+".score")); err == nil {
		if n, err := strconv.Atoi(strings.TrimSpace(string(b))); err == nil {
			score = n
		}
	}
	o.Attributes = map[string]string{ScoreAttribute(c.Resource): strconv.Itoa(score)}
	return o
}
