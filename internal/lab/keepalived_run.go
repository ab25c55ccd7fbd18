package lab

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
)

// KeepalivedBin is Debian's keepalived (package keepalived).
const KeepalivedBin = "/usr/sbin/keepalived"

// keepalivedConf is a VRRPv2 instance moving only the VIP, as most
// keepalived deployments do: advert_int 1, the master with the highest
// priority, gratuitous ARPs one second after taking over and three of
// them (the lab README's baseline).
const keepalivedConf = `global_defs {
    router_id %s
    vrrp_version 2
    vrrp_garp_master_delay 1
    vrrp_garp_master_repeat 3
}
vrrp_instance VI_1 {
    state %s
    interface %s
    virtual_router_id 51
    priority %d
    advert_int 1
    virtual_ipaddress {
        %s/24 dev %s
    }
}
`

// StartKeepalived starts keepalived on host i (in the foreground, so
// Down or PowerOff ends it with the host's other processes), the
// master with priority prio > every backup's. The returned channel is
// closed once the process is reaped; its log is keepalived.log in the
// host's folder.
func (l *Lab) StartKeepalived(i, prio int, master bool) (<-chan struct{}, error) {
	if _, err := os.Stat(KeepalivedBin); err != nil {
		return nil, fmt.Errorf("lab: keepalived is not installed at %s (Debian: keepalived): %w", KeepalivedBin, err)
	}
	dir := l.HostDir(i)
	state := "BACKUP"
	if master {
		state = "MASTER"
	}
	conf := filepath.Join(dir, "keepalived.conf")
	body := fmt.Sprintf(keepalivedConf, l.NS(i), state, HostIf, prio, l.VIP(), HostIf)
	if err := os.WriteFile(conf, []byte(body), 0o644); err != nil {
		return nil, fmt.Errorf("lab: %w", err)
	}
	logf, err := os.OpenFile(filepath.Join(dir, "keepalived.log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, fmt.Errorf("lab: %w", err)
	}
	defer logf.Close()
	cmd := l.Command(context.Background(), i, KeepalivedBin, "-f", conf, "--dont-fork", "--log-console", "--log-detail",
		"--vrrp", "-p", filepath.Join(dir, "keepalived.pid"), "-r", filepath.Join(dir, "keepalived-vrrp.pid"))
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("lab: start keepalived on %s: %w", l.Name(i), err)
	}
	done := make(chan struct{})
	go func() {
		cmd.Wait()
		close(done)
	}()
	return done, nil
}

// addrOn reports whether host i has addr on its interface.
func (l *Lab) addrOn(ctx context.Context, i int, addr string) bool {
	out, err := exec.CommandContext(ctx, "ip", "-n", l.NS(i), "-o", "-4", "addr", "show", "dev", HostIf).Output()
	if err != nil {
		return false
	}
	return slices.Contains(strings.Fields(string(out)), addr+"/24")
}

// VIPHolders lists the hosts that have the VIP on their interface.
func (l *Lab) VIPHolders(ctx context.Context) []int {
	var h []int
	for i := 1; i <= l.cfg.Nodes; i++ {
		if l.addrOn(ctx, i, l.VIP()) {
			h = append(h, i)
		}
	}
	return h
}
