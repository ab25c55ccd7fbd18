package lab

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

// PGBin is where Debian's PostgreSQL 15 programs are.
const PGBin = "/usr/lib/postgresql/15/bin"

// pgConf is appended to the lab's postgresql.conf.
const pgConf = `
# ward lab
listen_addresses = '*'
port = 5432
wal_level = replica
wal_log_hints = on            # pg_rewind
max_wal_senders = 10
max_replication_slots = 10
wal_keep_size = '128MB'
hot_standby = on
shared_buffers = '32MB'
wal_receiver_status_interval = 1s
wal_sender_timeout = 5s
wal_receiver_timeout = 5s
`

// PGData returns the data folder every host's PostgreSQL uses, as seen
// on the hosts (inside Mount).
func (l *Lab) PGData() string { return filepath.Join(l.Mount(), "pgdata") }

// PGSocketDir returns the PostgreSQL socket folder, as seen on the hosts.
func (l *Lab) PGSocketDir() string { return filepath.Join(l.Mount(), "run") }

// postgresIDs returns the postgres user's uid and gid.
func postgresIDs() (uint32, uint32, error) {
	u, err := user.Lookup("postgres")
	if err != nil {
		return 0, 0, fmt.Errorf("lab: no postgres user (install postgresql-15): %w", err)
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	return uint32(uid), uint32(gid), nil
}

// InitPostgres creates one PostgreSQL cluster (initdb, the lab's
// settings, trust for the lab's subnet) and copies it to the disk of
// every host, so that all share one system identifier and any can
// follow any. Nothing is started: the postgres agent starts each as a
// standby and ward promotes one.
func (l *Lab) InitPostgres(ctx context.Context) error {
	if _, err := os.Stat(filepath.Join(PGBin, "initdb")); err != nil {
		return fmt.Errorf("lab: PostgreSQL 15 is not installed at %s (Debian: postgresql-15): %w", PGBin, err)
	}
	uid, gid, err := postgresIDs()
	if err != nil {
		return err
	}
	tpl := filepath.Join(l.cfg.Dir, "pg-template")
	os.RemoveAll(tpl)
	if err := os.MkdirAll(tpl, 0o755); err != nil {
		return fmt.Errorf("lab: %w", err)
	}
	os.Chown(tpl, int(uid), int(gid))
	data := filepath.Join(tpl, "data")
	cmd := exec.CommandContext(ctx, filepath.Join(PGBin, "initdb"), "-D", data, "-U", "postgres",
		"--auth-local=trust", "--auth-host=trust", "-N")
	cmd.Dir = "/"
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: uid, Gid: gid}}
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("lab: initdb: %w: %s", err, strings.TrimSpace(string(out)))
	}
	if err := appendFile(filepath.Join(data, "postgresql.conf"), pgConf); err != nil {
		return err
	}
	hba := fmt.Sprintf("host all all %s.0/24 trust\nhost replication all %s.0/24 trust\n", l.cfg.Subnet, l.cfg.Subnet)
	if err := appendFile(filepath.Join(data, "pg_hba.conf"), hba); err != nil {
		return err
	}
	for i := 1; i <= l.cfg.Nodes; i++ {
		dst := filepath.Join(l.HostDir(i), "pgdata")
		os.RemoveAll(dst)
		if out, err := exec.CommandContext(ctx, "cp", "-a", data, dst).CombinedOutput(); err != nil {
			return fmt.Errorf("lab: copy the PostgreSQL cluster to %s: %w: %s", l.Name(i), err, out)
		}
		run := filepath.Join(l.HostDir(i), "run")
		if err := os.MkdirAll(run, 0o755); err != nil {
			return fmt.Errorf("lab: %w", err)
		}
		os.Chown(run, int(uid), int(gid))
	}
	return os.RemoveAll(tpl)
}

func appendFile(path, s string) error {
	f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		return fmt.Errorf("lab: %w", err)
	}
	defer f.Close()
	if _, err := f.WriteString(s); err != nil {
		return fmt.Errorf("lab: %s: %w", path, err)
	}
	return nil
}
