// Package registry maps agent names to agents: the built-in agents by
// name (dummy, stateful, exec, and any the caller adds) and OCF agents as
// "ocf:PROVIDER:TYPE". There is no global registry: the daemon and the
// CLI build one from Builtins and pass it where it is needed (it is the
// resources.Resolver of the executor).
//
// To add an agent (postgres, vip), add a constructor to the map before
// calling New:
//
//	b := registry.Builtins()
//	b["vip"] = func(o registry.Options) (resources.Agent, error) { return vip.New(...), nil }
//	reg := registry.New(opts, b)
package registry

import (
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"strings"
	"sync"

	"github.com/ward-ha/ward/agents/dummy"
	"github.com/ward-ha/ward/agents/exec"
	"github.com/ward-ha/ward/agents/ocf"
	"github.com/ward-ha/ward/agents/postgres"
	"github.com/ward-ha/ward/agents/stateful"
	"github.com/ward-ha/ward/agents/vip"
	"github.com/ward-ha/ward/internal/clock"
	"github.com/ward-ha/ward/resources"
)

// Options configures the agents a Registry builds.
type Options struct {
	// StateDir is where built-in test agents keep state files
	// (dummy.DefaultStateDir when empty).
	StateDir string
	// OCF configures OCF agents (OCF_ROOT, HA_RSCTMP, ...).
	OCF ocf.Options
	// Logger receives what the built-in vip and postgres agents decide
	// (takeovers, rewinds, repointing), with an "agent" attribute;
	// discarded when nil.
	Logger *slog.Logger
	// Clock is the built-in agents' time source (clock.Real() when nil).
	Clock clock.Clock
}

// agentLogger returns o's logger for agent name (nil stays nil: the
// agent discards).
func (o Options) agentLogger(name string) *slog.Logger {
	if o.Logger == nil {
		return nil
	}
	return o.Logger.With("agent", name)
}

// Constructor builds a built-in agent.
type Constructor func(Options) (resources.Agent, error)

// Builtins returns a new map of ward's own agents: dummy, stateful,
// exec, vip and postgres. The caller may add to it before New.
func Builtins() map[string]Constructor {
	return map[string]Constructor{
		"dummy":    func(o Options) (resources.Agent, error) { return dummy.New(o.StateDir), nil },
		"stateful": func(o Options) (resources.Agent, error) { return stateful.New(o.StateDir), nil },
		"exec":     func(Options) (resources.Agent, error) { return exec.New(), nil },
		"vip": func(o Options) (resources.Agent, error) {
			return vip.New(vip.Options{Clock: o.Clock, Logger: o.agentLogger("vip")}), nil
		},
		"postgres": func(o Options) (resources.Agent, error) {
			return postgres.New(postgres.Options{Clock: o.Clock, Logger: o.agentLogger("postgres")}), nil
		},
	}
}

// Registry resolves agent names. Agents are built on first use and
// reused (so OCF meta-data is read once). It is safe for concurrent use.
type Registry struct {
	opts     Options
	builtins map[string]Constructor

	// mu guards the following.
	mu     sync.Mutex
	agents map[string]resources.Agent
}

// New returns a Registry of the given built-ins (copied) and every OCF
// agent under opts.OCF.Root.
func New(opts Options, builtins map[string]Constructor) *Registry {
	b := make(map[string]Constructor, len(builtins))
	for k, v := range builtins {
		b[k] = v
	}
	if opts.OCF.Root == "" {
		opts.OCF.Root = ocf.DefaultRoot
	}
	return &Registry{opts: opts, builtins: b, agents: map[string]resources.Agent{}}
}

// ErrUnknownAgent is returned (wrapped) by Lookup for a name that is
// neither a built-in nor of the form ocf:PROVIDER:TYPE.
var ErrUnknownAgent = errors.New("registry: unknown agent")

// Lookup returns the agent named name.
func (r *Registry) Lookup(name string) (resources.Agent, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if a, ok := r.agents[name]; ok {
		return a, nil
	}
	var a resources.Agent
	var err error
	switch c, ok := r.builtins[name]; {
	case ok:
		a, err = c(r.opts)
	case strings.HasPrefix(name, "ocf:"):
		a, err = ocf.New(name, r.opts.OCF)
	default:
		return nil, fmt.Errorf("%w %q: built-in agents are %s; OCF agents are named ocf:PROVIDER:TYPE (see ward agent list)",
			ErrUnknownAgent, name, strings.Join(r.BuiltinNames(), ", "))
	}
	if err != nil {
		return nil, err
	}
	r.agents[name] = a
	return a, nil
}

// BuiltinNames returns the built-in agents' names, sorted.
func (r *Registry) BuiltinNames() []string {
	names := make([]string, 0, len(r.builtins))
	for k := range r.builtins {
		names = append(names, k)
	}
	sort.Strings(names)
	return names
}

// Entry is one agent List found.
type Entry struct {
	Name string `json:"name"`
	// Kind is "builtin" or "ocf".
	Kind string `json:"kind"`
	// Path is an OCF agent's script.
	Path string `json:"path,omitempty"`
}

// List returns the built-in agents, then every OCF agent installed under
// the OCF root, each group sorted by name.
func (r *Registry) List() ([]Entry, error) {
	var out []Entry
	for _, n := range r.BuiltinNames() {
		out = append(out, Entry{Name: n, Kind: "builtin"})
	}
	names, err := ocf.List(r.opts.OCF.Root)
	if err != nil {
		return out, err
	}
	for _, n := range names {
		p, t, _ := ocf.ParseName(n)
		out = append(out, Entry{Name: n, Kind: "ocf", Path: r.opts.OCF.Root + "/resource.d/" + p + "/" + t})
	}
	return out, nil
}

// OCFRoot returns the OCF root the registry looks in.
func (r *Registry) OCFRoot() string { return r.opts.OCF.Root }
