package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os/signal"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/ward-ha/ward/internal/sim"
)

// newSimCmd returns `ward sim`, the randomized fault simulation. The
// lead registers it in root.go.
func newSimCmd() *cobra.Command {
	var (
		seeds, faults, nodes int
		seed                 uint64
		format               string
		verbose              bool
		converge             time.Duration
	)
	c := &cobra.Command{
		Use:   "sim",
		Short: "Run the randomized fault simulation: many nodes in one process, faults from a seed, invariants checked",
		Long: `sim boots a whole ward cluster in this process (real controllers, heartbeat
and executors over an in-memory network, dummy and stateful agents, a fake
fencing device), plays a random fault schedule drawn from a seed (kill,
freeze, partition, one-way cut, lossy links, heal, agent failure and hang,
fencing failure, policy change), heals everything and checks that the
cluster converges. Throughout it checks ward's safety invariants: no
non-clone resource active on two unfenced nodes, never more promoted
instances than promoted_max, nothing started without quorum, no recovery
before fencing, one DC per term, no stale-term action.

Without --seed it runs seeds 1..N; with --seed S it runs S..S+N-1 (N
defaults to 1 then). A failing seed prints the command that replays it:
the same fault schedule (timing of goroutines is not replayed). Exit
code 1 if any invariant broke. See docs/reliability.md.`,
		Example: `  ward sim --seeds 20
  ward sim --seed 7 --faults 10
  ward sim --seeds 5 -o json`,
		Args: argsUsage(cobra.NoArgs),
		RunE: func(c *cobra.Command, _ []string) error {
			if format != "text" && format != "json" {
				return &usageError{cmd: c.CommandPath(), err: fmt.Errorf("--output %q: want text or json", format)}
			}
			if seeds < 1 || faults < 1 || nodes < 3 {
				return &usageError{cmd: c.CommandPath(), err: fmt.Errorf("--seeds and --faults must be at least 1 and --nodes at least 3")}
			}
			first := uint64(1)
			if c.Flags().Changed("seed") {
				first = seed
				if !c.Flags().Changed("seeds") {
					seeds = 1
				}
			}
			ctx, stop := signal.NotifyContext(c.Context(), syscall.SIGINT, syscall.SIGTERM)
			defer stop()
			var logw io.Writer = io.Discard
			if verbose {
				logw = c.ErrOrStderr()
			}
			return runFaultSim(ctx, c.OutOrStdout(), format, first, seeds, sim.Options{Faults: faults, Nodes: nodes,
				Converge: converge, Log: logw, LogLevel: slog.LevelInfo})
		},
	}
	c.Flags().IntVar(&seeds, "seeds", 10, "number of seeds to run")
	c.Flags().Uint64Var(&seed, "seed", 0, "first seed (replays one seed unless --seeds is given)")
	c.Flags().IntVar(&faults, "faults", 6, "faults per seed")
	c.Flags().IntVar(&nodes, "nodes", 3, "nodes in the simulated cluster")
	c.Flags().DurationVar(&converge, "converge", 30*time.Second, "bound on convergence after the last fault heals")
	c.Flags().BoolVarP(&verbose, "verbose", "v", false, "print the simulated nodes' logs on stderr")
	c.Flags().StringVarP(&format, "output", "o", "text", "output format: text or json")
	return c
}

// simSummary is the JSON output of `ward sim`.
type simSummary struct {
	Seeds          int          `json:"seeds"`
	Failed         int          `json:"failed"`
	Violations     int          `json:"violations"`
	Fences         int          `json:"fences"`
	Refences       int          `json:"refences"`
	SeedsPerMinute float64      `json:"seeds_per_minute"`
	Results        []sim.Result `json:"results"`
}

func runFaultSim(ctx context.Context, w io.Writer, format string, first uint64, n int, o sim.Options) error {
	begin := time.Now()
	var sum simSummary
	for i := range n {
		o.Seed = first + uint64(i)
		res, err := sim.Run(ctx, o)
		if err != nil {
			return &exitError{code: 1, msg: fmt.Sprintf("sim: seed %d: %v", o.Seed, err)}
		}
		sum.Seeds++
		sum.Results = append(sum.Results, res)
		sum.Fences += res.Counts.Fences
		sum.Refences += res.Counts.Refences
		if !res.OK() {
			sum.Failed++
			sum.Violations += len(res.Violations)
		}
		if format == "text" {
			printSimResult(w, res)
		}
	}
	if el := time.Since(begin); el > 0 {
		sum.SeedsPerMinute = float64(sum.Seeds) / el.Minutes()
	}
	if format == "json" {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		if err := enc.Encode(sum); err != nil {
			return err
		}
	} else {
		fmt.Fprintf(w, "%d seeds, %d failed, %d violations, %d fences (%d of a node already off), %.1f seeds/minute\n",
			sum.Seeds, sum.Failed, sum.Violations, sum.Fences, sum.Refences, sum.SeedsPerMinute)
	}
	if sum.Failed > 0 {
		return &exitError{code: 1, msg: fmt.Sprintf("sim: %d of %d seeds broke an invariant", sum.Failed, sum.Seeds)}
	}
	return nil
}

func printSimResult(w io.Writer, r sim.Result) {
	if r.OK() {
		fmt.Fprintf(w, "seed %d: ok (%d faults, %d starts, %d promotes, %d fences, %v, converged %v after the last heal)\n", r.Seed, r.Faults,
			r.Counts.Starts, r.Counts.Promotes, r.Counts.Fences, r.Duration.Round(time.Millisecond), r.Converged.Round(time.Millisecond))
		return
	}
	fmt.Fprintf(w, "seed %d: FAILED, %d violations\n", r.Seed, len(r.Violations))
	for _, s := range r.Schedule {
		fmt.Fprintf(w, "  %s\n", s)
	}
	for _, v := range r.Violations {
		fmt.Fprintf(w, "  violation %s at %v: %s\n", v.Kind, v.At.Round(time.Millisecond), v.Detail)
	}
	fmt.Fprintf(w, "  replay: %s\n", r.Replay)
}
