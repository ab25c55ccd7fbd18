// Command failover measures ward's PostgreSQL failover in a lab on this
// machine (root): for each run it builds a fresh lab of three hosts
// (PostgreSQL in synchronous mode, a VIP, a lab fence device each), has
// a client write through the VIP, powers the primary's host off and
// measures the time to the first write acknowledged through the VIP;
// then it reads every acknowledged id back and reports any missing, and
// whether two hosts ever acknowledged writes at once.
//
//	go run ./bench/failover --runs 10 [--profile lan|fast]
//
// The last line is one JSON object; the exit status is 0 only if every
// run recovered with nothing lost and never two primaries.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"slices"

	"github.com/ward-ha/ward/internal/lab"
)

// result is the JSON summary.
type result struct {
	Runs        int    `json:"runs"`
	Profile     string `json:"profile"`
	Recovered   int    `json:"recovered"`
	MedianMS    int64  `json:"median_ms"`
	MaxMS       int64  `json:"max_ms"`
	MinMS       int64  `json:"min_ms"`
	LostAcked   int    `json:"lost_acked"`
	DualPrimary int    `json:"dual_primary"`
	Acked       int    `json:"acked"`
	// pgbench through the VIP (--pgbench): transactions acknowledged and
	// missing afterwards, power-off -> first acknowledged transaction, and
	// the gap between the last before and the first after.
	PgbenchAcked          int   `json:"pgbench_acked,omitempty"`
	PgbenchLost           int   `json:"pgbench_lost"`
	PgbenchFirstMedianMS  int64 `json:"pgbench_first_median_ms,omitempty"`
	PgbenchFirstMaxMS     int64 `json:"pgbench_first_max_ms,omitempty"`
	PgbenchOutageMedianMS int64 `json:"pgbench_outage_median_ms,omitempty"`
	// VIP-only failover beside keepalived (--baseline).
	VIPRuns            int    `json:"vip_runs,omitempty"`
	VIPWardMedianMS    int64  `json:"vip_ward_median_ms,omitempty"`
	VIPWardMaxMS       int64  `json:"vip_ward_max_ms,omitempty"`
	KeepalivedMedianMS int64  `json:"keepalived_median_ms,omitempty"`
	KeepalivedMaxMS    int64  `json:"keepalived_max_ms,omitempty"`
	Error              string `json:"error,omitempty"`
}

func main() {
	runs := flag.Int("runs", 10, "failover runs")
	profile := flag.String("profile", "lan", "lan, or fast (monitors every 1 s and 1.5 s instead of 1 s and 2 s)")
	keep := flag.Bool("keep", false, "keep the logs of failed runs")
	keepAll := flag.Bool("keep-all", false, "keep the logs of every run")
	pg := flag.Bool("pg", true, "measure the PostgreSQL failover")
	withPgbench := flag.Bool("pgbench", true, "run pgbench through the VIP during each PostgreSQL failover")
	baseline := flag.Bool("baseline", true, "also measure a VIP-only failover by ward and by keepalived (VRRPv2, advert_int 1), same probe")
	wardBin := flag.String("ward", "", "the ward binary the lab hosts run (default: build it from this tree)")
	flag.Parse()
	if *profile != "lan" && *profile != "fast" {
		fmt.Fprintf(os.Stderr, "failover: --profile %q: want lan or fast\n", *profile)
		os.Exit(2)
	}
	if err := lab.CheckRoot(); err != nil {
		fmt.Fprintln(os.Stderr, "failover:", err)
		os.Exit(1)
	}
	exe, cleanup, err := *wardBin, func() {}, error(nil)
	if exe == "" {
		exe, cleanup, err = buildWard()
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "failover:", err)
		os.Exit(1)
	}
	defer cleanup()
	res := result{Runs: *runs, Profile: *profile}
	failed := false
	if *pg {
		failed = pgRuns(exe, *runs, *profile == "fast", *keep, *keepAll, *withPgbench, &res)
	}
	if *baseline {
		failed = vipRuns(exe, *runs, *keep, &res) || failed
	}
	b, _ := json.Marshal(res)
	fmt.Println(string(b))
	if failed {
		cleanup() // os.Exit skips the deferred one
		os.Exit(1)
	}
}

// pgRuns runs the PostgreSQL failovers; true if any failed.
func pgRuns(exe string, runs int, fast, keep, keepAll, withPgbench bool, res *result) bool {
	var times, pgbFirst, pgbOutage []int64
	fmt.Printf("%-4s %-8s %-8s %10s %10s %10s %7s %6s %5s %9s %10s %9s %8s\n", "run", "victim", "new", "write_ms", "outage_ms", "writer_ms", "acked", "lost", "dual",
		"pgb_first", "pgb_outage", "pgb_acked", "pgb_lost")
	for r := 1; r <= runs; r++ {
		m, err := runOnce(exe, fast, keep, keepAll, withPgbench)
		if err != nil {
			fmt.Printf("%-4d error: %v\n", r, err)
			res.Error = err.Error()
			continue
		}
		res.Recovered++
		times = append(times, m.ms)
		res.LostAcked += m.lost
		res.Acked += m.acked
		if m.dual {
			res.DualPrimary++
		}
		fmt.Printf("%-4d %-8s %-8s %10d %10d %10d %7d %6d %5t %9d %10d %9d %8d\n", r, m.victim, m.survivor, m.ms, m.outageMS, m.writerMS, m.acked, m.lost, m.dual,
			m.pgb.firstMS, m.pgb.outageMS, m.pgb.acked, m.pgb.lost)
		fmt.Printf("     steps: %s\n", m.steps)
		if withPgbench {
			pgbFirst, pgbOutage = append(pgbFirst, m.pgb.firstMS), append(pgbOutage, m.pgb.outageMS)
			res.PgbenchAcked += m.pgb.acked
			res.PgbenchLost += m.pgb.lost
		}
	}
	res.PgbenchFirstMedianMS, res.PgbenchFirstMaxMS = medianMax(pgbFirst)
	res.PgbenchOutageMedianMS, _ = medianMax(pgbOutage)
	if len(times) > 0 {
		slices.Sort(times)
		res.MedianMS, res.MinMS, res.MaxMS = times[len(times)/2], times[0], times[len(times)-1]
	}
	return res.Recovered != runs || res.LostAcked != 0 || res.DualPrimary != 0 || res.PgbenchLost != 0
}

// vipRuns alternates VIP-only failovers by ward and by keepalived; true
// if any failed.
func vipRuns(exe string, runs int, keep bool, res *result) bool {
	var wardT, kaT []int64
	failed := false
	fmt.Printf("\n%-4s %-11s %8s %8s\n", "run", "vip by", "ms", "holder")
	for r := 1; r <= runs; r++ {
		for _, ka := range []bool{false, true} {
			who := "ward"
			if ka {
				who = "keepalived"
			}
			ms, holder, err := vipRun(exe, ka, keep)
			if err != nil {
				fmt.Printf("%-4d %-11s error: %v\n", r, who, err)
				res.Error, failed = who+": "+err.Error(), true
				continue
			}
			fmt.Printf("%-4d %-11s %8d %8s\n", r, who, ms, holder)
			if ka {
				kaT = append(kaT, ms)
			} else {
				wardT = append(wardT, ms)
			}
		}
	}
	res.VIPRuns = runs
	res.VIPWardMedianMS, res.VIPWardMaxMS = medianMax(wardT)
	res.KeepalivedMedianMS, res.KeepalivedMaxMS = medianMax(kaT)
	return failed
}

func medianMax(ts []int64) (int64, int64) {
	if len(ts) == 0 {
		return 0, 0
	}
	slices.Sort(ts)
	return ts[len(ts)/2], ts[len(ts)-1]
}

// buildWard builds the ward binary the lab hosts run.
func buildWard() (string, func(), error) {
	dir, err := os.MkdirTemp("", "wardbench-bin-")
	if err != nil {
		return "", nil, err
	}
	exe := filepath.Join(dir, "ward")
	if out, err := exec.Command("go", "build", "-o", exe, "github.com/ward-ha/ward/cmd/ward").CombinedOutput(); err != nil {
		os.RemoveAll(dir)
		return "", nil, fmt.Errorf("build ward: %v: %s", err, out)
	}
	return exe, func() { os.RemoveAll(dir) }, nil
}

// newLab builds a lab of n hosts in a fresh folder.
func newLab(ctx context.Context, exe string, n int) (*lab.Lab, func(keep bool), error) {
	base, err := os.MkdirTemp("", "wardbench-")
	if err != nil {
		return nil, nil, err
	}
	os.Chmod(base, 0o755)
	l, err := lab.New(lab.Config{Dir: filepath.Join(base, "lab"), Prefix: "wardpf-", Nodes: n, Exe: exe}, slog.New(slog.DiscardHandler))
	if err != nil {
		return nil, nil, err
	}
	down := func(keep bool) {
		if keep {
			fmt.Fprintf(os.Stderr, "logs kept in %s\n", base)
			l.Down(context.Background(), false)
			return
		}
		l.Down(context.Background(), true)
		os.RemoveAll(base)
	}
	l.Down(ctx, false) // left by a crashed run
	if err := l.Up(ctx); err != nil {
		down(false)
		return nil, nil, err
	}
	return l, down, nil
}
