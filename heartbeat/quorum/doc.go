// Package quorum is the vote arithmetic of a ward cluster, with no I/O, no
// clock and no goroutines, in the spirit of etcd raft's quorum package.
//
// Callers do three things:
//
//  1. Build a Config from the policy: every configured node with its votes,
//     whether a witness holds a vote, and the two_node / wait_for_all
//     options. Check it with Validate.
//  2. Each time membership changes, describe what this node sees in an
//     Input: the configured nodes it sees alive right now (itself
//     included), whether it has seen every configured node alive at once
//     since it started (wait_for_all), and whether the witness granted its
//     vote to this side.
//  3. Call Config.Evaluate and act on Result.Quorate. Result also carries
//     the figures a status screen shows (votes, total, needed).
//
// The total is always computed from the configured nodes, never from the
// nodes that happen to gossip, so two disjoint partitions can never both
// hold a majority. The one exception is two_node, where each lone node of
// a two-node cluster keeps quorum once it has seen its peer: fencing then
// decides which one survives (see docs/protocol.md).
package quorum
