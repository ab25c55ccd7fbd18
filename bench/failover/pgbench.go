package main

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/ward-ha/ward/internal/lab"
)

// pgbench through the VIP during the failover. pgbench 15 aborts a
// client whose connection breaks and never reconnects, so a supervisor
// starts it again (a new "run") whenever it exits. Every transaction
// inserts (run, client, n) where n counts the client's transactions
// (a pgbench variable, kept across transactions); pgbench's
// per-transaction log (-l) lists the ones acknowledged, so client c of
// run r had exactly n = 1..k acknowledged, and each must be there
// afterwards.

const (
	pgbTable   = "pgb"
	pgbClients = 4
	pgbRunSecs = 4
	pgbRate    = 200 // transactions per second in all, so the lab's 2 cores are not saturated
	pgbScript  = "\\set n :n + 1\nINSERT INTO " + pgbTable + " (run, client, n) VALUES (:run, :client_id, :n);\n"
)

// pgbench supervises pgbench runs against the VIP.
type pgbench struct {
	l   *lab.Lab
	dir string
}

func newPgbench(ctx context.Context, l *lab.Lab, dir string) (*pgbench, error) {
	if _, err := exec.LookPath("pgbench"); err != nil {
		return nil, fmt.Errorf("pgbench is not installed (Debian: postgresql-client-15): %w", err)
	}
	cfg, err := l.ClientConfig(l.VIP())
	if err != nil {
		return nil, err
	}
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return nil, err
	}
	defer conn.Close(context.Background())
	if _, err := conn.Exec(ctx, "CREATE TABLE IF NOT EXISTS "+pgbTable+" (run int, client int, n int, PRIMARY KEY (run, client, n))"); err != nil {
		return nil, fmt.Errorf("create %s: %w", pgbTable, err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	if err := os.WriteFile(filepath.Join(dir, "script.sql"), []byte(pgbScript), 0o644); err != nil {
		return nil, err
	}
	return &pgbench{l: l, dir: dir}, nil
}

// Run starts pgbench again and again until stop is closed; each run
// lasts at most pgbRunSecs, so that the last one ends on its own and
// writes its whole log (a killed pgbench loses what it buffered).
func (p *pgbench) Run(ctx context.Context, stop <-chan struct{}) {
	conninfo := fmt.Sprintf("host=%s port=5432 user=postgres dbname=postgres sslmode=disable connect_timeout=2 tcp_user_timeout=1000", p.l.VIP())
	for run := 1; ; run++ {
		select {
		case <-stop:
			return
		default:
		}
		cmd := p.l.ClientCommand(ctx, "pgbench", "-n", "-c", strconv.Itoa(pgbClients), "-j", "1", "-T", strconv.Itoa(pgbRunSecs),
			"-R", strconv.Itoa(pgbRate), "-D", "run="+strconv.Itoa(run), "-D", "n=0",
			"-f", filepath.Join(p.dir, "script.sql"), "-l", "--log-prefix", filepath.Join(p.dir, "log_"+strconv.Itoa(run)), conninfo)
		cmd.Dir = p.dir
		cmd.Run() // also exits when its clients abort (the primary went away)
		select {
		case <-ctx.Done():
			return
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// pgbResult is what the logs and the table say.
type pgbResult struct {
	acked, lost int
	// firstMS: from the power-off to the first transaction acknowledged
	// after it; outageMS: from the last acknowledged before it.
	firstMS, outageMS int64
}

// check reads the logs and the table (through addr) once pgbench runs
// no more. The host was powered off from t0 to tOff (transactions in
// flight as it froze may be acknowledged in between).
func (p *pgbench) check(ctx context.Context, t0, tOff time.Time) (pgbResult, error) {
	var res pgbResult
	files, _ := filepath.Glob(filepath.Join(p.dir, "log_*"))
	type key struct{ run, client int }
	acked := map[key]int{}
	var at []time.Time
	for _, f := range files {
		run, _ := strconv.Atoi(strings.SplitN(strings.TrimPrefix(filepath.Base(f), "log_"), ".", 2)[0])
		fh, err := os.Open(f)
		if err != nil {
			return res, err
		}
		sc := bufio.NewScanner(fh)
		for sc.Scan() {
			// client_id transaction_no time script_no time_epoch time_us
			fs := strings.Fields(sc.Text())
			if len(fs) < 6 {
				continue
			}
			client, err1 := strconv.Atoi(fs[0])
			_, err2 := strconv.ParseInt(fs[2], 10, 64) // "failed" or "skipped" otherwise
			sec, err3 := strconv.ParseInt(fs[4], 10, 64)
			us, err4 := strconv.ParseInt(fs[5], 10, 64)
			if err1 != nil || err2 != nil || err3 != nil || err4 != nil {
				continue
			}
			acked[key{run, client}]++
			at = append(at, time.Unix(sec, us*1000))
		}
		fh.Close()
	}
	cfg, err := p.l.ClientConfig(p.l.VIP())
	if err != nil {
		return res, err
	}
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return res, err
	}
	defer conn.Close(context.Background())
	for k, n := range acked {
		var have int
		if err := conn.QueryRow(ctx, "SELECT count(*) FROM "+pgbTable+" WHERE run = $1 AND client = $2 AND n <= $3", k.run, k.client, n).Scan(&have); err != nil {
			return res, err
		}
		res.acked += n
		res.lost += n - have
	}
	slices.SortFunc(at, func(a, b time.Time) int { return a.Compare(b) })
	i, _ := slices.BinarySearchFunc(at, tOff, func(a, b time.Time) int { return a.Compare(b) })
	if i < len(at) {
		res.firstMS = at[i].Sub(t0).Milliseconds()
		if i > 0 {
			res.outageMS = at[i].Sub(at[i-1]).Milliseconds()
		}
	}
	return res, nil
}
