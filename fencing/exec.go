package fencing

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/ward-ha/ward/policy"
)

// maxExecOutput bounds the output kept from a fencing command.
const maxExecOutput = 4096

// Exec is the exec plugin: it runs the device's command with the
// victim's name (its host_map entry, if any) as the last argument. The
// environment carries WARD_FENCE_TARGET (the node name),
// WARD_FENCE_PORT, WARD_FENCE_ACTION (off or reboot) and every param as
// WARD_FENCE_PARAM_<NAME>. Exit status 0 means the node is fenced;
// anything else, or a timeout, means it is not.
type Exec struct {
	id      string
	command []string
	env     []string
}

// NewExec returns the exec device of d.
func NewExec(d policy.FenceDevice) (*Exec, error) {
	if len(d.Command) == 0 || d.Command[0] == "" {
		return nil, fmt.Errorf("fencing: device %q: plugin exec needs command", d.ID)
	}
	e := &Exec{id: d.ID, command: append([]string(nil), d.Command...)}
	for _, m := range []map[string]string{d.Params, d.SecretParams} {
		for k, v := range m {
			e.env = append(e.env, "WARD_FENCE_PARAM_"+strings.ToUpper(k)+"="+v)
		}
	}
	return e, nil
}

// Fence runs the command. It kills the command's process group when ctx
// ends.
func (e *Exec) Fence(ctx context.Context, target, port, action string) error {
	if action != "off" && action != "reboot" {
		return fmt.Errorf("fencing: device %q: action %q is not a fencing action (off or reboot)", e.id, action)
	}
	argv := append(append([]string(nil), e.command...), port)
	env := append(append([]string(nil), e.env...),
		"WARD_FENCE_TARGET="+target, "WARD_FENCE_PORT="+port, "WARD_FENCE_ACTION="+action)
	out, code, err := runProcess(ctx, argv, env, nil)
	if err != nil {
		if errors.Is(err, errTimeout) {
			return fmt.Errorf("fencing: device %q: %s did not finish in time: %w", e.id, e.command[0], ctx.Err())
		}
		return fmt.Errorf("fencing: device %q: run %s: %w", e.id, e.command[0], err)
	}
	if code != 0 {
		return fmt.Errorf("fencing: device %q: %s %s exited with %d: %s", e.id, e.command[0], port, code, strings.TrimSpace(out))
	}
	return nil
}

// capped is a bytes.Buffer that keeps at most limit bytes.
type capped struct {
	b     bytes.Buffer
	limit int
}

func (c *capped) Write(p []byte) (int, error) {
	if room := c.limit - c.b.Len(); room > 0 {
		c.b.Write(p[:min(room, len(p))])
	}
	return len(p), nil
}

func (c *capped) String() string { return c.b.String() }
