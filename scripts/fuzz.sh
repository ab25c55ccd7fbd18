#!/usr/bin/env bash
# Runs every fuzz target in the module for a short time each (default 10s).
# Usage: scripts/fuzz.sh [DURATION]
set -euo pipefail
dur=${1:-10s}
for pkg in $(go list ./...); do
	dir=$(go list -f '{{.Dir}}' "$pkg")
	for fz in $(grep -hoE '^func (Fuzz[A-Za-z0-9_]+)\(' "$dir"/*_test.go 2>/dev/null | sed -E 's/^func (Fuzz[A-Za-z0-9_]+)\(/\1/' | sort -u); do
		echo "fuzz: $pkg $fz for $dur"
		go test -run '^$' -fuzz "^${fz}\$" -fuzztime "$dur" -fuzzminimizetime 2s "$pkg"
	done
done
