package lab

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// FaultPolicyOptions extend the lab's PostgreSQL + VIP policy for the
// fault catalogue.
type FaultPolicyOptions struct {
	PolicyOptions
	// Canary adds a non-clone dummy resource "canary" (monitor every 1 s,
	// timeouts 3 s) whose faults are injected with the dummy agent's fault
	// files (see CanaryFault).
	Canary bool
	// Alerts adds an exec alert recipient that appends every event to
	// AlertLog.
	Alerts bool
}

// CanaryID is the id of the catalogue's dummy resource.
const CanaryID = "canary"

// FenceFailDir is the folder whose files, named after a node, make that
// node's fence device fail (see SetFenceFail).
func (l *Lab) FenceFailDir() string { return filepath.Join(l.cfg.Dir, "fence-fail") }

// AlertLog is the file the catalogue's alert recipient appends to.
func (l *Lab) AlertLog() string { return filepath.Join(l.cfg.Dir, "alerts.log") }

// alertScript is the catalogue's exec alert recipient.
func (l *Lab) alertScript() string { return filepath.Join(l.cfg.Dir, "alert.sh") }

// fenceFailCheck runs before FenceScript: a device whose node has a file
// in FenceFailDir fails at once, like a BMC that does not answer.
func (l *Lab) fenceFailCheck() string {
	return fmt.Sprintf("[ -e %q/\"$1\" ] && { echo \"lab: the fence device of $1 is broken (fault catalogue: %s/$1 exists)\" >&2; exit 1; }\n",
		l.FenceFailDir(), l.FenceFailDir())
}

// FaultPolicy returns the lab policy (Policy) with fence devices that can
// be made to fail, and optionally the canary resource and an alert
// recipient. It writes the alert script when o.Alerts is set.
func (l *Lab) FaultPolicy(o FaultPolicyOptions) (string, error) {
	if o.FencePlugin == "lab" {
		return "", fmt.Errorf("lab: the fault catalogue needs the exec fence plugin (its devices can be made to fail)")
	}
	p := l.Policy(o.PolicyOptions)
	old := strconv.Quote(FenceScript)
	if !strings.Contains(p, old) {
		return "", fmt.Errorf("lab: the lab policy no longer embeds FenceScript as a quoted string: update FaultPolicy")
	}
	p = strings.ReplaceAll(p, old, strconv.Quote(l.fenceFailCheck()+FenceScript))
	if err := os.MkdirAll(l.FenceFailDir(), 0o755); err != nil {
		return "", fmt.Errorf("lab: %w", err)
	}
	var b strings.Builder
	b.WriteString(p)
	if o.Canary {
		fmt.Fprintf(&b, `
[[primitive]]
id = %q
agent = "dummy"

[[primitive.op]]
name = "monitor"
interval = "1s"
timeout = "3s"

[[primitive.op]]
name = "start"
timeout = "3s"

[[primitive.op]]
name = "stop"
timeout = "3s"
`, CanaryID)
	}
	if o.Alerts {
		script := fmt.Sprintf("#!/bin/sh\necho \"$(date +%%s.%%N) node=$WARD_ALERT_NODE kind=$WARD_ALERT_KIND severity=$WARD_ALERT_SEVERITY resource=$WARD_ALERT_RESOURCE message=$WARD_ALERT_MESSAGE\" >> %q\n", l.AlertLog())
		if err := os.WriteFile(l.alertScript(), []byte(script), 0o755); err != nil {
			return "", fmt.Errorf("lab: write the alert script: %w", err)
		}
		fmt.Fprintf(&b, `
[[alert]]
id = "catalogue"
kind = "exec"
path = %q
timeout = "5s"
`, l.alertScript())
	}
	return b.String(), nil
}

// SetFenceFail makes the fence device of host i fail (on) or work again.
func (l *Lab) SetFenceFail(i int, on bool) error {
	p := filepath.Join(l.FenceFailDir(), l.Name(i))
	if !on {
		if err := os.Remove(p); err != nil && !os.IsNotExist(err) {
			return fmt.Errorf("lab: %w", err)
		}
		return nil
	}
	if err := os.MkdirAll(l.FenceFailDir(), 0o755); err != nil {
		return fmt.Errorf("lab: %w", err)
	}
	return os.WriteFile(p, []byte("broken\n"), 0o644)
}

// AgentDir is host i's folder of built-in agent state (the dummy's state
// and fault files), seen from outside.
func (l *Lab) AgentDir(i int) string { return filepath.Join(l.HostDir(i), "agents") }

// CanaryFault drops a dummy fault file for action on host i: content is
// an OCF code or "hang", optionally followed by " sticky".
func (l *Lab) CanaryFault(i int, action, content string) error {
	if err := os.MkdirAll(l.AgentDir(i), 0o755); err != nil {
		return fmt.Errorf("lab: %w", err)
	}
	return os.WriteFile(filepath.Join(l.AgentDir(i), CanaryID+".fail-"+action), []byte(content+"\n"), 0o644)
}

// ClearCanaryFaults removes every canary fault file of host i.
func (l *Lab) ClearCanaryFaults(i int) {
	m, _ := filepath.Glob(filepath.Join(l.AgentDir(i), CanaryID+".fail-*"))
	for _, p := range m {
		os.Remove(p)
	}
}

// CanaryActive reports whether the canary's state file exists on host i.
func (l *Lab) CanaryActive(i int) bool {
	_, err := os.Stat(filepath.Join(l.AgentDir(i), CanaryID+".state"))
	return err == nil
}
