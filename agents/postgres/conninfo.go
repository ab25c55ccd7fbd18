package postgres

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// conninfoValue quotes a libpq keyword/value connection string value.
func conninfoValue(v string) string {
	v = strings.ReplaceAll(v, `\`, `\\`)
	v = strings.ReplaceAll(v, `'`, `\'`)
	return "'" + v + "'"
}

// gucString quotes a value for postgresql.conf and ALTER SYSTEM.
func gucString(v string) string {
	return "'" + strings.ReplaceAll(v, "'", "''") + "'"
}

// primaryConninfo builds the primary_conninfo of a standby of hp.
// withPassword includes the replication password (for the file only).
func (r *run) primaryConninfo(hp HostPort, withPassword bool) string {
	parts := []string{
		"host=" + conninfoValue(hp.Host),
		"port=" + strconv.Itoa(hp.Port),
		"user=" + conninfoValue(r.cfg.ReplUser),
		"application_name=" + conninfoValue(r.node),
		"sslmode=" + r.cfg.SSLMode,
		"connect_timeout=5",
	}
	if withPassword && r.cfg.ReplPassword != "" {
		parts = append(parts, "password="+conninfoValue(r.cfg.ReplPassword))
	}
	return strings.Join(parts, " ")
}

// sourceServer is pg_rewind's --source-server (the password travels in
// PGPASSWORD, not on the command line).
func (r *run) sourceServer(hp HostPort) string {
	return strings.Join([]string{
		"host=" + conninfoValue(hp.Host), "port=" + strconv.Itoa(hp.Port),
		"user=" + conninfoValue(r.cfg.ReplUser), "dbname=postgres",
		"sslmode=" + r.cfg.SSLMode, "connect_timeout=5",
	}, " ")
}

func (r *run) pwEnv() []string {
	if r.cfg.ReplPassword == "" {
		return nil
	}
	return []string{"PGPASSWORD=" + r.cfg.ReplPassword}
}

// autoConfKeys are the settings the agent owns in postgresql.auto.conf
// while the server is stopped.
var autoConfKeys = []string{"primary_conninfo", "primary_slot_name"}

// rewriteAutoConf returns the postgresql.auto.conf content with the
// agent's keys removed and set lines appended (key = quoted value).
func rewriteAutoConf(old string, set [][2]string) string {
	var b strings.Builder
	for _, line := range strings.SplitAfter(old, "\n") {
		if line == "" {
			continue
		}
		k, _, _ := strings.Cut(strings.TrimSpace(line), "=")
		k = strings.TrimSpace(k)
		drop := false
		for _, own := range autoConfKeys {
			if k == own {
				drop = true
			}
		}
		if !drop {
			b.WriteString(line)
			if !strings.HasSuffix(line, "\n") {
				b.WriteString("\n")
			}
		}
	}
	for _, kv := range set {
		fmt.Fprintf(&b, "%s = %s\n", kv[0], gucString(kv[1]))
	}
	return b.String()
}

// writeStandbyConfig makes the stopped data folder start as a standby:
// standby.signal, and primary_conninfo aimed at primary (none when nil:
// the monitor or a notify points it later).
func (r *run) writeStandbyConfig(primary *peer) error {
	auto := filepath.Join(r.cfg.PGData, "postgresql.auto.conf")
	old, err := os.ReadFile(auto)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("read %s: %w", auto, err)
	}
	var set [][2]string
	if primary != nil {
		set = append(set, [2]string{"primary_conninfo", r.primaryConninfo(primary.hp, true)})
	}
	if err := r.writeOwned(auto, []byte(rewriteAutoConf(string(old), set))); err != nil {
		return fmt.Errorf("write %s: %w", auto, err)
	}
	sig := filepath.Join(r.cfg.PGData, "standby.signal")
	if err := r.writeOwned(sig, nil); err != nil {
		return fmt.Errorf("write %s: %w", sig, err)
	}
	return nil
}
