#!/usr/bin/env bash
# `mqtk bench` beside mqttv5-cli's `mqttv5 bench` (cargo install mqttv5-cli --version 0.29.10),
# both against one Debian mosquitto on loopback, runs alternating, medians of RUNS:
#   cargo build --release && benches/bench_tools.sh [RUNS] [SECONDS]     (defaults 3, 5)
# Rows: fan-in 4 -> 1 at QoS 0 (delivered/s, 64-byte payloads) and latency at 1,000 msg/s
# QoS 1 (p50/p99). The two tools time latency differently, which the latency row shows:
# mqttv5 stamps each message with the time it was due, so a publisher's timer that wakes late
# counts as broker latency; mqtk stamps the time it went out, and the due time only for
# messages the broker held back (a full window or socket), so a stalled broker still shows in
# the tail (no coordinated omission) while the timer's own lateness does not.
set -euo pipefail
cd "$(dirname "$0")/.."
. benches/common.sh
runs=${1:-3}
secs=${2:-5}
mqtk=target/release/mqtk
[ -x "$mqtk" ] || { echo "build first: cargo build --release" >&2; exit 1; }
command -v mqttv5 >/dev/null || { echo "install mqttv5-cli first" >&2; exit 1; }
work=$(mktemp -d)
port=$(free_port)
printf 'listener %s 127.0.0.1\nallow_anonymous true\n' "$port" > "$work/conf"
mosquitto -c "$work/conf" >/dev/null 2>&1 &
broker=$!
trap 'kill "$broker" 2>/dev/null; rm -rf "$work"' EXIT
sleep 0.5

mqtk_bench() { "$mqtk" bench -p "$port" -s 64 --duration "${secs}s" --warmup 1s --json "$@"; }
mqttv5_bench() {
  mqttv5 bench --host 127.0.0.1 --port "$port" --payload-size 64 --duration "$secs" \
    --warmup 1 "$@" 2>/dev/null
}

for _ in $(seq "$runs"); do
  mqtk_bench -c 4 --subscribers 1 -q 0 | get received_per_sec >> "$work/fanin.mqtk"
  mqttv5_bench --publishers 4 --subscribers 1 --qos 0 |
    get results.throughput_avg >> "$work/fanin.mqttv5"
  mqtk_bench -c 1 --subscribers 1 -q 1 --rate 1000 |
    get latency_us.p50 latency_us.p99 >> "$work/latency.mqtk"
  mqttv5_bench --mode latency --qos 1 --rate 1000 |
    get results.p50_us results.p99_us >> "$work/latency.mqttv5"
done

median() { medians < "$1" | tr " " /; } # a file -> its medians, as a/b
printf '%-40s %12s %12s\n' "row (against mosquitto, median of $runs)" "mqtk bench" "mqttv5 bench"
printf '%-40s %12s %12s\n' "fan-in 4->1 QoS 0 delivered/s" \
  "$(median "$work/fanin.mqtk")" "$(median "$work/fanin.mqttv5")"
printf '%-40s %12s %12s\n' "latency p50/p99 at 1000 msg/s QoS 1 (us)" \
  "$(median "$work/latency.mqtk")" "$(median "$work/latency.mqttv5")"
