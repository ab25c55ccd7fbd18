package postgres

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

// connectLocal opens a connection to the local server over its unix
// socket as the local superuser.
func (r *run) connectLocal(ctx context.Context) (*pgx.Conn, error) {
	cc, err := pgx.ParseConfig("")
	if err != nil {
		return nil, fmt.Errorf("connection config: %w", err)
	}
	cc.Host = r.cfg.SocketDir
	cc.Port = uint16(r.cfg.Port)
	cc.User = r.cfg.DBUser
	cc.Password = ""
	cc.Database = "postgres"
	cc.ConnectTimeout = 5 * time.Second
	cc.RuntimeParams = map[string]string{"application_name": "ward-agent"}
	cc.Fallbacks = nil
	conn, err := pgx.ConnectConfig(ctx, cc)
	if err != nil {
		return nil, fmt.Errorf("connect to the local server (socket %s, port %d, user %s): %s", r.cfg.SocketDir, r.cfg.Port, r.cfg.DBUser, r.redact(err.Error()))
	}
	return conn, nil
}

// connectPeer opens a connection to a peer's server as the replication
// user, within timeout.
func (r *run) connectPeer(ctx context.Context, p peer, timeout time.Duration) (*pgx.Conn, error) {
	cc, err := pgx.ParseConfig("sslmode=" + r.cfg.SSLMode)
	if err != nil {
		return nil, fmt.Errorf("connection config: %w", err)
	}
	cc.Host = p.hp.Host
	cc.Port = uint16(p.hp.Port)
	cc.User = r.cfg.ReplUser
	cc.Password = r.cfg.ReplPassword
	cc.Database = "postgres"
	cc.ConnectTimeout = timeout
	cc.RuntimeParams = map[string]string{"application_name": "ward-agent"}
	for _, fb := range cc.Fallbacks {
		fb.Host, fb.Port = p.hp.Host, uint16(p.hp.Port)
	}
	conn, err := pgx.ConnectConfig(ctx, cc)
	if err != nil {
		return nil, fmt.Errorf("connect to node %s (%s:%d): %s", p.node, p.hp.Host, p.hp.Port, r.redact(err.Error()))
	}
	return conn, nil
}

// standbyState is what a standby's monitor reads.
type standbyState struct {
	receive, replay LSN    // zero when unknown
	status          string // wal receiver status ("streaming"), "" without one
	primaryEnd      LSN    // the primary's end of WAL as last reported
	senderHost      string
}

func parseOptLSN(s string) (LSN, error) {
	if s == "" {
		return 0, nil
	}
	return ParseLSN(s)
}

func readStandby(ctx context.Context, conn *pgx.Conn) (standbyState, error) {
	var rcv, rpl, status, end, host string
	err := conn.QueryRow(ctx, `SELECT COALESCE(pg_last_wal_receive_lsn()::text, ''),
		COALESCE(pg_last_wal_replay_lsn()::text, ''),
		COALESCE((SELECT status FROM pg_stat_wal_receiver), ''),
		COALESCE((SELECT latest_end_lsn::text FROM pg_stat_wal_receiver), ''),
		COALESCE((SELECT sender_host FROM pg_stat_wal_receiver), '')`).Scan(&rcv, &rpl, &status, &end, &host)
	if err != nil {
		return standbyState{}, fmt.Errorf("read replication state: %w", err)
	}
	var s standbyState
	var e1, e2, e3 error
	s.receive, e1 = parseOptLSN(rcv)
	s.replay, e2 = parseOptLSN(rpl)
	s.primaryEnd, e3 = parseOptLSN(end)
	if e1 != nil || e2 != nil || e3 != nil {
		return standbyState{}, fmt.Errorf("read replication state: bad WAL position (%v %v %v)", e1, e2, e3)
	}
	s.status, s.senderHost = status, host
	return s, nil
}

// position is the standby's most advanced WAL position: received (it
// will be replayed before promotion completes) or replayed.
func (s standbyState) position() LSN { return max(s.receive, s.replay) }

// replica is one row of the primary's pg_stat_replication.
type replica struct {
	name, state, syncState string
}

// readPrimary reads the primary's flush position, its standbys and its
// synchronous_standby_names.
func readPrimary(ctx context.Context, conn *pgx.Conn) (LSN, []replica, string, error) {
	var flush, names string
	if err := conn.QueryRow(ctx, "SELECT pg_current_wal_flush_lsn()::text, current_setting('synchronous_standby_names')").Scan(&flush, &names); err != nil {
		return 0, nil, "", fmt.Errorf("read primary state: %w", err)
	}
	l, err := ParseLSN(flush)
	if err != nil {
		return 0, nil, "", fmt.Errorf("read primary state: %w", err)
	}
	rows, err := conn.Query(ctx, "SELECT COALESCE(application_name, ''), COALESCE(state, ''), COALESCE(sync_state, '') FROM pg_stat_replication ORDER BY 1")
	if err != nil {
		return 0, nil, "", fmt.Errorf("read pg_stat_replication: %w", err)
	}
	var reps []replica
	for rows.Next() {
		var rp replica
		if err := rows.Scan(&rp.name, &rp.state, &rp.syncState); err != nil {
			rows.Close()
			return 0, nil, "", fmt.Errorf("read pg_stat_replication: %w", err)
		}
		reps = append(reps, rp)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, nil, "", fmt.Errorf("read pg_stat_replication: %w", err)
	}
	return l, reps, names, nil
}

// alterSystem sets a setting with ALTER SYSTEM and reloads the
// configuration. The value is quoted as a string literal.
func alterSystem(ctx context.Context, conn *pgx.Conn, name, value string) error {
	if _, err := conn.Exec(ctx, "ALTER SYSTEM SET "+name+" = "+gucString(value)); err != nil {
		return fmt.Errorf("ALTER SYSTEM SET %s: %w", name, err)
	}
	if _, err := conn.Exec(ctx, "SELECT pg_reload_conf()"); err != nil {
		return fmt.Errorf("reload the configuration: %w", err)
	}
	return nil
}

// sqlIdent quotes an identifier-like name for synchronous_standby_names.
func sqlIdent(s string) string { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }
