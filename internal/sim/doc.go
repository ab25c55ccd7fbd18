// Package sim is ward's randomized fault simulation: a whole cluster in
// one process (real controllers, heartbeat over heartbeattest's
// in-memory network, executors with the dummy and stateful agents, a
// fake fencing device), a fault schedule drawn from a seed, and
// invariant checks on every event and every 5 ms. docs/reliability.md
// describes the faults, the invariants and how to replay a seed.
//
// Callers must:
//
//  1. Call Run with a seed (Options.Seed) and a context; cancel the
//     context to stop early. Run blocks for the whole run (seconds:
//     memberlist runs on real timers) and stops every node before it
//     returns.
//  2. Treat an error as a broken simulation (a node could not start)
//     and Result.Violations as broken invariants; Result.Replay is the
//     command that plays the same schedule again.
//  3. Run seeds one after another or a few at a time: each run uses a
//     few goroutines per node and little CPU, but timing matters, and a
//     machine overloaded by parallel runs delays failure detection past
//     the grace the checks allow.
package sim
