// Package alert delivers ward's events to the recipients of the
// policy's [[alert]] sections: exec recipients (a program run with the
// event in its environment) and webhooks (a JSON POST), each with the
// event kinds it chose, a timeout per delivery and retries with
// exponential backoff.
//
// Only one node speaks for the cluster: a Dispatcher delivers an event
// only while its node is the DC, or while it sees no DC at all (a node
// cut off from the cluster is the only one that can tell).
//
// Callers must:
//
//  1. Build a Dispatcher with New (it starts nothing).
//  2. Run it on its own goroutine, with a channel of events (subscribed
//     to the event log) and a function returning the live policy's
//     alerts (secrets included: recipients receive them).
//  3. Cancel the context to stop it; Run returns after every delivery
//     in progress ended.
package alert
