package policytest

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/ward-ha/ward/policy"
)

// ParseStatus reads a status in JSON (when the text starts with "{") or in
// the line syntax, one fact per line ('#' starts a comment):
//
//	quorate true|false
//	dc NODE
//	date RFC3339                              (execution_date)
//	node NAME online|offline|unclean|pending [standby] [maintenance] [KEY=VALUE]...
//	rsc ID NODE ROLE [failed] [failed-stop] [blocked] [failcount=N]
//	    [last-failure=RFC3339] [fail-op=OP[/INTERVAL]] [rc=N]
//
// "quorate" defaults to true. A rsc line for a node not declared yet
// declares it online.
func ParseStatus(text string) (policy.Status, error) {
	st := policy.Status{Quorate: true}
	t := strings.TrimSpace(text)
	if strings.HasPrefix(t, "{") {
		err := json.Unmarshal([]byte(t), &st)
		return st, err
	}
	for i, line := range strings.Split(text, "\n") {
		if k := strings.IndexByte(line, '#'); k >= 0 {
			line = line[:k]
		}
		f := strings.Fields(line)
		if len(f) == 0 {
			continue
		}
		if err := applyLine(&st, f); err != nil {
			return st, fmt.Errorf("status line %d: %q: %w", i+1, strings.TrimSpace(line), err)
		}
	}
	return st, nil
}

// Node returns the status of node name, adding it (online) if absent.
func Node(st *policy.Status, name string) *policy.NodeStatus {
	for i := range st.Nodes {
		if st.Nodes[i].Name == name {
			return &st.Nodes[i]
		}
	}
	st.Nodes = append(st.Nodes, policy.NodeStatus{Name: name, State: policy.NodeOnline})
	return &st.Nodes[len(st.Nodes)-1]
}

// Resource returns the status of resource id on node, adding it
// (Stopped) if absent.
func Resource(st *policy.Status, node, id string) *policy.ResourceStatus {
	n := Node(st, node)
	for i := range n.Resources {
		if n.Resources[i].ID == id {
			return &n.Resources[i]
		}
	}
	n.Resources = append(n.Resources, policy.ResourceStatus{ID: id, Role: policy.RoleStopped})
	return &n.Resources[len(n.Resources)-1]
}

func applyLine(st *policy.Status, f []string) error {
	switch f[0] {
	case "quorate":
		if len(f) != 2 {
			return fmt.Errorf("want: quorate true|false")
		}
		b, err := strconv.ParseBool(f[1])
		if err != nil {
			return err
		}
		st.Quorate = b
	case "dc":
		if len(f) != 2 {
			return fmt.Errorf("want: dc NODE")
		}
		st.DC = f[1]
	case "date":
		if len(f) != 2 {
			return fmt.Errorf("want: date RFC3339")
		}
		t, err := time.Parse(time.RFC3339, f[1])
		if err != nil {
			return err
		}
		st.ExecutionDate = &t
	case "node":
		if len(f) < 3 {
			return fmt.Errorf("want: node NAME STATE [standby] [maintenance] [KEY=VALUE ...]")
		}
		n := Node(st, f[1])
		switch s := policy.NodeState(f[2]); s {
		case policy.NodeOnline, policy.NodeOffline, policy.NodeUnclean, policy.NodePending:
			n.State = s
		default:
			return fmt.Errorf("node state %q: want online, offline, unclean or pending", f[2])
		}
		for _, w := range f[3:] {
			switch {
			case w == "standby":
				n.Standby = true
			case w == "maintenance":
				n.Maintenance = true
			case strings.Contains(w, "="):
				k, v, _ := strings.Cut(w, "=")
				if n.Attributes == nil {
					n.Attributes = map[string]string{}
				}
				n.Attributes[k] = v
			default:
				return fmt.Errorf("unknown node flag %q", w)
			}
		}
	case "rsc":
		if len(f) < 4 {
			return fmt.Errorf("want: rsc ID NODE ROLE [flags]")
		}
		r := Resource(st, f[2], f[1])
		switch role := policy.Role(f[3]); role {
		case policy.RoleStopped, policy.RoleStarted, policy.RoleUnpromoted, policy.RolePromoted:
			r.Role = role
		default:
			return fmt.Errorf("role %q: want Stopped, Started, Unpromoted or Promoted", f[3])
		}
		fail := policy.OpRecord{Op: "monitor", Interval: policy.Duration(10 * time.Second), RC: 1}
		for _, w := range f[4:] {
			k, v, _ := strings.Cut(w, "=")
			switch k {
			case "failed":
				r.Failed = true
			case "failed-stop":
				r.FailedStop = true
				fail.Op, fail.Interval = "stop", 0
			case "blocked":
				r.Blocked = true
			case "failcount":
				n, err := strconv.Atoi(v)
				if err != nil {
					if strings.EqualFold(v, "INFINITY") {
						n = int(policy.Infinity)
					} else {
						return fmt.Errorf("failcount %q: %w", v, err)
					}
				}
				r.FailCount = n
			case "last-failure":
				t, err := time.Parse(time.RFC3339, v)
				if err != nil {
					return err
				}
				r.LastFailure = &t
				fail.At = &t
			case "fail-op":
				op, iv, _ := strings.Cut(v, "/")
				fail.Op, fail.Interval = op, 0
				if iv != "" {
					d, err := policy.ParseDuration(iv)
					if err != nil {
						return err
					}
					fail.Interval = d
				}
			case "rc":
				n, err := strconv.Atoi(v)
				if err != nil {
					return err
				}
				fail.RC = n
			default:
				return fmt.Errorf("unknown resource flag %q", w)
			}
		}
		if r.Failed || r.FailedStop {
			r.Failures = append(r.Failures, fail)
		}
	default:
		return fmt.Errorf("unknown statement %q (want quorate, dc, date, node or rsc)", f[0])
	}
	return nil
}
