#!/usr/bin/env bash
# Runs `ward demo -o json` N times (default 20) and prints the median and
# worst detection, fencing and recovery times (ms, counted from the kill -9
# of the node running the resource). Every run must recover correctly.
# Usage: scripts/demo-bench.sh [N]   (WARD=path/to/ward to use another binary)
set -euo pipefail
n=${1:-20}
cd "$(dirname "$0")/.."
ward=${WARD:-}
if [[ -z "$ward" ]]; then
	tmp=$(mktemp -d)
	trap 'rm -rf "$tmp"' EXIT
	go build -o "$tmp/ward" ./cmd/ward
	ward=$tmp/ward
fi
command -v jq >/dev/null || { echo "demo-bench: jq is required (apt-get install jq)" >&2; exit 1; }
results=()
fail=0
for i in $(seq 1 "$n"); do
	if out=$("$ward" demo -o json 2>/dev/null); then
		results+=("$out")
		printf 'run %2d: %s\n' "$i" "$(jq -c '{from, to, detect_ms, fenced_ms, recover_ms, active_nodes}' <<<"$out")"
	else
		fail=$((fail + 1))
		printf 'run %2d: FAILED: %s\n' "$i" "$(jq -r '.error // "no output"' <<<"${out:-{}}" 2>/dev/null || echo "$out")"
	fi
done
ok=${#results[@]}
echo "runs: $n, recovered correctly: $ok, failed: $fail"
[[ $ok -gt 0 ]] || exit 1
stats() { # field -> "median M, worst W"
	printf '%s\n' "${results[@]}" | jq -s --arg f "$1" '
		[.[][$f]] | sort as $v | ($v | length) as $n |
		(if $n % 2 == 1 then $v[($n - 1) / 2] else ($v[$n / 2 - 1] + $v[$n / 2]) / 2 end) as $med |
		"median \($med), worst \($v[-1]), best \($v[0])"' -r
}
echo "detect_ms:  $(stats detect_ms)"
echo "fenced_ms:  $(stats fenced_ms)"
echo "recover_ms: $(stats recover_ms)"
echo "startup_ms: $(stats startup_ms)"
[[ $fail -eq 0 ]]
