// Package controller is the per-node brain of ward: the persisted state
// store, the designated coordinator (DC) election, the join, the
// transition executor, no_quorum_policy, and the api.Backend the API
// server serves.
//
// # The store
//
// Store holds the policy with its epoch, the term record (highest term
// seen, highest term granted and to whom, highest term won) and the
// fencing history, each in its own file written atomically (temp file,
// fsync, rename, fsync of the directory), in a versioned format with a
// checksum. A corrupt or truncated file stops the daemon with an error
// (*CorruptError) that names the file and says what to do.
//
// # The loop
//
// A Controller is one goroutine (Run) that owns all of its state. It
// selects on membership changes, messages from other nodes, executor
// results, API requests, results handed back by its workers, and a tick;
// events carry no payload the loop relies on: each wake-up marks the
// state dirty and the loop then acts on what it observes now. After
// every event the loop:
//
//  1. Steps down as DC if this partition lost quorum or a higher term
//     was seen (in a message or in gossip metadata).
//  2. Election: if this node is the one to lead (the present node that
//     sorts first by priority, then name) it claims term = seen + 1; it
//     wins with grants from more than half of the configured votes
//     (two_node: the peer's grant, or the peer fenced) and persists the
//     win (Store.Win) before acting. Every node grants at most one claim
//     per term (Store.Grant persists first), only to the node it would
//     itself choose, only while quorate, and not within a lease of
//     having answered another DC's lease ping.
//  3. no_quorum_policy, on a node without quorum, without any DC: stop
//     (demote promoted instances first), demote, freeze, ignore,
//     suicide (Config.SelfFence).
//  4. Reports this node's state to its DC after a local change (a
//     monitor result that changed, a node attribute).
//  5. As DC: pings every member each tick and dispatches only while
//     members holding a majority of the votes answered within the lease
//     (half of heartbeat.Timing.MinDeadAfter); joins every present
//     member (its executor's state, policy epoch, what it knows of other
//     nodes' boots, fencing and the previous DC's view), adopting the
//     highest policy epoch and refusing to schedule on an epoch
//     conflict; then snapshots (snapshot.go), calls policy.Schedule,
//     announces the planned starts to a majority, and dispatches each
//     action whose predecessors are done, tagged (term, transition,
//     action). Any surprise aborts the transition: nothing new is
//     dispatched, what is in flight is awaited or timed out, and the DC
//     schedules again from what it then observes.
//
// Members run what the DC of the highest term sends (after
// Store.ObserveTerm), refuse lower terms, refuse starts and promotions
// without quorum, and report results to the DC of the highest term only.
// Fence actions run on a member that is not the victim; the result is
// persisted (Store.AppendFencing) before it is reported.
//
// # Callers must
//
//  1. Open the Store once at daemon start (OpenStore) and stop the
//     daemon if it returns an error.
//  2. Save a bootstrap policy as epoch 1 when the store holds none, and
//     pass the live policy (parsed) in Config.Policy.
//  3. Create a Reports, give it to the executor as its Reporter and to
//     the controller as Config.Reports.
//  4. Run heartbeat, executor and controller, each on its own goroutine,
//     with one context; cancel it to stop. Serve the Controller as the
//     api.Backend.
package controller
