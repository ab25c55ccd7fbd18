package fencing

import (
	"context"
	"fmt"
	"strings"

	"github.com/ward-ha/ward/internal/lab"
	"github.com/ward-ha/ward/policy"
)

// Lab is the lab plugin: it powers off a host of `ward lab` (a network
// namespace on this machine) by downing its switch port and killing
// every process of the host, then waiting until none runs. The node's
// namespace is the param prefix (default "wardlab-") followed by its
// port (the host_map entry, or the node name). Reboot acts as off: a lab
// host comes back only with ward lab boot. It needs root.
type Lab struct {
	id     string
	prefix string
}

// NewLab returns the lab device of d.
func NewLab(d policy.FenceDevice) (*Lab, error) {
	prefix := d.Params["prefix"]
	if prefix == "" {
		prefix = lab.DefaultPrefix
	}
	if strings.ContainsAny(prefix, "/ \t") {
		return nil, fmt.Errorf("fencing: device %q: params.prefix %q: want a namespace name prefix such as %q", d.ID, prefix, lab.DefaultPrefix)
	}
	return &Lab{id: d.ID, prefix: prefix}, nil
}

// Fence powers the host off; it returns nil once no process of the host
// runs any more.
func (l *Lab) Fence(ctx context.Context, target, port, action string) error {
	if action != "off" && action != "reboot" {
		return fmt.Errorf("fencing: device %q: action %q is not a fencing action (off or reboot)", l.id, action)
	}
	if err := lab.PowerOff(ctx, l.prefix, port); err != nil {
		return fmt.Errorf("fencing: device %q: %s %s: %w", l.id, action, target, err)
	}
	return nil
}
