// Package fencing is ward's fencer: it powers off (or resets) a node that
// cannot be trusted, through the fencing devices of the policy, and
// reports what happened.
//
// Plugins: agent (any ClusterLabs fence agent, unmodified: key=value
// arguments on stdin, metadata read to check params), exec (a command
// that receives the victim's name), lab (powers off a host of ward lab)
// and watchdog (diskless self-fencing: see watchdog.go; the Feeder runs
// on every node, the plugin on the fencing side). Devices come from
// policy.Config.Fencing: topology levels when the node has some, else
// every device that names the node, in policy order. Each device waits
// its delay (static delay plus a random part below delay_max, drawn from
// a source seeded per node), then tries 1+retries times, each attempt
// bounded by its timeout. FenceWith adds the priority delay
// (PriorityDelay) that settles two-node fence races in favour of the
// node running the more important resources. Every plugin passes the
// conformance suite of fencing/fencetest.
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
