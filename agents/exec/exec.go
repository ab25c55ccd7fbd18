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
	"strings"
	"time"

	"github.com/ward-ha/ward/agents/ocf"
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
	env, err := ocf.Env(c)
	if err != nil {
		return resources.Outcome{Code: resources.ErrArgs, Output: err.Error()}
	}
	dir := c.Params["dir"]
	if dir == "" {
		dir = "/"
	}
	return resources.Command{Path: a.shell, Args: []string{"-c", command}, Env: env, Dir: dir, OutputLimit: a.outputLimit}.Run(ctx).Outcome()
}
