#!/usr/bin/env bash
# Debian's mosquitto, rumqttd 0.20 and mqttv5-cli's broker against `mqtk serve`, measured in
# one run with `mqtk bench` on loopback (a column is left out when its broker is not
# installed: `cargo install rumqttd --version '~0.20.0'`, as scripts/test does, and
# `cargo install mqttv5-cli --version 0.29.10`).
#   cargo build --release && benches/broker.sh [SECONDS]      (default 5 s per throughput row)
# Rows: fan-in 4 -> 1 and fan-out 1 -> 16 at QoS 0 and 1 (64-byte payloads), latency at
# 1,000 msg/s (median of five runs per broker, all brokers up and the runs alternating, so a
# noisy minute on the VM hits each alike), connect rate (median of three runs) and broker RSS
# per idle connection over 10,000 connections (how many the broker held in brackets), and
# after 2,000 '#' subscribers each took 300 retained messages (`burst_idle.py`), and the
# time for 10,000 retained messages to reach a new '#' subscriber.
set -euo pipefail
cd "$(dirname "$0")/.."
. benches/common.sh
# Room for the 10,000 connections of the conn row.
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
secs=${1:-5}
mqtk=target/release/mqtk
[ -x "$mqtk" ] || { echo "build first: cargo build --release" >&2; exit 1; }
work=$(mktemp -d)
pids=()
trap 'kill "${pids[@]}" 2>/dev/null; rm -rf "$work"' EXIT

start() { # name -> sets port and pid
  port=$(free_port)
  if [ "$1" = mosquitto ]; then
    printf 'listener %s 127.0.0.1\nallow_anonymous true\nmax_connections -1\n' "$port" > "$work/conf"
    mosquitto -c "$work/conf" >/dev/null 2>&1 &
  elif [ "$1" = rumqttd ]; then
    # Its defaults but for the listener, and room for the 10,000 connections of the conn row.
    printf '%s\n' 'id = 0' '[router]' 'id = 0' 'max_connections = 20000' \
      'max_outgoing_packet_count = 200' 'max_segment_size = 104857600' 'max_segment_count = 10' \
      '[v4.1]' 'name = "v4"' "listen = \"127.0.0.1:$port\"" 'next_connection_delay_ms = 0' \
      '[v4.1.connections]' 'connection_timeout_ms = 60000' 'max_payload_size = 20480' \
      'max_inflight_count = 100' 'dynamic_filters = true' > "$work/rumqttd.toml"
    rumqttd -c "$work/rumqttd.toml" >/dev/null 2>&1 &
  elif [ "$1" = mqttv5 ]; then
    mqttv5 broker -H "127.0.0.1:$port" --allow-anonymous true --max-clients 20000 \
      --no-persistence --non-interactive >/dev/null 2>&1 &
  else
    "$mqtk" serve --port "$port" >/dev/null 2>&1 &
  fi
  pid=$!
  pids+=("$pid")
  sleep 0.5
}

# `mqtk bench ARGS`, its warnings on stderr prefixed with the broker under test.
bench() { "$mqtk" bench "$@" 2> >(sed "s/^/$broker: /" >&2); }

rss_kib() { awk '/VmRSS/ {print $2}' "/proc/$1/status"; }

throughput() { # port args... -> "received/s lost"
  bench -p "$1" "${@:2}" -s 64 --duration "${secs}s" --warmup 1s --json |
    get received_per_sec lost
}

latency_run() { # port -> "p50 p99" in µs at 1,000 msg/s
  bench -p "$1" -c 1 --subscribers 1 -q 1 -s 64 --rate 1000 \
    --duration "${secs}s" --warmup 1s --json | get latency_us.p50 latency_us.p99
}

connections() { # port pid -> "connect/s KiB-per-connection connections-held"
  local before after out rates=()
  before=$(rss_kib "$2")
  bench conn -p "$1" -c 10000 --duration 6s --json > "$work/conn.json" &
  local ramp=$!
  sleep 5
  after=$(rss_kib "$2")
  wait $ramp
  # Per connection the broker really held (a file descriptor limit may refuse some).
  out=($(get connections.connect_per_sec connections.connected < "$work/conn.json"))
  # The connect rate is the median of three runs: one stalled SYN (a full listen backlog
  # waits 1 s to retry) can halve a single run's figure.
  rates=("${out[0]}")
  for _ in 1 2; do
    rates+=($(bench conn -p "$1" -c 10000 --duration 4s --json | get connections.connect_per_sec))
  done
  local rate=$(printf '%s\n' "${rates[@]}" | sort -n | sed -n 2p)
  python3 -c "print(f'$rate {($after-$before)/max(${out[1]}, 1):.2f} ${out[1]}')"
}

retained() { # port -> "first/warm" ms for 10,000 retained messages to reach a new '#' subscriber
  seq 1 10000 | sed 's|.*|ret/&\t&|' | "$mqtk" pub -p "$1" -r -l --topic-from-line $'\t' -q 1
  local times=() start _
  for _ in 1 2 3 4 5; do
    start=$(date +%s%N)
    # rumqttd 0.20 sends a new subscriber no more than max_outgoing_packet_count (200) of them.
    "$mqtk" sub -p "$1" -t '#' -C 10000 -W 30 >/dev/null 2>&1 || { echo "not all in 30 s"; return; }
    times+=($(( ($(date +%s%N) - start) / 1000000 )))
  done
  # The first subscription after publishing, and the second fastest of the four after it (the
  # lower median): on an idle VM the first also pays for waking the CPUs (the same binary
  # varies 12-28 ms with idling).
  echo "${times[0]}/$(printf '%s\n' "${times[@]:1}" | sort -n | sed -n 2p)"
}

brokers=(mosquitto mqtk)
command -v rumqttd >/dev/null && brokers+=(rumqttd)
command -v mqttv5 >/dev/null && brokers+=(mqttv5)
declare -A result
for broker in "${brokers[@]}"; do
  start "$broker"
  result[$broker,fanin0]=$(throughput "$port" -c 4 --subscribers 1 -q 0)
  result[$broker,fanin1]=$(throughput "$port" -c 4 --subscribers 1 -q 1)
  result[$broker,fanout0]=$(throughput "$port" -c 1 --subscribers 16 -q 0)
  result[$broker,fanout1]=$(throughput "$port" -c 1 --subscribers 16 -q 1)
  result[$broker,conn]=$(connections "$port" "$pid")
  result[$broker,retained]=$(retained "$port")
  kill "$pid"; wait "$pid" 2>/dev/null || true
  start "$broker" # with no retained messages but the burst's own
  result[$broker,burst]=$(python3 benches/burst_idle.py "$port" "$pid")
  kill "$pid"; wait "$pid" 2>/dev/null || true
done

# p99 latency varies several-fold from minute to minute on this VM: measured with all up.
declare -A ports
for broker in "${brokers[@]}"; do
  start "$broker"; ports[$broker]=$port
done
for _ in 1 2 3 4 5; do
  for broker in "${brokers[@]}"; do
    latency_run "${ports[$broker]}" >> "$work/latency.$broker"
  done
done
for broker in "${brokers[@]}"; do
  result[$broker,latency]=$(medians < "$work/latency.$broker")
done
kill "${pids[@]:(-${#brokers[@]})}"

# One line: the label, then per broker the field `at` of the row `key` (with field `extra`
# in brackets, if given), then mqtk's ratio to each other broker for throughput rows.
line() { # label key at extra ratio?
  local cells=() b v
  for b in "${brokers[@]}"; do
    v=(${result[$b,$2]})
    cells+=("${v[$3]}${4:+ (${v[$4]})}")
  done
  printf '%-34s' "$1"; printf ' %16s' "${cells[@]}"
  if [ -n "${5:-}" ]; then
    local q=(${result[mqtk,$2]})
    for b in "${brokers[@]}"; do
      [ "$b" = mqtk ] && continue
      v=(${result[$b,$2]})
      printf ' %8s' "$(python3 -c "print(f'{${q[0]}/max(${v[0]}, 1):.2f}x')")"
    done
  fi
  echo
}
printf '%-34s' "row (64 B; lost in brackets)"; printf ' %16s' "${brokers[@]}"
for b in "${brokers[@]}"; do [ "$b" = mqtk ] || printf ' %8s' "mqtk/$b"; done; echo
line "fan-in 4->1 QoS 0 delivered/s" fanin0 0 1 ratio
line "fan-in 4->1 QoS 1 delivered/s" fanin1 0 1 ratio
line "fan-out 1->16 QoS 0 delivered/s" fanout0 0 1 ratio
line "fan-out 1->16 QoS 1 delivered/s" fanout1 0 1 ratio
for b in "${brokers[@]}"; do
  v=(${result[$b,latency]}); result[$b,latency]="${v[0]}/${v[1]}"
done
line "latency p50/p99 at 1000 msg/s (us)" latency 0
line "connects/s, of 10,000 (held)" conn 0 2
line "broker RSS per idle connection KiB" conn 1
line "same, after 300 retained (drained)" burst 0 1
line "10,000 retained, first/warm (ms)" retained 0
