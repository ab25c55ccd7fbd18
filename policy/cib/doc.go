// Package cib imports a Pacemaker CIB (cluster information base, the XML
// that `cibadmin -Q` prints, or one of Pacemaker's scheduler test cases)
// into ward's model.
//
// Import reads the XML safely (bounded size, depth and attribute counts; no
// DTD or entity declarations), maps the configuration section to a
// *policy.Config and derives a policy.Status from the status section the way
// Pacemaker's scheduler does (node states, the role of each resource from
// its operation history, failures, fail counts, promotion scores, quorum,
// the DC and the execution date). Whatever has no ward equivalent is listed
// in Result.Issues, element by element, so that an operator sees exactly
// what an import left behind.
//
// Callers write the result with WritePolicy (a commented policy.toml) and
// WriteStatus (status.json). The package reads no clock and does no I/O
// beyond the writers it is given.
package cib
