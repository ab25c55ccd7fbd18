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
// agents found in DefaultAgentDirs, their metadata cached in the map's
// own cache) and exec. The caller may add to the map (or replace
// entries, as tests and the daemon do for watchdog and lab) before New.
func Builtins() map[string]Plugin {
	cache := NewMetadataCache()
	return map[string]Plugin{
		"agent": func(d policy.FenceDevice) (Device, error) { return NewAgent(d, nil, cache) },
		"exec":  func(d policy.FenceDevice) (Device, error) { return NewExec(d) },
	}
}

// notBuilt is the error for plugins that come with issue 8.
func notBuilt(d policy.FenceDevice) error {
	return fmt.Errorf("fencing: device %q: plugin %q is not available in this build (exec is); fencing through it fails until it is", d.ID, d.Plugin)
}
