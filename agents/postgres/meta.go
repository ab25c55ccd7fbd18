package postgres

import (
	"time"

	"github.com/ward-ha/ward/resources"
)

// Meta describes the postgres agent.
func Meta() *resources.Metadata {
	return &resources.Metadata{
		Name:      "postgres",
		Version:   "1.0",
		ShortDesc: "PostgreSQL primary/standby (promotable clone)",
		LongDesc: "Runs one PostgreSQL instance per node of a promotable clone: start brings it up as a standby " +
			"following the primary among node_hosts, promote runs pg_promote(), demote restarts the primary as a " +
			"standby (pg_rewind first when its timeline diverged and rewind=true). Monitor answers 8 for the primary, " +
			"0 for a standby, 7 stopped, 9 for a failed primary, and publishes the promotion score master-<resource>: " +
			"2000 for the primary, 1000-1999 for a standby by its lag behind the last primary position it knew, " +
			"-INFINITY for one too far behind (max_lag_on_failover) or whose knowledge is stale (stale_after). " +
			"Programs run as os_user; the agent connects over the unix socket as db_user, which local authentication " +
			"must accept from root (trust, or peer with a map). See docs/postgres.md.",
		Params: []resources.ParamSpec{
			{Name: "pgdata", Type: "string", Required: true, Unique: true, ShortDesc: "Data folder",
				LongDesc: "The data folder (absolute path), owned by os_user."},
			{Name: "bindir", Type: "string", Default: DefaultBinDir, ShortDesc: "Folder of pg_ctl, postgres, pg_rewind"},
			{Name: "pgport", Type: "integer", Default: "5432", ShortDesc: "Port the server listens on",
				LongDesc: "Passed to the server (-p) and used for local connections; peers in node_hosts use it unless they name their own."},
			{Name: "socket_dir", Type: "string", Default: DefaultSocketDir, ShortDesc: "Unix socket folder",
				LongDesc: "Passed to the server (-k) and used by the agent for its SQL connections."},
			{Name: "os_user", Type: "string", Default: DefaultUser, ShortDesc: "OS user the server runs as"},
			{Name: "db_user", Type: "string", Default: DefaultUser, ShortDesc: "Database superuser the agent connects as locally"},
			{Name: "logfile", Type: "string", ShortDesc: "Server log file (pg_ctl -l)",
				LongDesc: "Default: ward-<name of pgdata>.log next to the data folder."},
			{Name: "state_file", Type: "string", ShortDesc: "Where the agent remembers role and last primary position",
				LongDesc: "Default: .ward-<name of pgdata>.json next to the data folder (outside it, so pg_rewind and pg_basebackup never copy it). Keep it on persistent storage."},
			{Name: "node_hosts", Type: "string", ShortDesc: "Node names and their PostgreSQL addresses",
				LongDesc: "node=host[:port] pairs separated by commas (alpha=10.0.0.1,beta=10.0.0.2:5433,gamma=[fd00::3]:5432). Standbys follow the one that answers as primary; promote refuses while another answers as primary; synchronous_standby_names uses these names."},
			{Name: "repl_user", Type: "string", Default: DefaultUser, ShortDesc: "Replication user",
				LongDesc: "Used in primary_conninfo, by pg_rewind and for the agent's checks of peers; it needs REPLICATION, and pg_checkpoint plus the pg_rewind grants (or superuser) for rewinds."},
			{Name: "repl_password", Type: "string", ShortDesc: "Replication password (put it in secret_params)",
				LongDesc: "Written only into primary_conninfo in postgresql.auto.conf and passed to tools in PGPASSWORD; never printed."},
			{Name: "repl_sslmode", Type: "string", Default: "prefer", ShortDesc: "libpq sslmode for replication connections"},
			{Name: "rewind", Type: "boolean", Default: "false", ShortDesc: "Allow pg_rewind of a diverged former primary",
				LongDesc: "When a former primary's timeline diverged from the new primary's, rewind it with pg_rewind (discarding what it wrote after the fork). False: refuse, and leave it stopped for an operator. Needs wal_log_hints=on or data checksums."},
			{Name: "synchronous", Type: "string", Default: SyncOff, ShortDesc: "Synchronous replication: off, on, quorum",
				LongDesc: "on: the primary keeps synchronous_standby_names = FIRST 1 (the streaming standbys); quorum: ANY 1 (...). A commit is then acknowledged only once a standby flushed it. off: the agent leaves synchronous_standby_names alone."},
			{Name: "synchronous_relax", Type: "boolean", Default: "false", ShortDesc: "Drop synchronous replication when no standby is healthy",
				LongDesc: "False (the default): with no healthy standby, commits wait until one returns (no acknowledged commit exists on the primary alone). True: synchronous_standby_names is emptied and writes go on, at the risk of losing them with the primary."},
			{Name: "max_lag_on_failover", Type: "integer", Default: "1048576", ShortDesc: "Most WAL bytes a standby may lag and still be promoted"},
			{Name: "stale_after", Type: "string", Default: "60s", ShortDesc: "How old a non-streaming standby's knowledge of the primary may be",
				LongDesc: "A standby that no longer streams is promotable only if it learned the primary's position less than this long ago (it may have been cut off long before the primary died)."},
			{Name: "fast_stop_timeout", Type: "string", Default: "30s", ShortDesc: "Fast shutdown time before an immediate one"},
		},
		Actions: []resources.ActionSpec{
			{Name: "start", Timeout: 120 * time.Second},
			{Name: "stop", Timeout: 60 * time.Second},
			{Name: "promote", Timeout: 60 * time.Second},
			{Name: "demote", Timeout: 120 * time.Second},
			{Name: "monitor", Timeout: 20 * time.Second, Interval: 10 * time.Second, Role: "Unpromoted"},
			{Name: "monitor", Timeout: 20 * time.Second, Interval: 9 * time.Second, Role: "Promoted"},
			{Name: "notify", Timeout: 20 * time.Second},
			{Name: "validate-all", Timeout: 20 * time.Second},
			{Name: "meta-data", Timeout: 5 * time.Second},
		},
	}
}
