#!/usr/bin/env bash
# bench/durability.sh - end-to-end throughput of catena-webhookd by store mode, in one run.
#
# Usage: bench/durability.sh [COUNT] [CONNECTIONS]   (defaults 40000 deliveries, 8 connections)
# The receiver runs on core 0 and the simulator's load mode on core 1 (taskset). Each mode
# gets a fresh data directory; the figures are printed as a table for the README.
set -euo pipefail
cd "$(dirname "$0")/.."
count=${1:-40000}
connections=${2:-8}
build=${CATENA_WEBHOOKS_BUILD_DIR:-build}
daemon=$build/catena-webhookd
sim=$build/catena-webhook-sim
[[ -x $daemon && -x $sim ]] || { echo "build first: ./scripts/build" >&2; exit 2; }
export CATENA_WEBHOOK_SECRET=bench-secret-0123456789
pin_rx=() pin_load=()
if command -v taskset >/dev/null && [[ $(nproc) -ge 2 ]]; then
  pin_rx=(taskset -c 0) pin_load=(taskset -c 1)
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

run() { # mode, daemon flags...
  local mode=$1; shift
  local dir=$work/$mode
  mkdir -p "$dir"
  "${pin_rx[@]}" "$daemon" --listen 127.0.0.1:0 --data-dir "$dir/data" --events /dev/null --reorder-window 200 "$@" \
    2> "$dir/stderr" &
  local pid=$!
  for _ in $(seq 100); do grep -q "listening on" "$dir/stderr" 2>/dev/null && break; sleep 0.05; done
  local port
  port=$(sed -n 's/^listening on .*:\([0-9]*\)$/\1/p' "$dir/stderr")
  # Warm-up, then the measured run; the receiver's CPU time is read around it.
  "${pin_load[@]}" "$sim" load --target "127.0.0.1:$port" --count 2000 --connections "$connections" > /dev/null
  local cpu0 cpu1
  cpu0=$(awk '{print $14 + $15}' "/proc/$pid/stat")
  "${pin_load[@]}" "$sim" load --target "127.0.0.1:$port" --count "$count" --connections "$connections" --json \
    > "$dir/result.json"
  sleep 0.5 # let processing finish
  cpu1=$(awk '{print $14 + $15}' "/proc/$pid/stat")
  local rss
  rss=$(awk '/VmHWM/ {print $2}' "/proc/$pid/status")
  echo $(( (cpu1 - cpu0) * 1000000 / $(getconf CLK_TCK) / count )) > "$dir/cpu_us"
  kill -TERM "$pid"; wait "$pid" || true
  python3 - "$mode" "$dir/result.json" "$rss" "$(cat "$dir/cpu_us")" <<'PY'
import json, sys
mode, path, rss, cpu = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
r = json.load(open(path))
l = r["latency_ms"]
statuses = ", ".join("%s: %d" % kv for kv in sorted(r["by_status"].items()))
print("%-8s %10.0f %8.2f %8.2f %8.2f %9.1f %9d   %s" % (mode, r["throughput_per_s"], l["p50"], l["p99"], l["p999"], rss / 1024, cpu, statuses))
open(path + ".tput", "w").write(str(r["throughput_per_s"]))
PY
}

echo "$count deliveries over $connections connections; receiver pinned to core 0, load to core 1"
printf "%-8s %10s %8s %8s %8s %9s %9s   %s\n" mode "acked/s" "p50 ms" "p99 ms" "p99.9 ms" "RSS MiB" "CPU us" statuses
run memory --memory
run process --durability process
run power --durability power
python3 - "$work" <<'PY'
import sys
w = sys.argv[1]
t = {m: float(open("%s/%s/result.json.tput" % (w, m)).read()) for m in ("memory", "process", "power")}
print("process / memory = %.2f   power / memory = %.2f" % (t["process"] / t["memory"], t["power"] / t["memory"]))
PY
