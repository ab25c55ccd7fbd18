package fencing

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/ward-ha/ward/policy"
)

// DefaultAgentDirs returns the folders searched for a fence agent named
// without a path (Debian's fence-agents installs into /usr/sbin).
func DefaultAgentDirs() []string { return []string{"/usr/sbin", "/sbin", "/usr/local/sbin"} }

// metadataTimeout bounds `fence_xxx -o metadata`.
const metadataTimeout = 10 * time.Second

// agentName is what a fence agent named without a path looks like.
var agentName = regexp.MustCompile(`^fence_[A-Za-z0-9_]+$`)

// Agent is the agent plugin: it runs a fence agent of the ClusterLabs
// fence-agents standard unmodified. Arguments go on the agent's stdin,
// one key=value per line: action (off, on, reboot, status, monitor,
// list), the device's params and secret_params, the victim's port (as
// "port" or "plug", whichever the agent's metadata lists; agents that
// fence a single host get none) and "nodename" if the agent has it.
// Params are checked against the agent's metadata before each action.
// Exit status 0 means success; for status, 0 means on and 2 means off.
type Agent struct {
	id      string
	path    string
	params  map[string]string
	secrets []string
	cache   *MetadataCache
}

// MetadataCache keeps the metadata of fence agents, keyed by path and
// modification time, so that an agent's metadata is read once. It is
// safe for concurrent use.
type MetadataCache struct {
	mu sync.Mutex
	// m guards the following.
	m map[string]cachedMeta
}

type cachedMeta struct {
	mtime time.Time
	meta  *Metadata
}

// NewMetadataCache returns an empty cache.
func NewMetadataCache() *MetadataCache { return &MetadataCache{m: map[string]cachedMeta{}} }

// NewAgent returns the agent device of d, looking the agent up in dirs
// (DefaultAgentDirs() when nil). cache may be nil (no caching).
func NewAgent(d policy.FenceDevice, dirs []string, cache *MetadataCache) (*Agent, error) {
	path, err := findAgent(d.ID, d.Agent, dirs)
	if err != nil {
		return nil, err
	}
	a := &Agent{id: d.ID, path: path, params: map[string]string{}, cache: cache}
	for k, v := range d.Params {
		a.params[k] = v
	}
	for k, v := range d.SecretParams {
		a.params[k] = v
		if v != "" {
			a.secrets = append(a.secrets, v)
		}
	}
	return a, nil
}

// findAgent resolves the agent's path.
func findAgent(id, name string, dirs []string) (string, error) {
	if name == "" {
		return "", fmt.Errorf("fencing: device %q: plugin agent needs agent, as in agent = \"fence_ipmilan\"", id)
	}
	if filepath.IsAbs(name) {
		if _, err := os.Stat(name); err != nil {
			return "", fmt.Errorf("fencing: device %q: agent %s: %w (is the fence agent installed?)", id, name, err)
		}
		return name, nil
	}
	if !agentName.MatchString(name) {
		return "", fmt.Errorf("fencing: device %q: agent %q is not a fence agent name (fence_xxx) nor an absolute path", id, name)
	}
	if dirs == nil {
		dirs = DefaultAgentDirs()
	}
	for _, dir := range dirs {
		p := filepath.Join(dir, name)
		if st, err := os.Stat(p); err == nil && !st.IsDir() {
			return p, nil
		}
	}
	return "", fmt.Errorf("fencing: device %q: fence agent %s not found in %s (install Debian's fence-agents package, or give an absolute path)",
		id, name, strings.Join(dirs, ", "))
}

// Path returns the agent's executable.
func (a *Agent) Path() string { return a.path }

// Metadata returns the agent's metadata (from the cache when the agent
// file has not changed).
func (a *Agent) Metadata(ctx context.Context) (*Metadata, error) {
	st, err := os.Stat(a.path)
	if err != nil {
		return nil, fmt.Errorf("fencing: device %q: agent %s: %w", a.id, a.path, err)
	}
	if a.cache != nil {
		a.cache.mu.Lock()
		c, ok := a.cache.m[a.path]
		a.cache.mu.Unlock()
		if ok && c.mtime.Equal(st.ModTime()) {
			return c.meta, nil
		}
	}
	ctx, cancel := context.WithTimeout(ctx, metadataTimeout)
	defer cancel()
	out, code, err := runStdout(ctx, []string{a.path, "-o", "metadata"}, maxMetadata+1)
	if err != nil || code != 0 {
		return nil, fmt.Errorf("fencing: device %q: %s -o metadata failed (exit %d): %v %s", a.id, a.path, code, err, firstLine(out))
	}
	m, err := ParseMetadata([]byte(out))
	if err != nil {
		return nil, fmt.Errorf("fencing: device %q: %s: %w", a.id, a.path, err)
	}
	if a.cache != nil {
		a.cache.mu.Lock()
		a.cache.m[a.path] = cachedMeta{mtime: st.ModTime(), meta: m}
		a.cache.mu.Unlock()
	}
	return m, nil
}

// Validate reads the agent's metadata and checks the device's params
// against it.
func (a *Agent) Validate(ctx context.Context) error {
	m, err := a.Metadata(ctx)
	if err != nil {
		return err
	}
	if err := m.CheckParams(a.params); err != nil {
		return fmt.Errorf("fencing: device %q: %w", a.id, err)
	}
	return nil
}

// run runs action for port and returns the exit code and output.
func (a *Agent) run(ctx context.Context, action, target, port string) (int, string, error) {
	m, err := a.Metadata(ctx)
	if err != nil {
		return -1, "", err
	}
	if err := m.CheckParams(a.params); err != nil {
		return -1, "", fmt.Errorf("fencing: device %q: %w", a.id, err)
	}
	if !m.Supports(action) {
		return -1, "", fmt.Errorf("fencing: device %q: %s does not support action %s (it lists %s)", a.id, a.path, action, strings.Join(m.Actions, ", "))
	}
	args := make(map[string]string, len(a.params)+3)
	for k, v := range a.params {
		args[k] = v
	}
	args["action"] = action
	if h := m.HostArgument(); h != "" && port != "" {
		args[h] = port
	}
	if _, ok := m.Param("nodename"); ok && target != "" {
		args["nodename"] = target
	}
	stdin, err := EncodeArgs(args)
	if err != nil {
		return -1, "", fmt.Errorf("fencing: device %q: %w", a.id, err)
	}
	out, code, err := runProcess(ctx, []string{a.path}, nil, stdin)
	out = a.redact(out)
	if err != nil {
		if errors.Is(err, errTimeout) {
			return -1, out, fmt.Errorf("fencing: device %q: %s %s %s did not finish in time: %w", a.id, filepath.Base(a.path), action, port, ctx.Err())
		}
		return -1, out, fmt.Errorf("fencing: device %q: run %s: %w", a.id, a.path, err)
	}
	return code, out, nil
}

// Fence runs action (off or reboot) for port; exit status 0 means done.
func (a *Agent) Fence(ctx context.Context, target, port, action string) error {
	if action != "off" && action != "reboot" {
		return fmt.Errorf("fencing: device %q: action %q is not a fencing action (off or reboot)", a.id, action)
	}
	code, out, err := a.run(ctx, action, target, port)
	if err != nil {
		return err
	}
	if code != 0 {
		return fmt.Errorf("fencing: device %q: %s %s %s exited with %d: %s", a.id, filepath.Base(a.path), action, port, code, lastLines(out))
	}
	return nil
}

// On powers port on (fence-agents action on), used to unfence.
func (a *Agent) On(ctx context.Context, target, port string) error {
	code, out, err := a.run(ctx, "on", target, port)
	if err != nil {
		return err
	}
	if code != 0 {
		return fmt.Errorf("fencing: device %q: %s on %s exited with %d: %s", a.id, filepath.Base(a.path), port, code, lastLines(out))
	}
	return nil
}

// Status reports port's power: exit 0 is on, 2 is off.
func (a *Agent) Status(ctx context.Context, target, port string) (Power, error) {
	code, out, err := a.run(ctx, "status", target, port)
	switch {
	case err != nil:
		return PowerUnknown, err
	case code == 0:
		return PowerOn, nil
	case code == 2:
		return PowerOff, nil
	default:
		return PowerUnknown, fmt.Errorf("fencing: device %q: %s status %s exited with %d: %s", a.id, filepath.Base(a.path), port, code, lastLines(out))
	}
}

// Monitor checks that the device answers (action monitor).
func (a *Agent) Monitor(ctx context.Context) error {
	code, out, err := a.run(ctx, "monitor", "", "")
	if err != nil {
		return err
	}
	if code != 0 {
		return fmt.Errorf("fencing: device %q: %s monitor exited with %d: %s", a.id, filepath.Base(a.path), code, lastLines(out))
	}
	return nil
}

// List returns the ports the device knows (action list: one "port,alias"
// per line).
func (a *Agent) List(ctx context.Context) ([]string, error) {
	code, out, err := a.run(ctx, "list", "", "")
	if err != nil {
		return nil, err
	}
	if code != 0 {
		return nil, fmt.Errorf("fencing: device %q: %s list exited with %d: %s", a.id, filepath.Base(a.path), code, lastLines(out))
	}
	var ports []string
	for _, l := range strings.Split(out, "\n") {
		p, _, _ := strings.Cut(strings.TrimSpace(l), ",")
		if p != "" {
			ports = append(ports, p)
		}
	}
	return ports, nil
}

// redact replaces every secret param value in s.
func (a *Agent) redact(s string) string {
	for _, v := range a.secrets {
		s = strings.ReplaceAll(s, v, "[redacted]")
	}
	return s
}

// firstLine returns s's first non-empty line.
func firstLine(s string) string {
	for _, l := range strings.Split(s, "\n") {
		if l = strings.TrimSpace(l); l != "" {
			return l
		}
	}
	return ""
}

// lastLines returns the last three non-empty lines of s, joined by " | ".
func lastLines(s string) string {
	var ls []string
	for _, l := range strings.Split(s, "\n") {
		if l = strings.TrimSpace(l); l != "" {
			ls = append(ls, l)
		}
	}
	if len(ls) > 3 {
		ls = ls[len(ls)-3:]
	}
	if len(ls) == 0 {
		return "(no output)"
	}
	return strings.Join(ls, " | ")
}
