// Package controller is the per-node brain of ward: the persisted state
// store, the designated coordinator (DC) election and the transition loop.
//
// What exists today is the persisted state (Store): the policy with its
// epoch, the term record (highest term seen, highest term granted and to
// whom, highest term won) and the fencing history, each in its own file
// written atomically (temp file, fsync, rename, fsync of the directory),
// in a versioned format with a checksum. A file that is corrupt or
// truncated stops the daemon with an error (*CorruptError) that names the
// file and says what to do; it is never replaced by an empty state.
//
// Callers of Store must:
//
//  1. Open it once at daemon start (OpenStore) and stop the daemon if it
//     returns an error. OpenStore locks the directory so two daemons can
//     never share one state.
//  2. Call ObserveTerm for every term carried by a message before acting
//     on the message, and refuse the message if its term is lower than
//     Term().Seen.
//  3. Answer a DC claim only with the result of Grant (which persists
//     before returning), after checking the claimant is the node this
//     node would itself choose and that this node is quorate.
//  4. Call Win before acting as DC of a term, and stop acting as DC as
//     soon as ObserveTerm reports a higher term.
//  5. Save a policy with SavePolicy before acknowledging it, and record
//     every fencing result with AppendFencing before reporting it.
//
// Planned (issue 6, second part): the DC election and join phase, the
// transition loop (one goroutine that selects on membership, op results,
// policy reloads and the recheck timer, snapshots, calls policy.Schedule
// and dispatches), the lease (check-quorum) and no_quorum_policy.
package controller
