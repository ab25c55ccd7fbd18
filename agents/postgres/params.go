package postgres

import (
	"fmt"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Defaults of the postgres agent's parameters.
const (
	DefaultBinDir     = "/usr/lib/postgresql/15/bin"
	DefaultSocketDir  = "/var/run/postgresql"
	DefaultPort       = 5432
	DefaultUser       = "postgres"
	DefaultMaxLag     = 1 << 20
	DefaultStaleAfter = 60 * time.Second
)

// Synchronous replication modes (param synchronous).
const (
	SyncOff    = "off"
	SyncOn     = "on"
	SyncQuorum = "quorum"
)

// Config is one postgres resource's parameters, checked.
type Config struct {
	PGData    string
	BinDir    string
	Port      int
	SocketDir string
	// OSUser runs the server and its tools; DBUser is the local
	// superuser the agent connects as over the unix socket.
	OSUser string
	DBUser string
	// LogFile is pg_ctl's -l file.
	LogFile string
	// StateFile keeps what the agent knows across restarts (role, last
	// primary WAL position): next to the data folder, not in it, so that
	// pg_rewind and pg_basebackup never copy it.
	StateFile string
	// NodeHosts maps node names to the address (host or host:port) their
	// PostgreSQL is reached at by the other nodes.
	NodeHosts map[string]HostPort
	// ReplUser and ReplPassword are used by standbys (primary_conninfo),
	// pg_rewind and the agent's checks of peers. ReplPassword is a
	// secret: it never appears in output, errors or logs.
	ReplUser     string
	ReplPassword string
	SSLMode      string
	// Rewind allows pg_rewind of a diverged former primary.
	Rewind bool
	// Synchronous is off, on (FIRST 1) or quorum (ANY 1); Relax lets the
	// primary drop synchronous replication when no standby is healthy.
	Synchronous string
	Relax       bool
	// MaxLag is the most WAL, in bytes, a standby may be behind the last
	// primary position it knows and still be promoted.
	MaxLag int64
	// StaleAfter bounds how old that knowledge may be when the standby no
	// longer streams.
	StaleAfter time.Duration
	// FastStopTimeout bounds the fast shutdown before an immediate one.
	FastStopTimeout time.Duration
}

// HostPort is where a node's PostgreSQL listens.
type HostPort struct {
	Host string
	Port int
}

// ParseConfig checks a postgres resource's parameters. Errors name the
// parameter; none ever contains the replication password.
func ParseConfig(p map[string]string) (Config, error) {
	c := Config{BinDir: DefaultBinDir, Port: DefaultPort, SocketDir: DefaultSocketDir, OSUser: DefaultUser, DBUser: DefaultUser,
		ReplUser: DefaultUser, SSLMode: "prefer", Synchronous: SyncOff, MaxLag: DefaultMaxLag, StaleAfter: DefaultStaleAfter,
		FastStopTimeout: 30 * time.Second}
	get := func(k string) string { return strings.TrimSpace(p[k]) }
	c.PGData = get("pgdata")
	if c.PGData == "" || !filepath.IsAbs(c.PGData) {
		return c, fmt.Errorf("param pgdata: %q must be an absolute path to the data folder", p["pgdata"])
	}
	c.PGData = filepath.Clean(c.PGData)
	for _, f := range []struct {
		name string
		dst  *string
	}{{"bindir", &c.BinDir}, {"socket_dir", &c.SocketDir}, {"logfile", &c.LogFile}, {"state_file", &c.StateFile}} {
		if v := get(f.name); v != "" {
			if !filepath.IsAbs(v) || strings.ContainsAny(v, " \t\n'\"\\$`") {
				return c, fmt.Errorf("param %s: %q must be an absolute path without spaces or quotes", f.name, v)
			}
			*f.dst = filepath.Clean(v)
		}
	}
	if c.LogFile == "" {
		c.LogFile = filepath.Join(filepath.Dir(c.PGData), "ward-"+filepath.Base(c.PGData)+".log")
	}
	if c.StateFile == "" {
		c.StateFile = filepath.Join(filepath.Dir(c.PGData), ".ward-"+filepath.Base(c.PGData)+".json")
	}
	if v := get("pgport"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 65535 {
			return c, fmt.Errorf("param pgport: %q is not a port", v)
		}
		c.Port = n
	}
	for _, f := range []struct {
		name string
		dst  *string
	}{{"os_user", &c.OSUser}, {"db_user", &c.DBUser}, {"repl_user", &c.ReplUser}} {
		if v := get(f.name); v != "" {
			if !validName(v) {
				return c, fmt.Errorf("param %s: %q is not a user name (letters, digits, '_', '-', '.')", f.name, v)
			}
			*f.dst = v
		}
	}
	c.ReplPassword = p["repl_password"]
	if strings.ContainsAny(c.ReplPassword, "\x00\n\r") {
		return c, fmt.Errorf("param repl_password: contains a NUL or newline")
	}
	if v := get("repl_sslmode"); v != "" {
		switch v {
		case "disable", "allow", "prefer", "require", "verify-ca", "verify-full":
			c.SSLMode = v
		default:
			return c, fmt.Errorf("param repl_sslmode: %q is not a libpq sslmode (disable, prefer, require, verify-ca, verify-full)", v)
		}
	}
	var err error
	if c.NodeHosts, err = ParseNodeHosts(p["node_hosts"]); err != nil {
		return c, fmt.Errorf("param node_hosts: %w", err)
	}
	if c.Rewind, err = boolParam(p, "rewind", false); err != nil {
		return c, err
	}
	if c.Relax, err = boolParam(p, "synchronous_relax", false); err != nil {
		return c, err
	}
	if v := get("synchronous"); v != "" {
		switch v {
		case SyncOff, SyncOn, SyncQuorum:
			c.Synchronous = v
		default:
			return c, fmt.Errorf("param synchronous: %q is not off, on or quorum", v)
		}
	}
	if v := get("max_lag_on_failover"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 0 || n > 1<<40 {
			return c, fmt.Errorf("param max_lag_on_failover: %q is not a byte count between 0 and 1 TiB", v)
		}
		c.MaxLag = n
	}
	for _, f := range []struct {
		name string
		dst  *time.Duration
	}{{"stale_after", &c.StaleAfter}, {"fast_stop_timeout", &c.FastStopTimeout}} {
		if v := get(f.name); v != "" {
			d, err := time.ParseDuration(v)
			if err != nil || d <= 0 || d > 24*time.Hour {
				return c, fmt.Errorf("param %s: %q is not a duration between 0s and 24h (like 30s)", f.name, v)
			}
			*f.dst = d
		}
	}
	return c, nil
}

func boolParam(p map[string]string, name string, def bool) (bool, error) {
	v := strings.TrimSpace(p[name])
	if v == "" {
		return def, nil
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		return false, fmt.Errorf("param %s: %q is not true or false", name, v)
	}
	return b, nil
}

func validName(s string) bool {
	if s == "" || len(s) > 63 {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_' || r == '-' || r == '.') {
			return false
		}
	}
	return true
}

// ParseNodeHosts reads "alpha=10.0.0.1,beta=10.0.0.2:5433,gamma=[fd00::3]:5432":
// node names (letters, digits, '_', '-', '.') and the host (name or
// address, IPv6 in brackets when a port follows) with an optional port
// their PostgreSQL listens on (the resource's pgport by default, 0
// here). The empty string is an empty map.
func ParseNodeHosts(s string) (map[string]HostPort, error) {
	m := map[string]HostPort{}
	if strings.TrimSpace(s) == "" {
		return m, nil
	}
	if len(s) > 64<<10 {
		return nil, fmt.Errorf("%d bytes is too long", len(s))
	}
	for _, item := range strings.Split(s, ",") {
		item = strings.TrimSpace(item)
		name, addr, ok := strings.Cut(item, "=")
		name, addr = strings.TrimSpace(name), strings.TrimSpace(addr)
		if !ok || name == "" || addr == "" {
			return nil, fmt.Errorf("%q is not node=host", item)
		}
		if !validName(name) {
			return nil, fmt.Errorf("node name %q: use letters, digits, '_', '-' and '.' (at most 63)", name)
		}
		if _, dup := m[name]; dup {
			return nil, fmt.Errorf("node %s is listed twice", name)
		}
		hp, err := parseHostPort(addr)
		if err != nil {
			return nil, fmt.Errorf("node %s: %w", name, err)
		}
		m[name] = hp
	}
	return m, nil
}

func parseHostPort(s string) (HostPort, error) {
	host, port := s, ""
	switch {
	case strings.HasPrefix(s, "["):
		end := strings.Index(s, "]")
		if end < 0 {
			return HostPort{}, fmt.Errorf("%q: missing ']'", s)
		}
		host, port = s[1:end], s[end+1:]
		if port != "" && !strings.HasPrefix(port, ":") {
			return HostPort{}, fmt.Errorf("%q: expected ':port' after ']'", s)
		}
		port = strings.TrimPrefix(port, ":")
	case strings.Count(s, ":") == 1:
		host, port, _ = strings.Cut(s, ":")
	}
	if host == "" || len(host) > 253 {
		return HostPort{}, fmt.Errorf("%q: empty or overlong host", s)
	}
	for _, r := range host {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '.' || r == '-' || r == ':' || r == '_') {
			return HostPort{}, fmt.Errorf("%q: host has a character %q that is not allowed", s, r)
		}
	}
	hp := HostPort{Host: host}
	if port != "" {
		n, err := strconv.Atoi(port)
		if err != nil || n < 1 || n > 65535 {
			return HostPort{}, fmt.Errorf("%q: %q is not a port", s, port)
		}
		hp.Port = n
	}
	return hp, nil
}

// peers returns the other nodes of c.NodeHosts, sorted by name, with
// their ports filled in.
func (c Config) peers(self string) []peer {
	var out []peer
	for n, hp := range c.NodeHosts {
		if n == self {
			continue
		}
		if hp.Port == 0 {
			hp.Port = c.Port
		}
		out = append(out, peer{node: n, hp: hp})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].node < out[j].node })
	return out
}

type peer struct {
	node string
	hp   HostPort
}
