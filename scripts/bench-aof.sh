#!/usr/bin/env bash
# SET throughput with the AOF on, verdis-server against redis-server 7.0, side by side in one run.
# Both servers start empty with `appendonly yes`, the given `appendfsync` policy (default everysec) and
# no automatic rewrite (a rewrite's child competing for the 2 cores would dominate the figures); each
# round runs `redis-benchmark -t set -n N -r 1000000 -d 32 -c 50` against each server, the order
# rotating from round to round, and reports per run requests/s, server CPU per request (all the
# server's threads, from /proc/<pid>/task/*/schedstat) and the benchmark's max latency, then the
# medians and the AOF size (equal when both wrote the same commands).
# Usage: scripts/bench-aof.sh [N] [ROUNDS]   (defaults 200000, 5)
# Environment: FSYNC=always|everysec|no, VERDIS_BIN=<path> (default: release build, built first),
#   PORT0 (default 7630; the servers use PORT0 and PORT0+1).
set -euo pipefail
cd "$(dirname "$0")/.."
N="${1:-200000}"
ROUNDS="${2:-5}"
FSYNC="${FSYNC:-everysec}"
PORT0="${PORT0:-7630}"
VERDIS_BIN="${VERDIS_BIN:-}"
if [[ -z $VERDIS_BIN ]]; then
  VERDIS_BIN=./target/release/verdis-server
  cargo build --release --quiet --bin verdis-server
fi
W=$(mktemp -d)
names=(verdis redis); bins=("$VERDIS_BIN" redis-server); ports=(); pids=()
for i in 0 1; do
  mkdir -p "$W/${names[$i]}"
  port=$((PORT0 + i))
  "${bins[$i]}" --port "$port" --save "" --appendonly yes --appendfsync "$FSYNC" --auto-aof-rewrite-percentage 0 \
    --dir "$W/${names[$i]}" --logfile "$W/${names[$i]}/log" &
  pids+=($!); ports+=("$port")
done
trap 'kill "${pids[@]}" 2>/dev/null || true; wait; rm -rf "$W"' EXIT
for p in "${ports[@]}"; do
  for _ in $(seq 1 50); do redis-cli -p "$p" ping >/dev/null 2>&1 && break; sleep 0.1; done
done
cpu_ns() { local t=0 v f; for f in /proc/"$1"/task/*/schedstat; do read -r v _ <"$f" || continue; t=$((t + v)); done; echo $t; }
run() { # port pid -> "rps ns_per_request max_latency_ms"
  local c0 c1 out
  c0=$(cpu_ns "$2")
  out=$(redis-benchmark -p "$1" -t set -n "$N" -r 1000000 -d 32 -c 50 --csv 2>/dev/null | tail -1 | tr -d '"')
  c1=$(cpu_ns "$2")
  echo "$(echo "$out" | cut -d, -f2) $(((c1 - c0) / N)) $(echo "$out" | cut -d, -f8)"
}
median() { sort -n | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }
for r in $(seq 1 "$ROUNDS"); do
  for j in 0 1; do
    s=$(((r + j) % 2))
    run "${ports[$s]}" "${pids[$s]}" >>"$W/${names[$s]}.res"
  done
done
echo "appendfsync $FSYNC, $ROUNDS rounds of $N SETs (rps / server ns per request / max latency ms)"
for s in 0 1; do
  f="$W/${names[$s]}.res"
  printf '%-7s runs: %s\n' "${names[$s]}" "$(awk '{printf "%s/%s/%s  ", $1, $2, $3}' "$f")"
  printf '%-7s median rps %s, median server ns/request %s, AOF bytes %s\n' "${names[$s]}" \
    "$(awk '{print $1}' "$f" | median)" "$(awk '{print $2}' "$f" | median)" "$(du -sb "$W/${names[$s]}/appendonlydir" | cut -f1)"
done
