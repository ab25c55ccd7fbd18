// Package resources is ward's executor: it runs resource agents' actions
// on one node and remembers what happened. It declares the Agent
// interface that agents/ implements, the OCF exit codes (Code) with
// their recovery classes (Severity), the OCF meta-data format (Metadata,
// ParseMetadata) and Command, the process runner every process-based
// agent uses.
//
// The executor keeps no cluster policy. It does not decide what to start
// or where, what a failure means for placement, or when failures expire:
// it runs what it is asked, enforces timeouts, serializes, and reports.
//
// # What the executor guarantees
//
//   - At most one operation of a resource runs at a time; requests for
//     one resource wait their turn in a queue.
//   - At most Config.MaxConcurrent operations run at once on the node.
//   - Every operation has a timeout (DefaultTimeout when unset), timed
//     on the injected clock. On timeout the agent's whole process group
//     is killed and the result has Kind KindTimeout and Code ErrGeneric.
//   - Agent output is kept up to a limit (DefaultOutputLimit per stream
//     for process agents); the excess is read and dropped.
//   - Every result (Exec, Probe, each run of each recurring monitor) is
//     recorded in the resource's History and passed to the Reporter.
//
// # What callers (the controller) must do
//
//  1. Build an Executor with New (it starts nothing), passing an agent
//     Resolver (agents/registry), a Reporter, a clock and a logger.
//  2. Call Run(ctx) in a goroutine of its own: it runs the recurring
//     monitors. Exec and Probe work as soon as New returns and return
//     ErrStopped once Run is shutting down. Cancel ctx to stop: Run
//     kills the operations in flight, waits for them, and returns.
//  3. When the node joins, probe every resource the policy names
//     (ProbeAll) and report what the probes found: that, not what the
//     executor remembers from before a restart, is the node's state.
//  4. Run start, stop, promote, demote and notify with Exec; it blocks,
//     so call it from a goroutine per action. Judge each result with
//     Result.Failure: SeveritySoft means recover in place, SeverityHard
//     ban the resource from this node (codes 4 and 5), SeverityFatal ban
//     it everywhere (codes 2, 3 and 6). A KindCanceled or KindTimeout
//     stop leaves the resource's state unknown: fence the node or block
//     the resource.
//  5. After a successful start (or promote or demote), enable the
//     resource's recurring monitor for its role with StartMonitor
//     (Expect RunningPromoted for the promoted role). Before stopping,
//     demoting or promoting, disable it with StopMonitor so that a
//     monitor does not report the transition as a failure.
//  6. Handle Reporter.Report quickly: it runs on executor goroutines.
//     A recurring monitor's result with Failure() != SeverityNone is a
//     monitor failure; Changed tells whether it differs from the
//     previous run. Forward Result.Attributes (promotion scores) to the
//     node's attributes.
//  7. Tag every request from a DC with its term (Request.Term) and seed
//     the executor with the persisted highest term (ObserveTerm): a
//     request of a lower term fails with ErrStaleTerm, before it runs
//     and again after it waited in the queue, so a superseded DC cannot
//     act through this node.
//  8. Read History for op history and fail counts; ClearFailures on an
//     operator's cleanup; Forget when a resource leaves the policy.
package resources
