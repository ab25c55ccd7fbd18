// Package exec is the agent for services managed by plain commands: the
// policy gives the command of each action as a parameter, and ward runs
// it with /bin/sh -c, so an operator can write what they would type
// (pipes, &&, redirections). Commands come from the policy file, which
// only root may change; ward passes them to the shell unmodified.
//
// Exit codes follow OCF: 0 success, 7 not running (monitor), 8 running
// promoted, and the error codes 1-6 with their usual recovery. A monitor
// command that cannot tell "stopped" from "failed" should exit 7 when the
// service is simply not running, or ward will treat a clean stop as a
// failure.
package exec

import (
	"context"
	"fmt"
	"os"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/ward-ha/ward/resources"
)

// Agent is the exec agent. It is safe for concurrent use.
type Agent struct {
	shell       string
	outputLimit int
}

// New returns an exec agent that runs commands with /bin/sh -c.
func New() *Agent { return &Agent{shell: "/bin/sh"} }

// actionParams maps actions to the parameter holding their command.
var actionParams = map[string]string{
	resources.ActionStart:    "start",
	resources.ActionStop:     "stop",
	resources.ActionMonitor:  "monitor",
	resources.ActionPromote:  "promote",
	resources.ActionDemote:   "demote",
	resources.ActionNotify:   "notify",
	resources.ActionValidate: "validate",
}

// Meta describes the exec agent.
func Meta() *resources.Metadata {
	cmd := func(name, desc string, required bool) resources.ParamSpec {
		return resources.ParamSpec{Name: name, Type: "string", Required: required, ShortDesc: desc,
			LongDesc: desc + ". Run with /bin/sh -c in the folder given by dir, with OCF_RESOURCE_INSTANCE, OCF_RESKEY_<param> and OCF_RESKEY_CRM_meta_* set."}
	}
	return &resources.Metadata{
		Name:      "exec",
		Version:   "1.0",
		ShortDesc: "Service managed by shell commands",
		LongDesc: "Runs the command given for each action with /bin/sh -c; its exit status is the OCF code " +
			"(monitor: 0 running, 7 stopped, 8 promoted). promote and demote work when their commands are set.",
		Params: []resources.ParamSpec{
			cmd("start", "Command that starts the service", true),
			cmd("stop", "Command that stops the service; it must succeed when the service is already stopped", true),
			cmd("monitor", "Command that checks the service: exit 0 running, 7 stopped", true),
			cmd("promote", "Command that promotes the service (promotable clones only)", false),
			cmd("demote", "Command that demotes the service (promotable clones only)", false),
			cmd("notify", "Command run on clone notifications", false),
			cmd("validate", "Command that checks the configuration", false),
			{Name: "dir", Type: "string", Default: "/", ShortDesc: "Working folder of the commands"},
		},
		Actions: []resources.ActionSpec{
			{Name: "start", Timeout: 20 * time.Second},
			{Name: "stop", Timeout: 20 * time.Second},
			{Name: "monitor", Timeout: 20 * time.Second, Interval: 10 * time.Second},
			{Name: "notify", Timeout: 20 * time.Second},
			{Name: "validate-all", Timeout: 20 * time.Second},
			{Name: "meta-data", Timeout: 5 * time.Second},
		},
	}
}

// Metadata returns Meta().
func (a *Agent) Metadata(context.Context) (*resources.Metadata, error) { return Meta(), nil }

// Do runs the command of c.Action.
func (a *Agent) Do(ctx context.Context, c resources.Call) resources.Outcome {
	if c.Action == resources.ActionMetaData {
		return resources.Outcome{Code: resources.OK, Output: string(Meta().XML())}
	}
	p, known := actionParams[c.Action]
	if !known {
		return resources.Outcome{Code: resources.ErrUnimplemented, Output: fmt.Sprintf("exec: action %q is not implemented", c.Action)}
	}
	if c.Action == resources.ActionValidate {
		if err := Meta().CheckParams(c.Resource, c.Params); err != nil {
			return resources.Outcome{Code: resources.ErrNotConfigured, Output: err.Error()}
		}
	}
	command := strings.TrimSpace(c.Params[p])
	if command == "" {
		switch c.Action {
		case resources.ActionStart, resources.ActionStop, resources.ActionMonitor:
			return resources.Outcome{Code: resources.ErrNotConfigured, Output: fmt.Sprintf("exec: resource %q: param %q (the %s command) is not set", c.Resource, p, c.Action)}
		case resources.ActionValidate, resources.ActionNotify:
			return resources.Outcome{Code: resources.OK}
		}
		return resources.Outcome{Code: resources.ErrUnimplemented, Output: fmt.Sprintf("exec: resource %q has no %s command (param %q)", c.Resource, c.Action, p)}
	}
	env, err := Env(c)
	if err != nil {
		return resources.Outcome{Code: resources.ErrArgs, Output: err.Error()}
	}
	dir := c.Params["dir"]
	if dir == "" {
		dir = "/"
	}
	return resources.Command{Path: a.shell, Args: []string{"-c", command}, Env: env, Dir: dir, OutputLimit: a.outputLimit}.Run(ctx).Outcome()
}

// Env returns the environment a command or OCF agent runs with: PATH,
// OCF_RESOURCE_INSTANCE, OCF_RESKEY_<param>, OCF_RESKEY_CRM_meta_<meta>
// (with '-' turned into '_'), OCF_RESKEY_CRM_meta_timeout and _interval
// in milliseconds, and the notify variables of a notify action. Names
// that cannot be environment variables are an error.
func Env(c resources.Call) ([]string, error) {
	env := []string{
		"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
		"LC_ALL=C",
		"OCF_RESOURCE_INSTANCE=" + c.Resource,
		"OCF_RESKEY_CRM_meta_timeout=" + strconv.FormatInt(c.Timeout.Milliseconds(), 10),
		"OCF_RESKEY_CRM_meta_interval=" + strconv.FormatInt(c.Interval.Milliseconds(), 10),
	}
	if v, ok := os.LookupEnv("HOME"); ok {
		env = append(env, "HOME="+v)
	}
	add := func(prefix string, m map[string]string, what string) error {
		keys := make([]string, 0, len(m))
		for k := range m {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			name := strings.ReplaceAll(k, "-", "_")
			if !validName(name) {
				return fmt.Errorf("resource %q: %s %q cannot be passed to the agent: use letters, digits and _ only", c.Resource, what, k)
			}
			if strings.ContainsRune(m[k], 0) {
				return fmt.Errorf("resource %q: %s %q: value contains a NUL byte", c.Resource, what, k)
			}
			if prefix == "OCF_RESKEY_CRM_meta_" && (name == "timeout" || name == "interval") {
				continue
			}
			env = append(env, prefix+name+"="+m[k])
		}
		return nil
	}
	if err := add("OCF_RESKEY_", c.Params, "param"); err != nil {
		return nil, err
	}
	if err := add("OCF_RESKEY_CRM_meta_", c.Meta, "meta attribute"); err != nil {
		return nil, err
	}
	if n := c.Notify; n != nil {
		env = append(env, "OCF_RESKEY_CRM_meta_notify_type="+n.Type, "OCF_RESKEY_CRM_meta_notify_operation="+n.Operation)
		cats := make([]string, 0, len(n.Instances))
		for k := range n.Instances {
			cats = append(cats, k)
		}
		sort.Strings(cats)
		for _, cat := range cats {
			if !validName(cat) {
				return nil, fmt.Errorf("resource %q: notify category %q is not a valid name", c.Resource, cat)
			}
			var rs, us []string
			for _, in := range n.Instances[cat] {
				rs = append(rs, in.Resource)
				us = append(us, in.Node)
			}
			names := []string{cat}
			// Agents written for older Pacemaker read master/slave.
			switch cat {
			case "promoted":
				names = append(names, "master")
			case "unpromoted":
				names = append(names, "slave")
			}
			for _, name := range names {
				env = append(env,
					"OCF_RESKEY_CRM_meta_notify_"+name+"_resource="+strings.Join(rs, " "),
					"OCF_RESKEY_CRM_meta_notify_"+name+"_uname="+strings.Join(us, " "))
			}
		}
	}
	return env, nil
}

func validName(s string) bool {
	if s == "" || len(s) > 200 {
		return false
	}
	for i, r := range s {
		ok := r == '_' || (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z') || (i > 0 && r >= '0' && r <= '9')
		if !ok {
			return false
		}
	}
	return true
}
