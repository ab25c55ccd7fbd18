package lab

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// HostStatus is what Status reports about one host.
type HostStatus struct {
	// Name is the node name; Addr its lab address.
	Name, Addr string
	// Exists is false when the host's namespace is gone.
	Exists bool
	// Pids are the processes running on the host.
	Pids []int
	// Frozen is true when every process is stopped.
	Frozen bool
	// Cuts are the cuts in force (see Cuts).
	Cuts []string
	// Addrs are the IPv4 addresses on the host's interface.
	Addrs []string
}

// Status reports every host.
func (l *Lab) Status(ctx context.Context) ([]HostStatus, error) {
	var st []HostStatus
	for i := 1; i <= l.cfg.Nodes; i++ {
		h := HostStatus{Name: l.Name(i), Addr: l.Addr(i)}
		if _, err := os.Stat(filepath.Join(NetnsDir, l.NS(i))); err != nil {
			st = append(st, h)
			continue
		}
		h.Exists = true
		pids, err := Pids(l.NS(i))
		if err != nil {
			return nil, err
		}
		h.Pids = pids
		h.Frozen = len(pids) > 0
		for _, p := range pids {
			if !stopped(p) {
				h.Frozen = false
			}
		}
		if h.Cuts, err = l.Cuts(ctx, i); err != nil {
			return nil, err
		}
		out, _ := output(ctx, "ip", "-n", l.NS(i), "-4", "-o", "addr", "show", "dev", HostIf)
		for _, line := range strings.Split(out, "\n") {
			f := strings.Fields(line)
			for j := 0; j+1 < len(f); j++ {
				if f[j] == "inet" {
					h.Addrs = append(h.Addrs, f[j+1])
				}
			}
		}
		st = append(st, h)
	}
	return st, nil
}

// stopped reports whether pid is stopped (SIGSTOP).
func stopped(pid int) bool {
	b, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "stat"))
	if err != nil {
		return false
	}
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	return i >= 0 && i+2 < len(s) && (s[i+2] == 'T' || s[i+2] == 't')
}
