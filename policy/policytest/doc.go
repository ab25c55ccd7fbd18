// Package policytest holds helpers for testing the scheduler: a compact
// line syntax for cluster statuses, a canonical text form of transitions
// for golden files, and generators of random clusters for property tests.
package policytest
