#!/usr/bin/env bash
# Runs `ward demo -o json` N times (default 20) and prints the median and
# worst detection, fencing and recovery times (ms, counted from the kill -9
# of the node running the resource). Every run must recover correctly.
# Usage: scripts/demo-bench.sh [N]   (WARD=path/to/ward to use another binary)
set -euo pipefail
n=${1:-20}
cd "$(dirname "$0")/.."
ward=${WARD:-}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
if [[ -z "$ward" ]]; then
	go build -o "$tmp/ward" ./cmd/ward
	ward=$tmp/ward
fi
# field NAME JSON: the integer value of a top-level numeric field.
field() { grep -o "\"$1\":[0-9]*" <<<"$2" | head -1 | cut -d: -f2; }
fail=0
: >"$tmp/ok"
for i in $(seq 1 "$n"); do
	if out=$("$ward" demo -o json 2>"$tmp/stderr"); then
		echo "$out" >>"$tmp/ok"
		printf 'run %2d: %s\n' "$i" "$out"
	else
		fail=$((fail + 1))
		printf 'run %2d: FAILED: %s\n' "$i" "${out:-$(tail -3 "$tmp/stderr")}"
	fi
done
ok=$(wc -l <"$tmp/ok")
echo "runs: $n, recovered correctly: $ok, failed: $fail"
[[ $ok -gt 0 ]] || exit 1
stats() { # NAME -> "median M, worst W, best B" over the successful runs
	local vals
	vals=$(while read -r line; do field "$1" "$line"; done <"$tmp/ok" | sort -n)
	awk -v name="$1" '{ v[NR] = $1 } END {
		med = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
		printf "%-11s median %g, worst %d, best %d\n", name ":", med, v[NR], v[1] }' <<<"$vals"
}
stats detect_ms
stats fenced_ms
stats recover_ms
stats startup_ms
[[ $fail -eq 0 ]]
