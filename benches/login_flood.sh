#!/usr/bin/env bash
# A login flood against `mqtk serve` with an argon2id password file: an unrelated client's
# QoS 1 round-trip latency (bench at 1,000 msg/s for 10 s) while LOOPS loops keep connecting
# with a wrong password, each attempt costing the broker one argon2id check. Each BINARY is an
# mqtk build to compare (say one built from the commit before a change), measured in turn.
#   cargo build --release && benches/login_flood.sh [LOOPS] [BINARY...]
# Prints one line per binary: p50 and p99 of the round trip, and how many logins were refused.
set -euo pipefail
cd "$(dirname "$0")/.."
. benches/common.sh
loops=${1:-8}
shift || true
binaries=("$@")
[ ${#binaries[@]} -gt 0 ] || binaries=(target/release/mqtk)
work=$(mktemp -d)
pids=()
trap 'kill "${pids[@]}" 2>/dev/null; rm -rf "$work"' EXIT

for bin in "${binaries[@]}"; do
  [ -x "$bin" ] || { echo "no binary $bin (cargo build --release)" >&2; exit 1; }
  rm -f "$work/passwd"
  "$bin" passwd -H argon2id -c -b "$work/passwd" alice secret
  port=$(free_port)
  printf 'listener %s 127.0.0.1\npassword_file %s\nallow_anonymous false\nsys_interval 0\n' \
    "$port" "$work/passwd" > "$work/conf"
  "$bin" serve -c "$work/conf" >/dev/null 2>&1 &
  broker=$!
  pids+=("$broker")
  for _ in $(seq 50); do (echo > "/dev/tcp/127.0.0.1/$port") 2>/dev/null && break; sleep 0.1; done
  end=$((SECONDS + 13))
  : > "$work/refused"
  for _ in $(seq "$loops"); do
    (while [ $SECONDS -lt $end ]; do
      "$bin" pub -p "$port" -u mallory -P wrong -t x -m y 2>/dev/null && true
      echo >> "$work/refused"
    done) &
    pids+=($!)
  done
  sleep 1
  "$bin" bench -p "$port" -u alice -P secret -c 1 --rate 1000 -q 1 --duration 10s \
    --warmup 1s --json > "$work/out.json"
  wait "${pids[@]:1}" 2>/dev/null || true
  kill "$broker" 2>/dev/null || true
  wait "$broker" 2>/dev/null || true
  pids=()
  python3 - "$bin" "$loops" "$(wc -l < "$work/refused")" "$work/out.json" <<'EOF'
import json, sys
binary, loops, refused, path = sys.argv[1:]
lat = json.load(open(path))["latency_us"]
print(f"{binary}: {loops} flood loops, {refused} logins refused; "
      f"QoS 1 round trip p50 {lat['p50']:.0f} us, p99 {lat['p99']:.0f} us")
EOF
done
