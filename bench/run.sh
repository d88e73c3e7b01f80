#!/usr/bin/env bash
# bench/run.sh - the end-to-end benchmark: catena-webhookd against a bare Beast floor, in one run.
#
# Usage: bench/run.sh [throughput|profiles|peers|sweep|soak|recovery|all]   (default: throughput)
#
#   throughput  the floor (bench_floor_server) and catena-webhookd in memory, durable `process`
#               and durable `power` mode, and on a local PostgreSQL (--store; a throwaway
#               cluster from Debian's postgresql, default settings, pinned to the receiver's
#               core), each at full speed from 64 keep-alive connections;
#               then `process` again with 10 000 idle keep-alive connections open; then
#               BENCH_PAIRS (3) back-to-back pairs of memory and `process` for their ratio; then a sweep
#               of paced offered loads against the floor and `process` for the plot
#               (SWEEP_DURATION seconds a point, default 5), after the profiles below.
#   profiles    each traffic profile (realistic, the headline; friendly; replay) against its own
#               floor: the floor, memory and durable `process`, with the processing turns over
#               1 ms and the longest; then the performance targets, met or not (bench/results/profiles.md).
#   peers       the realistic profile against what a user would run instead, in one run: the
#               floor, the Go net/http peer (../shared/peers/go_server.go or PEERS_DIR, `go build`;
#               its rows say "skipped" when Go is missing: apt-get install golang-go),
#               catena-webhookd --memory and durable `process`; pinned (receiver on core 0,
#               wrk on core 1) and unpinned (both cores shared; the daemon with --threads 2,
#               Go with GOMAXPROCS=2, wrk with 2 threads); then a fixed-rate row (the
#               simulator's `load --rate`, PEERS_RATE, default 5 000/s) reporting p50/p99/p99.9
#               acknowledgement latency; then the performance targets, met or not
#               (bench/results/peers.md).
#   sweep       only the paced sweep and its plot.
#   soak        5 000 000 deliveries through one durable `process` receiver, RSS after every
#               500 000 (SOAK_DELIVERIES overrides the total); bench/results/soak.dat, or
#               soak-PROFILE.dat for another BENCH_PROFILE.
#   recovery    restart time of a receiver whose inbox holds 1 000 000 unprocessed deliveries
#               (RECOVERY_ROWS overrides).
#
# BENCH_PROFILE=friendly|realistic|replay picks the traffic of throughput, sweep and soak
# (catena-webhook-sim --profile; default friendly).
#
# The receiver (or floor) runs pinned to core 0 and wrk to core 1 (taskset). wrk replays
# requests pre-signed by `catena-webhook-sim prepare` (gzip, ~1.2 KiB uncompressed, unique event
# and request ids, telematics + lifecycle + operational events across 100 fleets), so the load
# generator spends nothing on signing or compression. Every target starts fresh (new process,
# new data directory) and gets a warm-up first. Results go to bench/results/ (JSON, a Markdown
# table and throughput.png) and are printed.
set -euo pipefail
cd "$(dirname "$0")/.."
what=${1:-throughput}
case $what in throughput|profiles|peers|sweep|soak|recovery|all) ;; *) sed -n '2,35p' "$0"; exit 2 ;; esac

./scripts/setup >/dev/null
./scripts/build -DCATENA_WEBHOOKS_BUILD_BENCH=ON >/dev/null
build=${CATENA_WEBHOOKS_BUILD_DIR:-build}
daemon=$build/catena-webhookd
sim=$build/catena-webhook-sim
floor=$build/bench/bench_floor_server
fill=$build/bench/bench_fill_inbox
results=bench/results
mkdir -p "$results"
duration=${BENCH_DURATION:-10}     # seconds per measured point
connections=${BENCH_CONNECTIONS:-64}
pairs=${BENCH_PAIRS:-3}            # back-to-back memory/process pairs for the ratio
profile=${BENCH_PROFILE:-friendly} # the traffic: friendly, realistic or replay
export CATENA_WEBHOOK_SECRET=bench-secret-0123456789

pin_rx=() pin_load=()
if command -v taskset >/dev/null && [[ $(nproc) -ge 2 ]]; then
  pin_rx=(taskset -c 0) pin_load=(taskset -c 1)
fi
work=$(mktemp -d)
target_pid=""
idle_pid=""
pg_ctl_cmd=()
cleanup() {
  [[ -n $idle_pid ]] && kill "$idle_pid" 2>/dev/null || true
  [[ -n $target_pid ]] && kill -9 "$target_pid" 2>/dev/null || true
  ((${#pg_ctl_cmd[@]})) && "${pg_ctl_cmd[@]}" -m immediate stop >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

machine() {
  local cpu
  cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)
  echo "$(nproc) cores, ${cpu:-unknown CPU}, $(awk '/MemTotal/ {printf "%.0f GiB", $2 / 1048576}' /proc/meminfo), $(uname -sr)"
}

# start NAME COMMAND... : starts a target on core 0, sets target_pid and port.
start() {
  local name=$1; shift
  "${pin_rx[@]}" "$@" 2> "$work/$name.stderr" &
  target_pid=$!
  for _ in $(seq 200); do grep -q "listening on" "$work/$name.stderr" 2>/dev/null && break; sleep 0.05; done
  port=$(sed -n 's/.*listening on .*:\([0-9]*\)$/\1/p' "$work/$name.stderr" | head -1)
  [[ -n $port ]] || { echo "$name did not start:" >&2; cat "$work/$name.stderr" >&2; exit 1; }
}

stop() {
  kill -TERM "$target_pid" 2>/dev/null || true
  wait "$target_pid" 2>/dev/null || true
  target_pid=""
}

start_daemon() { # name, daemon flags...
  local name=$1; shift
  rm -rf "$work/data-$name"
  start "$name" "$daemon" --listen 127.0.0.1:0 --data-dir "$work/data-$name" --events /dev/null \
    --reorder-window 200 "$@"
}

# start_postgres: a throwaway cluster in $work/pg (as nobody when run as root: the server
# refuses root), on a Unix socket there, pinned to the receiver's core; sets pg_conninfo.
start_postgres() {
  local bin dir=$work/pg as=()
  bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
  mkdir -p "$dir"
  if [[ $(id -u) -eq 0 ]]; then chmod 755 "$work"; chown nobody:nogroup "$dir"; as=(runuser -u nobody --); fi
  "${as[@]}" "$bin/initdb" -D "$dir/data" -U catena -A trust -E UTF8 >/dev/null
  printf "listen_addresses = ''\nunix_socket_directories = '%s'\nshared_buffers = 256MB\n" "$dir" >> "$dir/data/postgresql.conf"
  pg_ctl_cmd=("${pin_rx[@]}" "${as[@]}" "$bin/pg_ctl" -D "$dir/data" -w)
  "${pg_ctl_cmd[@]}" -l "$dir/server.log" -o "-p 5544" start >/dev/null
  "${as[@]}" psql -q -h "$dir" -p 5544 -U catena -d postgres -c "CREATE DATABASE bench" >/dev/null
  pg_conninfo="host=$dir port=5544 user=catena dbname=bench"
}

cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }

# replay FILE OUT [DELAY_MS] [START] [DURATION]: wrk on core 1 against the running target.
replay() {
  REPLAY_FILE=$1 REPLAY_OUT=$2 REPLAY_DELAY_MS=${3:-0} REPLAY_START=${4:-1} \
    "${pin_load[@]}" wrk -t"${wrk_threads:-1}" -c"$connections" -d"${5:-$duration}s" --timeout 10s -s bench/replay.lua \
    "http://127.0.0.1:$port/webhooks/catena" > /dev/null
}

prepare() { # FILE COUNT [PROFILE]
  "$sim" prepare --profile "${3:-$profile}" --count "$2" --out "$1" --target 127.0.0.1:80 2> /dev/null
  echo "$2" > "$1.count"
}

# fresh FILE COUNT [PROFILE]: prepares FILE again once it is older than 200 s, well inside the
# 5-minute window in which Catena's signatures are accepted.
fresh() {
  if [[ ! -f $1 ]] || (( $(date +%s) - $(stat -c %Y "$1") > 200 )); then
    echo "preparing $2 signed ${3:-$profile} requests..." >&2
    prepare "$1" "$2" "${3:-}"
  fi
}

# measure NAME FILE [DELAY_MS]: warm-up from the end of FILE, then the measured run from its
# start; writes $work/NAME.json with wrk's figures plus CPU per delivery and peak RSS.
measure() {
  local name=$1 file=$2 delay=${3:-0} total
  total=$(cat "$file.count")
  replay "$file" "$work/$name.warm.json" "$delay" $((total - 30000)) 2
  local c0 c1
  c0=$(cpu_ticks "$target_pid")
  replay "$file" "$work/$name.run.json" "$delay"
  c1=$(cpu_ticks "$target_pid")
  local rss
  rss=$(awk '/VmHWM/ {print $2}' "/proc/$target_pid/status")
  curl -s "http://127.0.0.1:$port/metrics" > "$work/$name.metrics" 2>/dev/null || true
  python3 - "$work/$name.run.json" "$name" "$((c1 - c0))" "$(getconf CLK_TCK)" "$rss" "$work/$name.metrics" "$delay" \
    "$total" > "$work/$name.json" <<'PY'
import json, re, sys
path, name, ticks, hz, rss, metrics, delay, total = sys.argv[1:]
r = json.load(open(path))
m = open(metrics).read()
def metric(n):
    x = re.search(r"^" + re.escape(n) + r" ([0-9.eE+-]+)$", m, re.M)
    return float(x.group(1)) if x else None
conns = metric("catena_webhooks_connections_active")
# The processing turns (each holds the receiver's thread): how many, how many over 1 ms, the longest.
turns = metric("catena_webhooks_processing_slice_seconds_count")
if turns is not None:
    r.update(turns=int(turns), turns_over_1ms=int(turns - metric('catena_webhooks_processing_slice_seconds_bucket{le="0.001"}')),
             longest_turn_ms=metric("catena_webhooks_processing_slice_max_seconds") * 1000)
acked = sum(n for s, n in r["by_status"].items() if s.startswith("2"))
r.update(name=name, acked_per_s=acked / r["seconds"], cpu_us_per_delivery=(int(ticks) / int(hz)) * 1e6 / max(acked, 1),
         cpu_share=(int(ticks) / int(hz)) / r["seconds"], peak_rss_mib=int(rss) / 1024, delay_ms=int(delay),
         offered_per_s=(64000.0 / int(delay)) if int(delay) else None,
         connections_open=int(conns) if conns is not None else None)
# Replaying past the end of the file would send duplicates, which are cheaper for a receiver.
r["valid"] = name.startswith("floor") or name.endswith("-floor") or (r["file_wrapped"] == 0 and r["requests"] < int(total) - 30000)
# The answers as the tables show them.
st = ", ".join("%s: %d" % kv for kv in sorted(r["by_status"].items()))
errs = sum(r["socket_errors"].values())
if errs: st += ", socket errors: %d" % errs
if not r["valid"]: st += " (INVALID: the request file ran out)"
r["statuses"] = st
print(json.dumps(r))
PY
}

row() { # NAME LABEL
  python3 - "$work/$1.json" "$2" "$work/floor.json" <<'PY'
import json, sys
r, label, f = json.load(open(sys.argv[1])), sys.argv[2], json.load(open(sys.argv[3]))
l = r["latency_ms"]
print("| %s | %.0f | %.2f | %.2f | %.2f | %.2f | %.2f | %.1f | %.0f | %s |" % (
    label, r["acked_per_s"], r["acked_per_s"] / f["acked_per_s"], l["p50"], l["p99"], l["p999"],
    l["p99"] / f["latency_ms"]["p99"], r["cpu_us_per_delivery"], r["peak_rss_mib"], r["statuses"]))
PY
}

throughput() {
  local file=$work/requests.bin
  local count=$(( (duration + 6) * 40000 ))
  fresh "$file" "$count"

  start floor "$floor" 127.0.0.1:0;                 measure floor "$file"; stop
  start_daemon memory --memory;                     measure memory "$file"; stop
  start_daemon process --durability process;        measure process "$file"; stop
  start_daemon power --durability power;            measure power "$file"; stop
  start_postgres
  start_daemon postgres --store "$pg_conninfo";      measure postgres "$file"; stop
  "${pg_ctl_cmd[@]}" stop >/dev/null; pg_ctl_cmd=()
  start_daemon idle --durability process
  "${pin_load[@]}" python3 bench/idle_connections.py 127.0.0.1 "$port" 10000 > "$work/idle.out" &
  idle_pid=$!
  for _ in $(seq 600); do grep -q "^open" "$work/idle.out" 2>/dev/null && break; sleep 0.1; done
  measure idle "$file"
  kill "$idle_pid"; wait "$idle_pid" 2>/dev/null || true; idle_pid=""
  stop
  # The ratio the durable mode is held to, in back-to-back pairs: this VM's speed drifts by
  # up to 2x over minutes, so one memory row and one process row a minute apart can
  # mislead either way; the median over pairs does not.
  for i in $(seq "$pairs"); do
    fresh "$file" "$count"
    start_daemon "pair-memory-$i" --memory;              measure "pair-memory-$i" "$file"; stop
    start_daemon "pair-process-$i" --durability process; measure "pair-process-$i" "$file"; stop
  done

  {
    echo "# End-to-end throughput, $(date -u +%Y-%m-%d)"
    echo
    echo "Machine: $(machine). Receiver pinned to core 0, wrk (1 thread, $connections keep-alive"
    echo "connections, ${duration} s per row after a warm-up) to core 1. Traffic: \`$profile\`. Command: \`BENCH_PROFILE=$profile bench/run.sh throughput\`."
    echo
    echo "| target | acked/s | × floor | p50 ms | p99 ms | p99.9 ms | p99 × floor | CPU µs/delivery | peak RSS MiB | statuses |"
    echo "|---|---|---|---|---|---|---|---|---|---|"
    row floor "floor (bare Beast, answers 202)"
    row memory "catena-webhookd --memory"
    row process "catena-webhookd, durable \`process\`"
    row power "catena-webhookd, durable \`power\`"
    row postgres "catena-webhookd, PostgreSQL (local, default settings)"
    row idle "durable \`process\`, 10 000 idle connections open"
    echo
    echo "Durable \`process\` against \`--memory\`, $pairs back-to-back pairs (each receiver fresh, ${duration} s each):"
    echo
    python3 - "$work" "$pairs" <<'PY'
import json, statistics, sys
work, n = sys.argv[1], int(sys.argv[2])
print("| pair | memory acked/s | process acked/s | process / memory | memory CPU µs | process CPU µs | memory / process CPU |")
print("|---|---|---|---|---|---|---|")
t, c = [], []
for i in range(1, n + 1):
    m = json.load(open("%s/pair-memory-%d.json" % (work, i)))
    p = json.load(open("%s/pair-process-%d.json" % (work, i)))
    t.append(p["acked_per_s"] / m["acked_per_s"])
    c.append(m["cpu_us_per_delivery"] / p["cpu_us_per_delivery"])
    print("| %d | %.0f | %.0f | %.2f | %.1f | %.1f | %.2f |" % (i, m["acked_per_s"], p["acked_per_s"], t[-1],
          m["cpu_us_per_delivery"], p["cpu_us_per_delivery"], c[-1]))
print("| median | | | **%.2f** | | | %.2f |" % (statistics.median(t), statistics.median(c)))
PY
  } > "$results/throughput.md"
  python3 - "$work" > "$results/throughput.json" <<'PY'
import json, sys
import os, re
names = ["floor", "memory", "process", "power", "postgres", "idle"] + sorted(
    f[:-5] for f in os.listdir(sys.argv[1]) if re.fullmatch(r"pair-(memory|process)-\d+\.json", f))
print(json.dumps({n: json.load(open("%s/%s.json" % (sys.argv[1], n))) for n in names}, indent=1))
PY
  cat "$results/throughput.md"
  grep -q "connections_open" "$results/throughput.json" && \
    python3 -c "import json; print('idle connections open during the last row:', json.load(open('$results/throughput.json'))['idle']['connections_open'])"
}

# Every traffic profile against its own floor (the floor reads the same requests): realistic
# first, the headline; then friendly; then replay (a dead-letter replay's burst of old events).
profiles() {
  local p count=$(( (duration + 6) * 40000 ))
  for p in realistic friendly replay; do
    local file=$work/profile-$p.bin
    fresh "$file" "$count" "$p"
    start floor "$floor" 127.0.0.1:0;              measure "$p-floor" "$file"; stop
    start_daemon "$p-memory" --memory;              measure "$p-memory" "$file"; stop
    start_daemon "$p-process" --durability process; measure "$p-process" "$file"; stop
  done
  {
    echo "# Traffic profiles, $(date -u +%Y-%m-%d)"
    echo
    echo "Machine: $(machine). Receiver pinned to core 0, wrk (1 thread, $connections keep-alive"
    echo "connections, ${duration} s per row after a warm-up) to core 1; each profile against the floor reading"
    echo "the same requests. Command: \`bench/run.sh profiles\`."
    echo
    python3 - "$work" <<'PY'
import json, sys
w = sys.argv[1]
print("| profile | target | acked/s | × floor | p50 ms | p99 ms | p99 × floor | CPU µs/delivery | turns over 1 ms | longest turn ms | statuses |")
print("|---|---|---|---|---|---|---|---|---|---|---|")
verdicts = []
for p in ["realistic", "friendly", "replay"]:
    f = json.load(open("%s/%s-floor.json" % (w, p)))
    for t, label in [("floor", "floor"), ("memory", "`--memory`"), ("process", "durable `process`")]:
        r = json.load(open("%s/%s-%s.json" % (w, p, t)))
        l = r["latency_ms"]
        turns = "%d of %d" % (r["turns_over_1ms"], r["turns"]) if "turns" in r else ""
        longest = "%.1f" % r["longest_turn_ms"] if "turns" in r else ""
        name = ("**%s**" % p) if p == "realistic" else p
        print("| %s | %s | %.0f | %.2f | %.2f | %.2f | %.2f | %.1f | %s | %s | %s |" % (
            name, label, r["acked_per_s"], r["acked_per_s"] / f["acked_per_s"], l["p50"], l["p99"],
            l["p99"] / f["latency_ms"]["p99"], r["cpu_us_per_delivery"], turns, longest, r["statuses"]))
        five = sum(n for s, n in r["by_status"].items() if s.startswith("5"))
        if t != "floor":
            verdicts.append(("%s %s: no 5xx" % (p, t), five == 0, "%d" % five))
        if p == "realistic" and t != "floor":
            bound = 0.55 if t == "memory" else 0.45
            ratio = r["acked_per_s"] / f["acked_per_s"]
            verdicts.append(("realistic %s >= %.2f x floor" % (t, bound), ratio >= bound, "%.2f" % ratio))
            px = l["p99"] / f["latency_ms"]["p99"]
            verdicts.append(("realistic %s p99 <= 3 x floor p99" % t, px <= 3, "%.2f" % px))
        if p == "replay" and t != "floor":
            verdicts.append(("replay %s p99 < 50 ms" % t, l["p99"] < 50, "%.1f ms" % l["p99"]))
print()
print("| performance target | measured | met |")
print("|---|---|---|")
for what, ok, got in verdicts:
    print("| %s | %s | %s |" % (what, got, "yes" if ok else "**no**"))
PY
  } > "$results/profiles.md"
  python3 - "$work" > "$results/profiles.json" <<'PY'
import json, sys
w = sys.argv[1]
print(json.dumps({"%s-%s" % (p, t): json.load(open("%s/%s-%s.json" % (w, p, t)))
                  for p in ["realistic", "friendly", "replay"] for t in ["floor", "memory", "process"]}, indent=1))
PY
  cat "$results/profiles.md"
}

# start_go NAME GOMAXPROCS: the Go peer on a free port (it prints nothing: waits for the port).
start_go() {
  port=18083
  GOMAXPROCS=$2 SECRET=$CATENA_WEBHOOK_SECRET PORT=$port "${pin_rx[@]}" "$go_peer" 2> "$work/$1.stderr" &
  target_pid=$!
  for _ in $(seq 200); do (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && return 0; sleep 0.05; done
  echo "the Go peer did not start:" >&2; cat "$work/$1.stderr" >&2; exit 1
}

# The realistic profile against the floor and the Go peer, pinned and unpinned, and at a fixed rate.
peers() {
  local file=$work/peers.bin count=$(( (duration + 6) * 40000 ))
  go_peer=""
  if command -v go >/dev/null; then
    go_peer=$work/go_peer
    local peers_dir=${PEERS_DIR:-../shared/peers}
    (cd "$peers_dir" 2>/dev/null && GOCACHE=$work/gocache go build -o "$go_peer" go_server.go) ||
      { echo "the Go peer could not be built from $peers_dir/go_server.go (PEERS_DIR): its rows are skipped" >&2; go_peer=""; }
  else
    echo "Go is missing (apt-get install golang-go): the Go peer's rows are skipped" >&2
  fi
  local profile=realistic
  fresh "$file" "$count"
  start floor "$floor" 127.0.0.1:0;                              measure pinned-floor "$file"; stop
  if [[ -n $go_peer ]]; then start_go pinned-go 1;               measure pinned-go "$file"; stop; fi
  start_daemon pinned-memory --memory;                           measure pinned-memory "$file"; stop
  start_daemon pinned-process --durability process;              measure pinned-process "$file"; stop
  fresh "$file" "$count"
  local keep_rx=("${pin_rx[@]}") keep_load=("${pin_load[@]}")
  pin_rx=() pin_load=() wrk_threads=2
  start floor "$floor" 127.0.0.1:0;                              measure unpinned-floor "$file"; stop
  if [[ -n $go_peer ]]; then start_go unpinned-go 2;             measure unpinned-go "$file"; stop; fi
  start_daemon unpinned-process --durability process --threads 2; measure unpinned-process "$file"; stop
  pin_rx=("${keep_rx[@]}") pin_load=("${keep_load[@]}") wrk_threads=1
  # A fixed offered rate: latency, not throughput (the simulator signs as it sends, on core 1).
  local rate=${PEERS_RATE:-5000}
  start_daemon fixed-process --durability process
  "${pin_load[@]}" "$sim" load --target "127.0.0.1:$port" --profile realistic --rate "$rate" --duration 5 \
    --connections "$connections" --json > /dev/null 2>&1 || true  # warm-up
  "${pin_load[@]}" "$sim" load --target "127.0.0.1:$port" --profile realistic --rate "$rate" --duration "$((duration * 2))" \
    --connections "$connections" --json > "$work/fixed-process.json"
  stop
  {
    echo "# Against the peers, realistic traffic, $(date -u +%Y-%m-%d)"
    echo
    echo "Machine: $(machine). Pinned: the receiver on core 0, wrk (1 thread) on core 1; unpinned: both"
    echo "on both cores (wrk 2 threads, catena-webhookd \`--threads 2\`, Go \`GOMAXPROCS=2\`). $connections"
    echo "keep-alive connections, ${duration} s a row after a warm-up. Command: \`bench/run.sh peers\`."
    echo
    python3 - "$work" "$rate" "$([[ -n $go_peer ]] && echo 1 || echo 0)" <<'PY'
import json, os, sys
w, rate, have_go = sys.argv[1], int(sys.argv[2]), sys.argv[3] == "1"
def load(n):
    p = "%s/%s.json" % (w, n)
    return json.load(open(p)) if os.path.exists(p) else None
print("| run | target | acked/s | × floor | × Go | p50 ms | p99 ms | p99.9 ms | CPU µs/delivery | statuses |")
print("|---|---|---|---|---|---|---|---|---|---|")
rows = {}
for run in ["pinned", "unpinned"]:
    f, g = load(run + "-floor"), load(run + "-go")
    for t, label in [("floor", "floor (bare Beast)"), ("go", "Go net/http peer"), ("memory", "catena-webhookd `--memory`"),
                     ("process", "catena-webhookd durable `process`")]:
        r = load("%s-%s" % (run, t))
        if r is None:
            if t == "go":
                print("| %s | %s | skipped: Go missing | | | | | | | |" % (run, label))
            continue
        rows[run + "-" + t] = r
        l = r["latency_ms"]
        xgo = "%.2f" % (r["acked_per_s"] / g["acked_per_s"]) if g else ""
        print("| %s | %s | %.0f | %.2f | %s | %.2f | %.2f | %.2f | %.1f | %s |" % (run, label, r["acked_per_s"],
              r["acked_per_s"] / f["acked_per_s"], xgo, l["p50"], l["p99"], l["p999"], r["cpu_us_per_delivery"], r["statuses"]))
x = load("fixed-process")
print()
print("Fixed rate: `catena-webhook-sim load --profile realistic --rate %d` (signing as it sends, on core 1) against durable `process` on core 0:" % rate)
print()
print("| offered/s | acked/s | p50 ms | p99 ms | p99.9 ms | max ms | statuses |")
print("|---|---|---|---|---|---|---|")
xl = x["latency_ms"]
print("| %d | %.0f | %.2f | %.2f | %.2f | %.2f | %s |" % (rate, x["throughput_per_s"], xl["p50"], xl["p99"], xl["p999"], xl["max"],
      ", ".join("%s: %d" % kv for kv in sorted(x["by_status"].items()))))
print()
print("| performance target | measured | met |")
print("|---|---|---|")
def target(what, got, ok):
    print("| %s | %s | %s |" % (what, got, "yes" if ok else "**no**"))
ratio = lambda a, b: rows[a]["acked_per_s"] / rows[b]["acked_per_s"]
target("pinned: durable >= 0.30 x floor", "%.2f" % ratio("pinned-process", "pinned-floor"), ratio("pinned-process", "pinned-floor") >= 0.30)
target("pinned: `--memory` >= 0.40 x floor", "%.2f" % ratio("pinned-memory", "pinned-floor"), ratio("pinned-memory", "pinned-floor") >= 0.40)
if have_go:
    target("pinned: durable >= 2 x Go", "%.2f" % ratio("pinned-process", "pinned-go"), ratio("pinned-process", "pinned-go") >= 2)
    target("unpinned: durable >= 2 x Go", "%.2f" % ratio("unpinned-process", "unpinned-go"), ratio("unpinned-process", "unpinned-go") >= 2)
target("fixed %d/s: p99 <= 5 ms" % rate, "%.2f ms" % xl["p99"], xl["p99"] <= 5)
target("fixed %d/s: p99.9 <= 20 ms" % rate, "%.2f ms" % xl["p999"], xl["p999"] <= 20)
five = sum(n for r in list(rows.values()) for s, n in r["by_status"].items() if s.startswith("5"))
five += sum(n for s, n in x["by_status"].items() if s.startswith("5"))
target("no 5xx in any row", "%d" % five, five == 0)
PY
  } > "$results/peers.md"
  cat "$results/peers.md"
}

sweep() {
  local duration=${SWEEP_DURATION:-5}
  local file=$work/sweep.bin
  local count=$(( (duration + 6) * 40000 ))
  local delays=(32 16 8 5 4 3 2 1 0)
  : > "$work/sweep.dat"
  for d in "${delays[@]}"; do
    fresh "$file" "$count"
    start floor "$floor" 127.0.0.1:0; measure "floor-$d" "$file" "$d"; stop
    start_daemon "process-$d" --durability process; measure "process-$d" "$file" "$d"; stop
    python3 - "$work" "$d" >> "$work/sweep.dat" <<'PY'
import json, sys
w, d = sys.argv[1], int(sys.argv[2])
f, p = json.load(open("%s/floor-%d.json" % (w, d))), json.load(open("%s/process-%d.json" % (w, d)))
offered = 64000.0 / d if d else max(f["per_s"], p["per_s"]) * 1.25  # "unlimited" plotted past the rest
print("%.0f %.0f %.3f %.0f %.3f %d" % (offered, f["acked_per_s"], f["latency_ms"]["p99"], p["acked_per_s"],
                                        p["latency_ms"]["p99"], d))
PY
  done
  sort -n "$work/sweep.dat" > "$results/sweep.dat"
  if command -v gnuplot >/dev/null; then
    gnuplot <<GP
set terminal pngcairo size 1000,420 font ",10"
set output "$results/throughput.png"
set multiplot layout 1,2 title "catena-webhookd (durable process) vs bare Beast floor - $(machine | cut -d, -f1-2), $(date -u +%Y-%m-%d)"
set key top left
set grid
set xlabel "offered load (requests/s; rightmost point: unpaced)"
set ylabel "acknowledged/s"
plot "$results/sweep.dat" using 1:2 with linespoints title "floor", "" using 1:4 with linespoints title "catena-webhookd"
set key bottom right
set ylabel "p99 ack latency (ms)"
set logscale y
plot "$results/sweep.dat" using 1:3 with linespoints title "floor", "" using 1:5 with linespoints title "catena-webhookd"
unset multiplot
GP
    echo "plot: $results/throughput.png"
  fi
  { echo "# offered/s floor_acked/s floor_p99_ms process_acked/s process_p99_ms delay_ms"; cat "$results/sweep.dat"; } \
    > "$results/sweep.dat.tmp" && mv "$results/sweep.dat.tmp" "$results/sweep.dat"
  cat "$results/sweep.dat"
}

answered() { # responses the target has sent, by its /metrics
  curl -s "http://127.0.0.1:$port/metrics" | awk '/^catena_webhooks_requests_total/ {n += $2} END {print n + 0}'
}

soak() {
  local total=${SOAK_DELIVERIES:-5000000} chunk=500000 done_n=0
  start_daemon soak --durability process
  local out=$results/soak.dat
  [[ $profile == friendly ]] || out=$results/soak-$profile.dat
  echo "# $profile traffic: deliveries  acked_in_chunk  acked/s  RSS_MiB  peak_RSS_MiB" | tee "$out"
  while (( done_n < total )); do
    local n=$(( total - done_n < chunk ? total - done_n : chunk ))
    prepare "$work/soak.bin" "$n"
    # wrk runs for its whole -d even when every thread has stopped, so it is interrupted
    # (it still reports) once the receiver has answered the chunk.
    local answered0 answered
    answered0=$(answered)
    REPLAY_ONCE=1 REPLAY_FILE=$work/soak.bin REPLAY_OUT=$work/soak.run.json \
      "${pin_load[@]}" wrk -t1 -c"$connections" -d3600s --timeout 10s -s bench/replay.lua \
      "http://127.0.0.1:$port/webhooks/catena" > /dev/null &
    local wrk_pid=$!
    while :; do
      answered=$(answered)
      (( answered - answered0 >= n )) && break
      kill -0 "$wrk_pid" 2>/dev/null || break
      sleep 0.2
    done
    kill -INT "$wrk_pid" 2>/dev/null || true
    wait "$wrk_pid" || true
    done_n=$(( done_n + n ))
    python3 - "$work/soak.run.json" "$done_n" "$target_pid" <<'PY' | tee -a "$out"
import json, sys
r, n, pid = json.load(open(sys.argv[1])), int(sys.argv[2]), sys.argv[3]
st = {l.split(":")[0]: int(l.split()[1]) for l in open("/proc/%s/status" % pid) if l.startswith(("VmRSS", "VmHWM"))}
acked = sum(v for s, v in r["by_status"].items() if s.startswith("2"))
print("%d %d %.0f %.1f %.1f" % (n, acked, acked / r["seconds"], st["VmRSS"] / 1024, st["VmHWM"] / 1024))
PY
  done
  stop
}

recovery() {
  local rows=${RECOVERY_ROWS:-1000000} dir=$work/data-recovery
  rm -rf "$dir"; mkdir -p "$dir"
  echo "filling an inbox with $rows unprocessed deliveries..." >&2
  "$fill" "$dir/catena-webhooks.db" "$rows"
  local t0 t_listen t_done
  t0=$(date +%s.%N)
  start recovery "$daemon" --listen 127.0.0.1:0 --data-dir "$dir" --events /dev/null --reorder-window 200
  t_listen=$(date +%s.%N)
  local depth=""
  while :; do
    depth=$(curl -s "http://127.0.0.1:$port/metrics" | awk '/^catena_webhooks_inbox_depth / {print $2}')
    [[ -n $depth ]] && (( ${depth%.*} == 0 )) && break
    sleep 0.05
  done
  t_done=$(date +%s.%N)
  local rss
  rss=$(awk '/VmHWM/ {print $2}' "/proc/$target_pid/status")
  stop
  python3 - "$rows" "$t0" "$t_listen" "$t_done" "$rss" <<'PY' | tee "$results/recovery.md"
import sys
rows, t0, tl, td, rss = int(sys.argv[1]), *map(float, sys.argv[2:5]), int(sys.argv[5])
print("| unprocessed deliveries | accepting requests after | backlog processed after | rate | peak RSS |")
print("|---|---|---|---|---|")
print("| %d | %.2f s | %.2f s | %.0f deliveries/s | %.0f MiB |" % (rows, tl - t0, td - t0, rows / (td - t0), rss / 1024))
PY
}

echo "machine: $(machine)"
case $what in
  throughput) throughput; profiles; sweep ;;
  profiles) profiles ;;
  peers) peers ;;
  sweep) sweep ;;
  soak) soak ;;
  recovery) recovery ;;
  all) throughput; profiles; peers; sweep; soak; recovery ;;
esac
