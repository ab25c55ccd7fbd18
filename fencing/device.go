package fencing

import (
	"context"
	"fmt"

	"github.com/ward-ha/ward/policy"
)

// Device is one configured fencing device, ready to act.
type Device interface {
	// Fence powers off (action "off") or resets (action "reboot") the
	// node named target, whose name on the device is port (the policy's
	// host_map entry, or the node name). It blocks until the device has
	// confirmed, failed, or ctx is done, and must then stop promptly. It
	// returns nil only when the node is known to be off (or reset). It is
	// safe for concurrent use for different targets.
	Fence(ctx context.Context, target, port, action string) error
}

// Plugin builds a Device from its policy entry. It must not start
// anything; it returns an error naming the field at fault.
type Plugin func(d policy.FenceDevice) (Device, error)

// Builtins returns the plugins this package provides: agent (fence
// agents found in DefaultAgentDirs(), their metadata cached in the map's
// own cache), exec and lab. The watchdog plugin needs the cluster's
// watchdog_timeout and the Fencer's clock, so the Fencer builds it
// itself unless the map has an entry "watchdog". The caller may add to
// the map (or replace entries, as tests do) before New.
func Builtins() map[string]Plugin {
	cache := NewMetadataCache()
	return map[string]Plugin{
		"agent": func(d policy.FenceDevice) (Device, error) { return NewAgent(d, nil, cache) },
		"exec":  func(d policy.FenceDevice) (Device, error) { return NewExec(d) },
		"lab":   func(d policy.FenceDevice) (Device, error) { return NewLab(d) },
	}
}

// notBuilt is the error for a plugin the Fencer has no entry for.
func notBuilt(d policy.FenceDevice) error {
	return fmt.Errorf("fencing: device %q: plugin %q is not available in this build (agent, exec, lab and watchdog are); fencing through it fails", d.ID, d.Plugin)
}
