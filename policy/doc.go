// Package policy is ward's policy language and its scheduler.
//
// A policy file (TOML) describes the cluster: options, nodes, resources
// (primitives, groups, clones), constraints (location, colocation, order),
// fencing devices and alerts. Load reads and validates one; every error
// names the file, the line and the key path.
//
// The package is pure: it does no I/O beyond Load reading its file, reads
// no clock, starts no goroutines and keeps no global state.
package policy
