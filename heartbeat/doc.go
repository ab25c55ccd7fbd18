// Package heartbeat is ward's membership layer on hashicorp/memberlist:
// who is alive, their metadata, quorum, and small messages between nodes.
//
// Callers (the controller) do this:
//
//  1. Build a Config from the policy: every node with its addresses (one
//     per link) and votes, this node's name, the quorum options, a timing
//     Profile ("lan" by default), and the key file (mode 0600, made with
//     `ward key generate`). New validates it and reads the key; it starts
//     nothing and fails with a message that says how to fix the problem.
//  2. Call Run(ctx) on a goroutine the caller owns. It starts one
//     memberlist per link, joins the configured nodes, re-joins those it
//     does not see every RejoinInterval, and returns after ctx is
//     cancelled and every goroutine it started has exited. Ready is closed
//     once the links are up.
//  3. Select on Changes() and read Membership() after each signal: the
//     snapshot lists every configured node with its state (unknown, dead,
//     suspect, alive; alive if alive on any link), per-link states, last
//     known Meta (boot id, term, policy epoch, quorate) and the quorum of
//     this node's partition. Signals coalesce; always act on the latest
//     snapshot, never on a remembered change.
//  4. Read Messages() continuously. Send with Broadcast (gossip, best
//     effort, small) or SendReliable (TCP to one member, tried on each
//     link). A message sent over several links is delivered once.
//  5. Publish this node's state with SetTerm, SetEpoch and, when a
//     witness exists, SetWitnessGranted. These never block.
//  6. When a new policy is persisted, call Reconfigure with its node list
//     and quorum options (admission, re-joins and votes follow at once)
//     and SetJoinState with the encoded live policy, which members hand
//     to nodes that join them; FetchJoinState is how a new node gets it
//     (ward daemon --join), and TakePeerJoinState returns what a member
//     handed to this node when it joined.
//
// Only configured nodes (and the witness) are admitted: memberlist's alive
// and merge delegates refuse anything else, and the refusal is logged. A
// refused node can still see the members it merged (memberlist answers
// anyone's probes), so the controller also stops a node that learns from
// a member's join state that the live policy no longer lists it.
// memberlist callbacks never block: they update state under a lock and
// wake the Run loop with a non-blocking send on a one-slot channel.
//
// Safety notes: the gossip key is the trust boundary (a key holder can
// speak for any node); quorum counts configured votes, never who gossips;
// memberlist views lag, so a coordinator must hold a lease shorter than
// Timing.MinDeadAfter (see docs/protocol.md).
package heartbeat
