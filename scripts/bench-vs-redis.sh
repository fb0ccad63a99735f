#!/usr/bin/env bash
# Throughput of verdis-server against redis-server, side by side in one run.
# Runs `redis-benchmark -t $TESTS -n N -c 50` at -P 1 and -P 16 against both servers (TESTS defaults to
# the string, set, hash, sorted set and list tests: set,get,incr,mset,sadd,spop,hset,zadd,lpush,rpush,lpop,rpop,
# lrange_100)
# and prints requests per second (median of ROUNDS alternating runs, default 3) and the verdis/redis ratio.
# Usage: scripts/bench-vs-redis.sh [N]   (N defaults to 200000; builds verdis in release mode)
# TESTS=hset,sadd scripts/bench-vs-redis.sh runs only those tests. Wall-clock figures are noisy on a shared
# machine; scripts/bench-cpu.sh compares server CPU time per request instead (see BENCHMARKS.md).
set -euo pipefail
cd "$(dirname "$0")/.."
N="${1:-200000}"
VPORT="${VPORT:-7611}"
RPORT="${RPORT:-7612}"
TESTS="${TESTS:-set,get,incr,mset,sadd,spop,hset,zadd,lpush,rpush,lpop,rpop,lrange_100}"

cargo build --release --quiet --bin verdis-server
./target/release/verdis-server --port "$VPORT" --save "" --appendonly no --loglevel warning >/tmp/bench-verdis.log 2>&1 &
VPID=$!
redis-server --port "$RPORT" --save "" --appendonly no --loglevel warning >/tmp/bench-redis.log 2>&1 &
RPID=$!
trap 'kill $VPID $RPID 2>/dev/null || true' EXIT
for p in "$VPORT" "$RPORT"; do
  for _ in $(seq 1 50); do redis-cli -p "$p" ping >/dev/null 2>&1 && break; sleep 0.1; done
done

bench() { # port pipeline -> "test rps" lines
  redis-benchmark -p "$1" -t "$TESTS" -n "$N" -c 50 -P "$2" --csv 2>/dev/null |
    tr -d '"' | awk -F, 'NR>1 {gsub(/ /, "_", $1); print $1, $2}'
}

# ROUNDS runs per server and pipeline depth, alternating which server goes first, so that background
# load hits both alike; the median of each test's runs is reported.
ROUNDS="${ROUNDS:-3}"
median() { sort -n | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }
printf '%-34s %-4s %14s %14s %7s\n' test P verdis_rps redis_rps ratio
for P in 1 16; do
  vruns=$(mktemp); rruns=$(mktemp)
  for round in $(seq 1 "$ROUNDS"); do
    if (( round % 2 )); then bench "$VPORT" "$P" >>"$vruns"; bench "$RPORT" "$P" >>"$rruns"
    else bench "$RPORT" "$P" >>"$rruns"; bench "$VPORT" "$P" >>"$vruns"; fi
  done
  for t in $(awk '{print $1}' "$vruns" | sort -u); do
    vr=$(awk -v t="$t" '$1 == t {print $2}' "$vruns" | median)
    rr=$(awk -v t="$t" '$1 == t {print $2}' "$rruns" | median)
    awk -v t="$t" -v p="$P" -v v="$vr" -v r="$rr" 'BEGIN { printf "%-34s %-4s %14.0f %14.0f %7.2f\n", t, p, v, r, v / r }'
  done
  rm -f "$vruns" "$rruns"
done
