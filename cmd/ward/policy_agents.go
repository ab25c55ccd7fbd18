package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/ward-ha/ward/agents/registry"
	"github.com/ward-ha/ward/policy"
)

// agentParamsLookup describes agents for `ward policy check` from this
// machine's registry, once per agent.
type agentParamsLookup struct {
	ctx    context.Context
	reg    *registry.Registry
	cache  map[string]policy.AgentParams
	failed map[string]string // agent -> why it could not be described
}

func newAgentParamsLookup(ctx context.Context, reg *registry.Registry) *agentParamsLookup {
	if ctx == nil {
		ctx = context.Background()
	}
	return &agentParamsLookup{ctx: ctx, reg: reg, cache: map[string]policy.AgentParams{}, failed: map[string]string{}}
}

// lookup returns what agent declares, false when it is not installed
// here or its meta-data cannot be read (the reason is kept).
func (a *agentParamsLookup) lookup(agent string) (policy.AgentParams, bool) {
	if ap, ok := a.cache[agent]; ok {
		return ap, true
	}
	if _, ok := a.failed[agent]; ok {
		return policy.AgentParams{}, false
	}
	ag, err := a.reg.Lookup(agent)
	if err != nil {
		a.failed[agent] = err.Error()
		return policy.AgentParams{}, false
	}
	ctx, cancel := context.WithTimeout(a.ctx, 20*time.Second)
	defer cancel()
	md, err := ag.Metadata(ctx)
	if err != nil {
		a.failed[agent] = err.Error()
		return policy.AgentParams{}, false
	}
	var ap policy.AgentParams
	for _, p := range md.Params {
		ap.Names = append(ap.Names, p.Name)
		if p.Required {
			ap.Required = append(ap.Required, p.Name)
		}
	}
	for _, x := range md.Actions {
		if x.Name == "notify" {
			ap.Notify = true
		}
	}
	a.cache[agent] = ap
	return ap, true
}

// checkPolicyAgents checks cfg's primitives' parameters (file f) against
// their agents: errors and warnings go to w with their source lines,
// then the agents that could not be checked. It reports whether there
// was no error.
func checkPolicyAgents(w io.Writer, f string, cfg *policy.Config, agents *agentParamsLookup) bool {
	data, err := os.ReadFile(f) // Load just read it, within its size limit
	if err != nil {
		fmt.Fprintf(w, "%s: the parameters were not checked: %v\n", f, err)
		return true
	}
	problems, warnings := policy.CheckAgentParams(f, data, cfg, agents.lookup)
	for _, e := range warnings {
		fmt.Fprintln(w, strings.Replace(e.Error(), ": ", ": warning: ", 1))
		io.WriteString(w, e.Snippet())
	}
	for _, e := range problems {
		fmt.Fprintln(w, e.Error())
		io.WriteString(w, e.Snippet())
	}
	unchecked := map[string][]string{}
	for _, p := range cfg.Primitives {
		if _, failed := agents.failed[p.Agent]; failed {
			unchecked[p.Agent] = append(unchecked[p.Agent], p.ID)
		}
	}
	names := make([]string, 0, len(unchecked))
	for a := range unchecked {
		names = append(names, a)
	}
	sort.Strings(names)
	for _, a := range names {
		fmt.Fprintf(w, "%s: note: the parameters of %s were not checked: agent %s: %s\n", f, strings.Join(unchecked[a], ", "), a, agents.failed[a])
	}
	return len(problems) == 0
}
