// Package fencing is ward's fencer: it powers off (or resets) a node that
// cannot be trusted, through the fencing devices of the policy, and
// reports what happened.
//
// This is the minimal fencer of issue 6: the Device interface, the exec
// plugin (a command that receives the victim's name; exit status 0 means
// the node is fenced), device selection from policy.Config.Fencing
// (topology levels when the node has some, else every device that names
// the node, in policy order), the static delay, the per-attempt timeout
// and the retries of each device. The fence-agents plugin, watchdog
// fencing, random delays and the lab plugin come with issue 8.
//
// Callers (the controller) must:
//
//  1. Build a Fencer with New, passing this node's name, a clock, a
//     logger and, optionally, extra plugins (tests replace "exec" or add
//     "lab" with a fake that powers a node off).
//  2. Call Fence on a goroutine of their own: it blocks for as long as the
//     devices take (delay, timeouts, retries), and returns a Result that
//     says whether the target is known to be off. Never call it for this
//     node itself: a node does not fence itself (suicide is separate).
//  3. Persist the Result in the fencing history before reporting it; only
//     an OK result lets the cluster recover the target's resources.
package fencing
