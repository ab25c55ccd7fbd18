package lab

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// Defaults of Config.
const (
	DefaultPrefix = "wardlab-"
	DefaultSubnet = "10.215.0"
	DefaultDir    = "/run/wardlab"
	// HostIf is the name of every host's interface.
	HostIf = "eth0"
	// bridge is the switch's bridge, in the switch namespace.
	bridge = "br0"
	// nftTable is the switch's nftables table (family bridge).
	nftTable = "wardlab"
)

// Config describes a lab.
type Config struct {
	// Dir holds the lab's state: lab.json, the gossip key, the policy
	// and one folder per host. Default DefaultDir.
	Dir string `json:"dir"`
	// Prefix starts every namespace name. Default DefaultPrefix.
	Prefix string `json:"prefix"`
	// Nodes is the number of hosts, n1..nN (1 to 9).
	Nodes int `json:"nodes"`
	// Subnet is the first three octets of the lab's /24. Host i has
	// Subnet.(10+i), the client Subnet.5, the VIP Subnet.100.
	Subnet string `json:"subnet"`
	// Exe is the ward binary the hosts run. Default: this executable.
	Exe string `json:"exe"`
}

// Lab is a set of test hosts. Its methods are safe for concurrent use
// on different hosts.
type Lab struct {
	cfg Config
	log *slog.Logger
}

// New returns a lab for cfg, with defaults filled in. It creates
// nothing.
func New(cfg Config, log *slog.Logger) (*Lab, error) {
	if cfg.Dir == "" {
		cfg.Dir = DefaultDir
	}
	if cfg.Prefix == "" {
		cfg.Prefix = DefaultPrefix
	}
	if cfg.Subnet == "" {
		cfg.Subnet = DefaultSubnet
	}
	if cfg.Nodes < 1 || cfg.Nodes > 9 {
		return nil, fmt.Errorf("lab: %d nodes: want 1 to 9", cfg.Nodes)
	}
	if len(cfg.Prefix)+2 > 15 {
		return nil, fmt.Errorf("lab: prefix %q is too long (at most 13 characters)", cfg.Prefix)
	}
	if cfg.Exe == "" {
		exe, err := os.Executable()
		if err != nil {
			return nil, fmt.Errorf("lab: find the ward binary: %w", err)
		}
		cfg.Exe = exe
	}
	abs, err := filepath.Abs(cfg.Dir)
	if err != nil {
		return nil, fmt.Errorf("lab: %w", err)
	}
	cfg.Dir = abs
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Lab{cfg: cfg, log: log}, nil
}

// Load returns the lab described by DIR/lab.json (written by Up).
func Load(dir string, log *slog.Logger) (*Lab, error) {
	b, err := os.ReadFile(filepath.Join(dir, "lab.json"))
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("lab: no lab in %s (start one with ward lab up)", dir)
		}
		return nil, fmt.Errorf("lab: %w", err)
	}
	var cfg Config
	if err := json.Unmarshal(b, &cfg); err != nil {
		return nil, fmt.Errorf("lab: %s: %w", filepath.Join(dir, "lab.json"), err)
	}
	return New(cfg, log)
}

// Config returns the lab's configuration, defaults filled in.
func (l *Lab) Config() Config { return l.cfg }

// Name returns host i's node name, "n1".."n9".
func (l *Lab) Name(i int) string { return "n" + strconv.Itoa(i) }

// Names returns every host's node name.
func (l *Lab) Names() []string {
	var s []string
	for i := 1; i <= l.cfg.Nodes; i++ {
		s = append(s, l.Name(i))
	}
	return s
}

// Index returns the host number of node name, or an error naming the
// hosts that exist.
func (l *Lab) Index(name string) (int, error) {
	for i := 1; i <= l.cfg.Nodes; i++ {
		if l.Name(i) == name {
			return i, nil
		}
	}
	return 0, fmt.Errorf("lab: no host %q (the lab has %s)", name, strings.Join(l.Names(), ", "))
}

// NS returns host i's namespace name.
func (l *Lab) NS(i int) string { return l.cfg.Prefix + l.Name(i) }

// SwitchNS returns the switch's namespace name.
func (l *Lab) SwitchNS() string { return l.cfg.Prefix + "sw" }

// ClientNS returns the client's namespace name.
func (l *Lab) ClientNS() string { return l.cfg.Prefix + "c" }

// Addr returns host i's address.
func (l *Lab) Addr(i int) string { return fmt.Sprintf("%s.%d", l.cfg.Subnet, 10+i) }

// ClientAddr returns the client's address.
func (l *Lab) ClientAddr() string { return l.cfg.Subnet + ".5" }

// VIP returns the floating address the examples use.
func (l *Lab) VIP() string { return l.cfg.Subnet + ".100" }

// HostDir returns host i's own folder (its "disk"), seen from outside.
func (l *Lab) HostDir(i int) string { return filepath.Join(l.cfg.Dir, l.Name(i)) }

// Mount is where each host sees its own HostDir: the same path on every
// host, so that a policy can name one pgdata for all of them.
func (l *Lab) Mount() string { return filepath.Join(l.cfg.Dir, "host") }

// Socket returns host i's API socket (outside its Mount: sockets are
// not isolated by namespaces, each host has its own path).
func (l *Lab) Socket(i int) string { return filepath.Join(l.HostDir(i), "ward.sock") }

// KeyFile returns the lab's gossip key.
func (l *Lab) KeyFile() string { return filepath.Join(l.cfg.Dir, "gossip.key") }

// PolicyFile returns the lab's bootstrap policy.
func (l *Lab) PolicyFile() string { return filepath.Join(l.cfg.Dir, "policy.toml") }

// DaemonLog returns host i's daemon log.
func (l *Lab) DaemonLog(i int) string { return filepath.Join(l.HostDir(i), "daemon.log") }

// run runs a command and returns an error carrying its output.
func run(ctx context.Context, name string, args ...string) error {
	_, err := output(ctx, name, args...)
	return err
}

func output(ctx context.Context, name string, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, name, args...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		return out.String(), fmt.Errorf("lab: %s %s: %w: %s", name, strings.Join(args, " "), err, strings.TrimSpace(out.String()))
	}
	return out.String(), nil
}

// CheckRoot returns an error unless the process runs as root and ip and
// nft are installed.
func CheckRoot() error {
	if os.Geteuid() != 0 {
		return errors.New("lab: needs root (network namespaces, veth links, nftables): run it with sudo")
	}
	for _, t := range []string{"ip", "nft", "mount"} {
		if _, err := exec.LookPath(t); err != nil {
			return fmt.Errorf("lab: %s is not installed (Debian: iproute2, nftables, mount): %w", t, err)
		}
	}
	return nil
}

// Up creates the switch, the client and every host, and writes
// lab.json. It refuses when a namespace of the lab already exists. On
// error the caller must still call Down.
func (l *Lab) Up(ctx context.Context) error {
	if err := CheckRoot(); err != nil {
		return err
	}
	existing, err := l.namespaces(ctx)
	if err != nil {
		return err
	}
	if len(existing) > 0 {
		return fmt.Errorf("lab: namespaces %s already exist: run ward lab down first", strings.Join(existing, ", "))
	}
	if err := os.MkdirAll(l.cfg.Dir, 0o755); err != nil {
		return fmt.Errorf("lab: %w", err)
	}
	os.Chmod(l.cfg.Dir, 0o755) // postgres must traverse it
	if err := os.MkdirAll(l.Mount(), 0o755); err != nil {
		return fmt.Errorf("lab: %w", err)
	}
	b, _ := json.MarshalIndent(l.cfg, "", "  ")
	if err := os.WriteFile(filepath.Join(l.cfg.Dir, "lab.json"), append(b, '\n'), 0o644); err != nil {
		return fmt.Errorf("lab: %w", err)
	}
	sw := l.SwitchNS()
	steps := [][]string{
		{"netns", "add", sw},
		{"-n", sw, "link", "set", "lo", "up"},
		// STP off, no forward delay, no multicast snooping (VRRP floods).
		{"-n", sw, "link", "add", bridge, "type", "bridge", "stp_state", "0", "forward_delay", "0", "mcast_snooping", "0"},
		{"-n", sw, "link", "set", bridge, "up"},
	}
	type host struct{ ns, port, addr string }
	hosts := []host{{l.ClientNS(), "c", l.ClientAddr()}}
	for i := 1; i <= l.cfg.Nodes; i++ {
		hosts = append(hosts, host{l.NS(i), l.Name(i), l.Addr(i)})
		if err := os.MkdirAll(l.HostDir(i), 0o755); err != nil {
			return fmt.Errorf("lab: %w", err)
		}
		os.Chmod(l.HostDir(i), 0o755)
	}
	for _, h := range hosts {
		steps = append(steps,
			[]string{"netns", "add", h.ns},
			[]string{"-n", h.ns, "link", "set", "lo", "up"},
			[]string{"-n", sw, "link", "add", h.port, "type", "veth", "peer", "name", HostIf, "netns", h.ns},
			[]string{"-n", sw, "link", "set", h.port, "master", bridge, "up"},
			[]string{"-n", h.ns, "addr", "add", h.addr + "/24", "dev", HostIf},
			[]string{"-n", h.ns, "link", "set", HostIf, "up"},
		)
	}
	for _, s := range steps {
		if err := run(ctx, "ip", s...); err != nil {
			return err
		}
	}
	if err := l.nft(ctx, "add table bridge "+nftTable+"\nadd chain bridge "+nftTable+" fw { type filter hook forward priority 0; policy accept; }\n"); err != nil {
		return err
	}
	for _, h := range hosts {
		if err := waitCarrier(ctx, h.ns); err != nil {
			return err
		}
	}
	l.log.Info("lab up", "nodes", l.cfg.Nodes, "dir", l.cfg.Dir, "prefix", l.cfg.Prefix)
	return nil
}

// waitCarrier waits until ns's interface reports operstate up.
func waitCarrier(ctx context.Context, ns string) error {
	deadline := time.Now().Add(5 * time.Second)
	for {
		out, _ := output(ctx, "ip", "-n", ns, "-o", "link", "show", HostIf)
		if strings.Contains(out, "state UP") {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("lab: %s: %s has no carrier after 5 s: %s", ns, HostIf, strings.TrimSpace(out))
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// nft runs an nftables script in the switch namespace.
func (l *Lab) nft(ctx context.Context, script string) error {
	cmd := exec.CommandContext(ctx, "ip", "netns", "exec", l.SwitchNS(), "nft", "-f", "-")
	cmd.Stdin = strings.NewReader(script)
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("lab: nft in %s: %w: %s", l.SwitchNS(), err, strings.TrimSpace(string(out)))
	}
	return nil
}

// namespaces lists the existing namespaces whose names start with the
// lab's prefix.
func (l *Lab) namespaces(ctx context.Context) ([]string, error) {
	out, err := output(ctx, "ip", "netns", "list")
	if err != nil {
		return nil, err
	}
	var found []string
	for _, line := range strings.Split(out, "\n") {
		f := strings.Fields(line)
		if len(f) > 0 && strings.HasPrefix(f[0], l.cfg.Prefix) {
			found = append(found, f[0])
		}
	}
	return found, nil
}

// Down kills every process of every namespace of the lab, deletes the
// namespaces and, if removeDir, the lab's folder. It is safe to call
// more than once, and after a failed Up.
func (l *Lab) Down(ctx context.Context, removeDir bool) error {
	nss, err := l.namespaces(ctx)
	if err != nil {
		return err
	}
	var errs []error
	for _, ns := range nss {
		if err := killNamespace(ctx, ns); err != nil {
			errs = append(errs, err)
		}
	}
	for _, ns := range nss {
		if err := run(ctx, "ip", "netns", "del", ns); err != nil {
			errs = append(errs, err)
		}
	}
	if removeDir && len(errs) == 0 {
		// A bind mount left by a host would make RemoveAll reach into
		// the host's folder twice; hosts mount only in their own mount
		// namespaces, which died with their processes.
		if err := os.RemoveAll(l.cfg.Dir); err != nil {
			errs = append(errs, fmt.Errorf("lab: %w", err))
		}
	}
	if len(errs) == 0 {
		l.log.Info("lab down", "prefix", l.cfg.Prefix)
	}
	return errors.Join(errs...)
}
