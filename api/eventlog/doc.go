// Package eventlog is ward's event log: a timeline of what changed in
// the cluster (membership, quorum, DC, policy epochs, transitions,
// resources starting, stopping and moving, failures, fencing), as one
// node observed it.
//
// A Recorder polls the node's own api.Backend (the status it serves to
// `ward status`), compares each snapshot with the previous one (Diff)
// and appends the differences to a Log. The Log is a pair of JSON-lines
// files in the state directory, bounded (the older file is dropped when
// the newer one is full), that survives restarts: sequence numbers go
// on from the last one written. The API serves it (GET /v1/events), the
// availability report (Availability) and the alerts read it.
//
// Callers must:
//
//  1. Open the Log once (Open) and Close it after the Recorder stopped.
//  2. Run the Recorder on its own goroutine with the daemon's context.
//  3. Give the Log to api.Server.SetEvents.
package eventlog
