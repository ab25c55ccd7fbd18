// Command catalogue runs ward's fault catalogue in a lab on this machine
// (root): for each scenario it builds a fresh lab of three hosts (real
// ward daemons in network namespaces, PostgreSQL 15 primary/standby in
// synchronous mode, a VIP, a lab fence device per host), has a client
// write through the VIP, injects the scenario's fault and checks its
// expected outcome, while the invariants are checked all along: never
// two writable primaries, no non-clone resource active on two hosts not
// known to be fenced, no two DCs in one term, every acknowledged write
// present at the end.
//
//	go run ./bench/catalogue [--only NAME,...] [--list] [--keep DIR]
//	go run ./bench/catalogue --soak 10m [--seed N] [--interval 30s]
//
// It prints a table (scenario, outcome, time to recover, longest write
// gap, violations) and, last, one JSON object; the exit status is 0 only
// if every scenario met its expectation with no violation. The soak
// mode injects random faults (seeded, printed) every interval with the
// writer running and checks the same invariants.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/ward-ha/ward/internal/lab"
)

// summary is the JSON last line of a catalogue run.
type summary struct {
	Scenarios  int      `json:"scenarios"`
	Passed     int      `json:"passed"`
	Failed     []string `json:"failed"`
	Violations int      `json:"violations"`
	Lost       int      `json:"lost"`
	Acked      int      `json:"acked"`
	LoadAvg    string   `json:"loadavg"`
	Seconds    float64  `json:"seconds"`
	// Tree is the git commit the ward binary was built from, with the
	// number of files changed in the working tree (a shared tree moves).
	Tree    string       `json:"tree"`
	Results []lab.Result `json:"results"`
}

// treeState returns "COMMIT+N" (N files changed in the working tree).
func treeState() string {
	head, err := exec.Command("git", "rev-parse", "--short", "HEAD").Output()
	if err != nil {
		return "unknown"
	}
	st, _ := exec.Command("git", "status", "--porcelain", "--untracked-files=no").Output()
	n := len(strings.Fields(strings.TrimSpace(string(st)))) / 2
	return fmt.Sprintf("%s+%d", strings.TrimSpace(string(head)), n)
}

func main() {
	only := flag.String("only", "", "comma-separated scenario names (default: all)")
	list := flag.Bool("list", false, "list the scenarios and exit")
	keep := flag.String("keep", "", "keep the logs of failed scenarios (or of the soak) under this folder")
	keepAll := flag.Bool("keep-all", false, "with --keep: keep the logs of passed scenarios (or of a soak that passed) too")
	soak := flag.Duration("soak", 0, "run the soak for this long instead of the catalogue (e.g. 10m)")
	seed := flag.Int64("seed", 0, "soak: the seed of the fault schedule (default: from the clock, printed)")
	interval := flag.Duration("interval", 30*time.Second, "soak: time between faults")
	soakFaults := flag.String("soak-faults", "", "soak: comma-separated faults to draw from (default all: "+strings.Join(lab.SoakFaults(), ",")+")")
	primaryOnly := flag.Bool("soak-primary-only", false, "soak: aim every fault at the primary's host")
	verbose := flag.Bool("v", false, "log the harness's progress to stderr")
	flag.Parse()
	if flag.NArg() > 0 {
		fmt.Fprintf(os.Stderr, "catalogue: unexpected arguments %q\n", flag.Args())
		os.Exit(2)
	}
	all := lab.Catalogue()
	if *list {
		for _, s := range all {
			ci := ""
			if s.CI {
				ci = " [CI]"
			}
			fmt.Printf("%s%s\n  fault:  %s\n  expect: %s\n  proves: %s\n", s.Name, ci, s.Fault, s.Expect, s.Proves)
		}
		return
	}
	var names []string
	if *only != "" {
		names = strings.Split(*only, ",")
	}
	sel, err := lab.FindScenarios(all, names)
	if err != nil {
		fmt.Fprintln(os.Stderr, "catalogue:", err)
		os.Exit(2)
	}
	if err := lab.CheckRoot(); err != nil {
		fmt.Fprintln(os.Stderr, "catalogue:", err)
		os.Exit(1)
	}
	log := slog.New(slog.DiscardHandler)
	if *verbose {
		log = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	}
	tree := treeState()
	fmt.Printf("ward built from %s (commit + files changed in the working tree)\n", tree)
	exe, cleanup, err := buildWard()
	if err != nil {
		fmt.Fprintln(os.Stderr, "catalogue:", err)
		os.Exit(1)
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	var ok bool
	if *soak > 0 {
		var fl []string
		if *soakFaults != "" {
			fl = strings.Split(*soakFaults, ",")
		}
		ok = runSoak(ctx, lab.SoakOptions{Prefix: "wardfs-", Exe: exe, Duration: *soak, Interval: *interval, Seed: *seed,
			KeepDir: *keep, KeepAll: *keepAll, Log: log, Faults: fl, PrimaryOnly: *primaryOnly})
	} else {
		ok = runCatalogue(ctx, sel, lab.RunOptions{Prefix: "wardfc-", Exe: exe, KeepDir: *keep, KeepAll: *keepAll, Log: log}, tree)
	}
	stop()
	cleanup()
	if !ok {
		os.Exit(1)
	}
}

func runCatalogue(ctx context.Context, sel []lab.Scenario, ro lab.RunOptions, tree string) bool {
	start := time.Now()
	sum := summary{Scenarios: len(sel), Failed: []string{}, Tree: tree}
	fmt.Printf("%-30s %-4s %10s %10s %4s %12s %7s  %s\n", "scenario", "ok", "recover_s", "max_gap_s", "viol", "acked/lost", "time_s", "outcome")
	for _, sc := range sel {
		if ctx.Err() != nil {
			break
		}
		res := lab.RunScenario(ctx, sc, ro)
		sum.Results = append(sum.Results, res)
		sum.Violations += len(res.Violations)
		sum.Lost += res.Lost
		sum.Acked += res.Acked
		mark := "PASS"
		if res.Pass {
			sum.Passed++
		} else {
			mark = "FAIL"
			sum.Failed = append(sum.Failed, sc.Name)
		}
		fmt.Printf("%-30s %-4s %10.1f %10.1f %4d %12s %7.0f  %s\n", sc.Name, mark, float64(res.RecoveryMS)/1000,
			float64(res.MaxGapMS)/1000, len(res.Violations), fmt.Sprintf("%d/%d", res.Acked, res.Lost), res.Seconds, res.Outcome)
		for _, v := range res.Violations {
			fmt.Printf("    violation: %s\n", v)
		}
		if res.LogsKept != "" {
			fmt.Printf("    logs kept in %s\n", res.LogsKept)
		}
	}
	sum.LoadAvg = loadAvg()
	sum.Seconds = time.Since(start).Seconds()
	b, _ := json.Marshal(sum)
	fmt.Println(string(b))
	return sum.Passed == len(sel) && sum.Violations == 0 && sum.Lost == 0
}

func runSoak(ctx context.Context, o lab.SoakOptions) bool {
	if o.Seed == 0 {
		o.Seed = time.Now().UnixNano() % 1_000_000
	}
	replay := fmt.Sprintf("go run ./bench/catalogue --soak %v --interval %v --seed %d", o.Duration, o.Interval, o.Seed)
	if len(o.Faults) > 0 {
		replay += " --soak-faults " + strings.Join(o.Faults, ",")
	}
	if o.PrimaryOnly {
		replay += " --soak-primary-only"
	}
	fmt.Printf("soak: %v, a fault every %v, seed %d (replay: %s)\n", o.Duration, o.Interval, o.Seed, replay)
	o.Progress = func(line string) { fmt.Println(line) }
	res := lab.RunSoak(ctx, o)
	for _, v := range res.Violations {
		fmt.Printf("    violation: %s\n", v)
	}
	res.LoadAvg = loadAvg()
	b, _ := json.Marshal(res)
	fmt.Println(string(b))
	return res.OK()
}

// loadAvg returns the 1, 5 and 15 minute load averages.
func loadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return ""
	}
	f := strings.Fields(string(b))
	return strings.Join(f[:min(3, len(f))], " ")
}

// buildWard builds the ward binary the lab hosts run.
func buildWard() (string, func(), error) {
	dir, err := os.MkdirTemp("", "wardfc-bin-")
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
