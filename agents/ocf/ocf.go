// Package ocf runs OCF resource agents (the scripts of Debian's
// resource-agents package and any other that follows the OCF Resource
// Agent API 1.1) unmodified: ward sets the environment Pacemaker would
// (OCF_ROOT, OCF_RESOURCE_INSTANCE, OCF_RESKEY_<param>,
// OCF_RESKEY_CRM_meta_*, notify variables), runs
// $OCF_ROOT/resource.d/<provider>/<type> <action> in its own process
// group, and reads its exit code as an OCF code.
package ocf

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"

	"github.com/ward-ha/ward/resources"
)

// DefaultRoot is OCF_ROOT when none is configured.
const DefaultRoot = "/usr/lib/ocf"

// DefaultRunDir is HA_RSCTMP when none is configured (the agents' own
// default).
const DefaultRunDir = "/run/resource-agents"

// crmFeatureSet is the Pacemaker feature set ward claims to agents;
// ocf-shellfuncs compares it to pick promotion-score tools.
const crmFeatureSet = "3.16.2"

// Options configures OCF agents.
type Options struct {
	// Root is OCF_ROOT (DefaultRoot when empty).
	Root string
	// RunDir is HA_RSCTMP: where agents keep state files
	// (DefaultRunDir when empty). It is created before the first action
	// if missing: /run is emptied at boot, and without systemd nothing
	// else recreates it.
	RunDir string
	// SbinDir, when set, is HA_SBIN_DIR: where agents find
	// crm_attribute and crm_master. Point it at a folder prepared with
	// InstallShims so that promotable agents' promotion scores come back
	// in Outcome.Attributes.
	SbinDir string
	// LogFacility is HA_LOGFACILITY, the syslog facility ocf-shellfuncs
	// logs to. Empty means "none": agents then log on stderr, which ward
	// captures into the result. (With syslog logging and no syslog
	// daemon, each logged message cost an agent half a second here.)
	LogFacility string
	// OutputLimit caps each output stream (resources.DefaultOutputLimit
	// when zero).
	OutputLimit int
}

// Agent runs one OCF agent script. It is safe for concurrent use.
type Agent struct {
	opts     Options
	provider string
	typ      string
	path     string

	// mu guards the following.
	mu     sync.Mutex
	md     *resources.Metadata
	runDir bool // RunDir exists
}

// ParseName splits "ocf:PROVIDER:TYPE" into provider and type.
func ParseName(name string) (provider, typ string, err error) {
	parts := strings.Split(name, ":")
	if len(parts) != 3 || parts[0] != "ocf" {
		return "", "", fmt.Errorf("ocf: agent name %q is not of the form ocf:PROVIDER:TYPE (for example ocf:heartbeat:Dummy)", name)
	}
	for _, p := range parts[1:] {
		if p == "" || p == "." || p == ".." || strings.ContainsAny(p, "/\x00") {
			return "", "", fmt.Errorf("ocf: agent name %q: %q is not a valid provider or type", name, p)
		}
	}
	return parts[1], parts[2], nil
}

// New returns the agent named "ocf:PROVIDER:TYPE". It does not check
// that the script exists: running a missing one answers
// ErrNotInstalled, as on a node where the package is not installed.
func New(name string, opts Options) (*Agent, error) {
	provider, typ, err := ParseName(name)
	if err != nil {
		return nil, err
	}
	if opts.Root == "" {
		opts.Root = DefaultRoot
	}
	if opts.RunDir == "" {
		opts.RunDir = DefaultRunDir
	}
	return &Agent{opts: opts, provider: provider, typ: typ,
		path: filepath.Join(opts.Root, "resource.d", provider, typ)}, nil
}

// Path returns the agent script's path.
func (a *Agent) Path() string { return a.path }

// Do runs the agent's script with c.Action as its argument.
func (a *Agent) Do(ctx context.Context, c resources.Call) resources.Outcome {
	env, err := Env(c)
	if err != nil {
		return resources.Outcome{Code: resources.ErrArgs, Output: err.Error()}
	}
	env = append(env,
		"OCF_ROOT="+a.opts.Root,
		"OCF_RA_VERSION_MAJOR=1",
		"OCF_RA_VERSION_MINOR=1",
		"OCF_RESOURCE_TYPE="+a.typ,
		"OCF_RESOURCE_PROVIDER="+a.provider,
		"OCF_RESKEY_crm_feature_set="+crmFeatureSet,
	)
	facility := a.opts.LogFacility
	if facility == "" {
		facility = "none"
	}
	env = append(env, "HA_LOGFACILITY="+facility)
	env = append(env, "HA_RSCTMP="+a.opts.RunDir)
	a.mu.Lock()
	if !a.runDir {
		// A failure is left for the agent to report.
		if err := os.MkdirAll(a.opts.RunDir, 0o755); err == nil {
			a.runDir = true
		}
	}
	a.mu.Unlock()
	var attrFile string
	if a.opts.SbinDir != "" && c.Action != resources.ActionMetaData {
		f, err := os.CreateTemp("", "ward-attrs-*")
		if err != nil {
			return resources.Outcome{Code: resources.ErrGeneric, Err: fmt.Errorf("ocf: %s: create attribute file: %w", a.path, err)}
		}
		attrFile = f.Name()
		f.Close()
		env = append(env, "HA_SBIN_DIR="+a.opts.SbinDir, "WARD_ATTR_FILE="+attrFile)
	}
	limit := a.opts.OutputLimit
	if c.Action == resources.ActionMetaData {
		limit = resources.MaxMetadataSize
	}
	res := resources.Command{Path: a.path, Args: []string{c.Action}, Env: env, OutputLimit: limit}.Run(ctx)
	if c.Action == resources.ActionMetaData && res.Err == nil {
		// The XML alone: agents log on stderr.
		return resources.Outcome{Code: res.Code, Output: string(res.Stdout), Truncated: res.Truncated}
	}
	o := res.Outcome()
	if attrFile != "" {
		attrs, err := readAttrs(attrFile)
		if err != nil {
			o.Output += fmt.Sprintf("\nward: ignored the agent's attribute updates: %v", err)
		}
		o.Attributes = attrs
	}
	return o
}

// Metadata runs the agent's meta-data action once and parses it; later
// calls return the parsed copy.
func (a *Agent) Metadata(ctx context.Context) (*resources.Metadata, error) {
	a.mu.Lock()
	md := a.md
	a.mu.Unlock()
	if md != nil {
		return md, nil
	}
	o := a.Do(ctx, resources.Call{Resource: "meta-data", Action: resources.ActionMetaData})
	if o.Err != nil {
		return nil, fmt.Errorf("ocf: %s meta-data: %w", a.path, o.Err)
	}
	if o.Code != resources.OK {
		return nil, fmt.Errorf("ocf: %s meta-data: exit %d (%v): %s", a.path, int(o.Code), o.Code, firstLine(o.Output))
	}
	if o.Truncated {
		return nil, fmt.Errorf("ocf: %s meta-data: over %d bytes", a.path, resources.MaxMetadataSize)
	}
	md, err := resources.ParseMetadata([]byte(o.Output))
	if err != nil {
		return nil, fmt.Errorf("ocf: %s: %w", a.path, err)
	}
	a.mu.Lock()
	a.md = md
	a.mu.Unlock()
	return md, nil
}

// ValidateParams checks a resource's parameters against the agent's
// meta-data: unknown parameters and missing required ones are errors.
func (a *Agent) ValidateParams(ctx context.Context, resource string, params map[string]string) error {
	md, err := a.Metadata(ctx)
	if err != nil {
		return err
	}
	return md.CheckParams(resource, params)
}

func firstLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}

// maxListed bounds how many agents List returns.
const maxListed = 10000

// List returns the names ("ocf:PROVIDER:TYPE") of every executable agent
// under root/resource.d, sorted. A missing root is an empty list.
func List(root string) ([]string, error) {
	if root == "" {
		root = DefaultRoot
	}
	base := filepath.Join(root, "resource.d")
	providers, err := os.ReadDir(base)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("ocf: list agents in %s: %w", base, err)
	}
	var out []string
	for _, p := range providers {
		if strings.HasPrefix(p.Name(), ".") {
			continue
		}
		dir := filepath.Join(base, p.Name())
		entries, err := os.ReadDir(dir)
		if err != nil {
			continue // a file, or unreadable: not a provider
		}
		for _, e := range entries {
			if strings.HasPrefix(e.Name(), ".") || strings.Contains(e.Name(), ":") {
				continue
			}
			fi, err := os.Stat(filepath.Join(dir, e.Name()))
			if err != nil || !fi.Mode().IsRegular() || fi.Mode()&0o111 == 0 {
				continue
			}
			out = append(out, "ocf:"+p.Name()+":"+e.Name())
			if len(out) >= maxListed {
				sort.Strings(out)
				return out, nil
			}
		}
	}
	sort.Strings(out)
	return out, nil
}
