#!/usr/bin/env bash
# Measures idle ward daemons on this machine (issue 6's "per idle daemon"
# and "no false suspicion under CPU load" figures):
#   - three `ward daemon` processes on 127.0.0.1 with one dummy resource,
#   - RSS and CPU% per daemon over the run,
#   - gossip bytes per second per daemon (nft counters on its port, root),
#   - with --hog: stress-ng saturating every core for the whole run, and a
#     count of what the failure detector logged (nothing was killed, so
#     every line is false): probe suspicions (a probe round got no ack;
#     memberlist then asks the suspect to refute, which is harmless) and
#     false deaths (a healthy node declared dead: "Marking ... as failed",
#     "node lost"), which with real fencing would power a node off.
# Usage (root): scripts/idle-bench.sh [SECONDS] [--hog]
# WARD_REALTIME=false runs the daemons at normal priority (the baseline);
# WARD=path/to/ward uses that binary instead of building one.
set -euo pipefail
secs=${1:-60}
hog=${2:-}
cd "$(dirname "$0")/.."
ward=${WARD:-}
if [[ -z "$ward" ]]; then
	make -s build
	ward=$PWD/bin/ward
fi
dir=$(mktemp -d /tmp/ward-idle.XXXXXX)
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null || true; done
	nft delete table inet wardidle 2>/dev/null || true
	rm -rf "$dir"
}
trap cleanup EXIT
"$ward" key generate --out "$dir/key" >/dev/null
base=$((20000 + RANDOM % 20000))
{
	cat <<P
[cluster]
name = "idle"
stonith_enabled = true
wait_for_all = true

[[primitive]]
id = "r"
agent = "dummy"

[[primitive.op]]
name = "monitor"
interval = "10s"

[[fencing.device]]
id = "f"
plugin = "exec"
command = ["/bin/true"]
nodes = ["n1", "n2", "n3"]
P
	for i in 1 2 3; do printf '\n[[node]]\nname = "n%d"\naddresses = ["127.0.0.1:%d"]\n' "$i" $((base + i)); done
} > "$dir/policy.toml"
"$ward" policy check "$dir/policy.toml" >/dev/null
nft add table inet wardidle
nft add chain inet wardidle out '{ type filter hook output priority 0; }'
for i in 1 2 3; do
	port=$((base + i))
	nft add rule inet wardidle out udp sport "$port" counter
	nft add rule inet wardidle out tcp sport "$port" counter
done
for i in 1 2 3; do
	mkdir -p "$dir/n$i"
	"$ward" daemon --policy "$dir/policy.toml" --node "n$i" --state-dir "$dir/n$i/state" \
		--agent-state-dir "$dir/n$i/agents" --key "$dir/key" --socket "$dir/n$i/sock" --realtime="${WARD_REALTIME:-true}" \
		>"$dir/n$i/log" 2>&1 &
	pids+=($!)
done
sleep 3
if [ -n "$hog" ]; then
	stress-ng --cpu "$(nproc)" --timeout "${secs}s" --quiet &
	pids+=($!)
fi
clk=$(getconf CLK_TCK)
cpu() { awk '{print $14+$15}' "/proc/$1/stat"; }
declare -A c0
for i in 0 1 2; do c0[$i]=$(cpu "${pids[$i]}"); done
nft reset counters table inet wardidle >/dev/null
sleep "$secs"
bytes=$(nft list table inet wardidle | grep -o 'bytes [0-9]*' | awk '{s+=$2} END {print s+0}')
echo "ward idle daemons: 3 nodes, ${secs}s${hog:+, every core saturated by stress-ng}"
for i in 0 1 2; do
	p=${pids[$i]}
	rss=$(awk '/VmRSS/ {print $2}' "/proc/$p/status")
	c1=$(cpu "$p")
	awk -v n="n$((i + 1))" -v rss="$rss" -v d="$((c1 - c0[$i]))" -v hz="$clk" -v s="$secs" \
		'BEGIN {printf "  %s: RSS %.1f MiB, CPU %.2f%%\n", n, rss/1024, 100*d/hz/s}'
done
awk -v b="$bytes" -v s="$secs" 'BEGIN {printf "  gossip sent, all three: %.0f bytes/s (%.0f per daemon)\n", b/s, b/s/3}'
echo "  load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
count() { cat "$dir"/n*/log | grep -ciE "$1" || true; }
matches=$(cat "$dir"/n*/log | grep -iE "suspect|no acks|node lost|unclean|Marking .* as failed" || true)
[ -n "$matches" ] && printf "%s\n" "$matches" | cut -c1-240
suspicions=$(count "has failed, no acks received")
refuted=$(count "Refuting a suspect message")
deaths=$(count "Marking .* as failed|node lost")
echo "  probe suspicions (refuted, no effect): $suspicions (refutations logged: $refuted)"
echo "  false deaths (healthy node declared dead): $deaths"
"$ward" status --socket "$dir/n1/sock" | sed -n '1,12p'
[ "$deaths" -eq 0 ]
