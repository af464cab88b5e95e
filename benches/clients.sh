#!/usr/bin/env bash
# mqtk pub/sub against mosquitto_pub/mosquitto_sub, one run, one local mosquitto broker.
#   benches/clients.sh [LINES]        (default 200000; needs a release build: cargo build --release)
#   BROKER=mqtk benches/clients.sh    the same clients against `mqtk serve` instead of mosquitto
# Prints wall times and ratios (mosquitto time / mqtk time: above 1 means mqtk is faster).
set -euo pipefail
cd "$(dirname "$0")/.."
lines=${1:-200000}
mqtk=target/release/mqtk
[ -x "$mqtk" ] || { echo "build first: cargo build --release" >&2; exit 1; }

work=$(mktemp -d)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
printf 'listener %s 127.0.0.1\nallow_anonymous true\nmax_queued_messages 0\n' "$port" > "$work/conf"
if [ "${BROKER:-mosquitto}" = mqtk ]; then
  "$mqtk" serve --port "$port" >/dev/null 2>&1 &
else
  mosquitto -c "$work/conf" >/dev/null 2>&1 &
fi
broker=$!
trap 'kill $broker 2>/dev/null; rm -rf "$work"' EXIT
sleep 0.3
seq 1 "$lines" > "$work/input"

now() { date +%s.%N; }
elapsed() { python3 -c "print(f'{$2-$1:.3f}')"; }

# pub -l: time until the publisher exits (QoS 1: every line acknowledged), and what arrived.
pub_run() { # tool qos
  local tool=$1 qos=$2 count start end
  timeout 120 mosquitto_sub -p "$port" -t bench/pub -q "$qos" -C "$lines" -W 15 > "$work/got" 2>/dev/null &
  local sub=$!
  sleep 0.3
  start=$(now)
  if [ "$tool" = mqtk ]; then "$mqtk" pub -p "$port" -t bench/pub -q "$qos" -l < "$work/input"
  else mosquitto_pub -p "$port" -t bench/pub -q "$qos" -l < "$work/input"; fi
  end=$(now)
  wait $sub || true
  count=$(wc -l < "$work/got")
  echo "$(elapsed "$start" "$end") $count"
}

# sub -C N: time from the first publish until the subscriber exits with all N messages,
# and the subscriber's own CPU time (the broker, not the subscriber, usually sets the pace).
broker_cpu() { awk '{printf "%.2f", ($14 + $15) / 100}' "/proc/$broker/stat"; }

sub_run() { # tool -> wall, received, subscriber CPU, broker CPU
  local tool=$1 start end cpu0
  local cmd=(mosquitto_sub); [ "$tool" = mqtk ] && cmd=("$mqtk" sub)
  /usr/bin/time -f "%U %S" -o "$work/cpu" "${cmd[@]}" -p "$port" -t bench/sub -C "$lines" > "$work/got" &
  local sub=$!
  sleep 0.3
  start=$(now); cpu0=$(broker_cpu)
  "$mqtk" pub -p "$port" -t bench/sub -l < "$work/input"
  wait $sub
  end=$(now)
  echo "$(elapsed "$start" "$end") $(wc -l < "$work/got") $(awk '{print $1+$2}' "$work/cpu")" \
    "$(elapsed "$cpu0" "$(broker_cpu)")"
}

# sub -C N from N retained messages: the broker sends a stored backlog as fast as it can,
# so the subscriber's own speed shows more than with a live flood.
retained_run() { # tool
  local cmd=(mosquitto_sub); [ "$1" = mqtk ] && cmd=("$mqtk" sub)
  /usr/bin/time -f "%e %U %S" -o "$work/cpu" "${cmd[@]}" -p "$port" -t 'bench/ret/#' -C "$lines" > "$work/got"
  echo "$(awk '{print $1}' "$work/cpu") $(wc -l < "$work/got") $(awk '{print $2+$3}' "$work/cpu")"
}

# sub -C N draining N QoS 1 messages the broker queued for a persistent session (-c) while
# it was away: the backlog comes as fast as the broker sends it and the client acknowledges.
queued_run() { # tool
  local id="queued-$1-$$"
  local cmd=(mosquitto_sub); [ "$1" = mqtk ] && cmd=("$mqtk" sub)
  "${cmd[@]}" -p "$port" -c -i "$id" -q 1 -t bench/queued -E
  "$mqtk" pub -p "$port" -t bench/queued -q 1 -l < "$work/input"
  /usr/bin/time -f "%e %U %S" -o "$work/cpu" "${cmd[@]}" -p "$port" -c -i "$id" -q 1 -t bench/queued -C "$lines" > "$work/got"
  "${cmd[@]}" -p "$port" -i "$id" -t bench/queued -E # a clean connect ends the session
  echo "$(awk '{print $1}' "$work/cpu") $(wc -l < "$work/got") $(awk '{print $2+$3}' "$work/cpu")"
}

single_run() { # tool: 100 runs of one pub -m, mean wall time in ms
  local tool=$1 start end
  start=$(now)
  for _ in $(seq 100); do
    if [ "$tool" = mqtk ]; then "$mqtk" pub -p "$port" -t bench/one -m x
    else mosquitto_pub -p "$port" -t bench/one -m x; fi
  done
  end=$(now)
  python3 -c "print(f'{($end-$start)/100*1000:.2f}ms')"
}

row() { # name mosquitto-result mqtk-result
  local m=($2) q=($3)
  python3 -c "print(f'{\"$1\":<24} mosquitto {${m[0]}:>7.3f}s ({${m[1]}} recv)  mqtk {${q[0]}:>7.3f}s ({${q[1]}} recv)  ratio {${m[0]}/${q[0]}:.2f}x')"
}

echo "lines: $lines, broker: ${BROKER:-mosquitto} on 127.0.0.1:$port"
row "pub -l QoS 0" "$(pub_run mosquitto 0)" "$(pub_run mqtk 0)"
row "pub -l QoS 1" "$(pub_run mosquitto 1)" "$(pub_run mqtk 1)"
m=($(sub_run mosquitto)); q=($(sub_run mqtk))
row "sub -C $lines QoS 0" "${m[*]:0:2}" "${q[*]:0:2}"
python3 -c "print(f'{\"  sub CPU time\":<24} mosquitto {${m[2]}:>7.3f}s               mqtk {${q[2]}:>7.3f}s               ratio {${m[2]}/max(${q[2]}, 0.01):.2f}x')"
# A broker near 100% CPU for the whole run is the bottleneck, whatever the subscriber.
python3 -c "print(f'{\"  broker CPU time\":<24} mosquitto {${m[3]}:>7.3f}s               mqtk {${q[3]}:>7.3f}s')"
sed 's|.*|bench/ret/&\t&|' "$work/input" | "$mqtk" pub -p "$port" -r -q 1 -l --topic-from-line $'\t'
m=($(retained_run mosquitto)); q=($(retained_run mqtk))
row "sub -C $lines retained" "${m[*]:0:2}" "${q[*]:0:2}"
python3 -c "print(f'{\"  sub CPU time\":<24} mosquitto {${m[2]}:>7.3f}s               mqtk {${q[2]}:>7.3f}s               ratio {${m[2]}/max(${q[2]}, 0.01):.2f}x')"
m=($(queued_run mosquitto)); q=($(queued_run mqtk))
row "sub -C $lines queued (-c)" "${m[*]:0:2}" "${q[*]:0:2}"
python3 -c "print(f'{\"  sub CPU time\":<24} mosquitto {${m[2]}:>7.3f}s               mqtk {${q[2]}:>7.3f}s               ratio {${m[2]}/max(${q[2]}, 0.01):.2f}x')"
echo "single pub -m (mean of 100): mosquitto_pub $(single_run mosquitto)  mqtk $(single_run mqtk)"
