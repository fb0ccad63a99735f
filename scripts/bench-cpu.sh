#!/usr/bin/env bash
# Server CPU time per request of verdis-server against redis-server 7.0, side by side.
#
# Wall-clock requests per second are at the mercy of whatever else runs on the machine (on the
# shared 2-core box the same binary measured anywhere from 0.58x to 1.48x redis). The CPU time
# the server process itself spends per request is far steadier: other processes delay the server
# but barely change how much CPU it burns per command. So for each test this script reads each
# server's CPU time before and after one `redis-benchmark -t <test> -n N -c 50 -P <p>` run and
# reports server microseconds per request, and cpu_ratio = redis_us / verdis_us (>= 1 means verdis
# spends less CPU per request than redis; the goal is >= 0.9). It also prints wall-clock req/s and
# their ratio (verdis/redis), as scripts/bench-vs-redis.sh does.
#
# CPU time is the sum over the process's threads of /proc/<pid>/task/*/schedstat's first field
# (nanoseconds on the CPU); where schedstat is missing it falls back to utime+stime from
# /proc/<pid>/stat (clock ticks, usually 10 ms, so use a larger N).
#
# Each round runs the tests in order against both servers (FLUSHALL first), the two servers
# alternating which goes first test by test, so both see the same data (LPOP pops what LPUSH
# pushed) and background load hits both alike. Figures are medians over ROUNDS rounds.
# lrange_100 is measured as `LRANGE mylist 0 99` on a 600-element list filled beforehand, so that
# the filling LPUSHes redis-benchmark would run are not counted.
#
# Usage: scripts/bench-cpu.sh [N]        (N requests per run, default 200000)
# Environment: TESTS (comma list), PIPELINES (default "1 16"), ROUNDS (default 3),
#   VPORT/RPORT (default 7470/7471), NO_BUILD=1 to skip `cargo build --release`,
#   RAW=<file> to keep every run's figures, VERDIS_BIN=<path> to measure another build (implies NO_BUILD).
set -euo pipefail
cd "$(dirname "$0")/.."
N="${1:-200000}"
VPORT="${VPORT:-7470}"
RPORT="${RPORT:-7471}"
TESTS="${TESTS:-set,get,incr,mset,lpush,rpush,lpop,rpop,sadd,hset,spop,zadd,lrange_100}"
PIPELINES="${PIPELINES:-1 16}"
ROUNDS="${ROUNDS:-3}"
RAW="${RAW:-$(mktemp)}"

VERDIS_BIN="${VERDIS_BIN:-}"
if [[ -z $VERDIS_BIN ]]; then
  VERDIS_BIN=./target/release/verdis-server
  [[ -n "${NO_BUILD:-}" ]] || cargo build --release --quiet --bin verdis-server
fi
"$VERDIS_BIN" --port "$VPORT" --save "" --appendonly no --loglevel warning >/tmp/bench-cpu-verdis.log 2>&1 &
VPID=$!
redis-server --port "$RPORT" --save "" --appendonly no --loglevel warning >/tmp/bench-cpu-redis.log 2>&1 &
RPID=$!
trap 'kill $VPID $RPID 2>/dev/null || true' EXIT
for p in "$VPORT" "$RPORT"; do
  for _ in $(seq 1 50); do redis-cli -p "$p" ping >/dev/null 2>&1 && break; sleep 0.1; done
done

cpu_ns() { # pid -> nanoseconds of CPU used by all its threads so far
  local pid=$1 total=0 f v
  if [[ -r /proc/$pid/schedstat ]]; then
    for f in /proc/"$pid"/task/*/schedstat; do
      read -r v _ <"$f" 2>/dev/null || continue
      total=$((total + v))
    done
  else
    # Fields 14 and 15 (utime, stime) in clock ticks; the command name in field 2 has no spaces here.
    read -r -a s <"/proc/$pid/stat"
    total=$(((s[13] + s[14]) * 1000000000 / $(getconf CLK_TCK)))
  fi
  echo "$total"
}

run() { # name port pid test P -> appends "name test P rps us_per_request" to $RAW
  local name=$1 port=$2 pid=$3 t=$4 P=$5 before after rps
  local args=(-t "$t")
  if [[ $t == lrange_100 ]]; then
    redis-cli -p "$port" del mylist >/dev/null
    redis-benchmark -p "$port" -t lpush -n 600 -c 1 -q >/dev/null 2>&1
    args=(lrange mylist 0 99)
  fi
  before=$(cpu_ns "$pid")
  rps=$(redis-benchmark -p "$port" -n "$N" -c 50 -P "$P" --csv "${args[@]}" 2>/dev/null |
    tr -d '"' | awk -F, 'NR>1 {print $2; exit}')
  after=$(cpu_ns "$pid")
  awk -v n="$name" -v t="$t" -v p="$P" -v r="$rps" -v c=$((after - before)) -v N="$N" \
    'BEGIN { printf "%s %s %s %s %.3f\n", n, t, p, r, c / 1000 / N }' >>"$RAW"
}

median() { sort -g | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }

IFS=, read -r -a tests <<<"$TESTS"
for P in $PIPELINES; do
  for round in $(seq 1 "$ROUNDS"); do
    redis-cli -p "$VPORT" flushall >/dev/null
    redis-cli -p "$RPORT" flushall >/dev/null
    i=0
    for t in "${tests[@]}"; do
      if (((round + i) % 2)); then
        run verdis "$VPORT" "$VPID" "$t" "$P"; run redis "$RPORT" "$RPID" "$t" "$P"
      else
        run redis "$RPORT" "$RPID" "$t" "$P"; run verdis "$VPORT" "$VPID" "$t" "$P"
      fi
      i=$((i + 1))
    done
  done
done

pick() { awk -v n="$1" -v t="$2" -v p="$3" -v f="$4" '$1 == n && $2 == t && $3 == p {print $f}' "$RAW" | median; }
printf '%-11s %-3s %12s %12s %9s %10s %10s %9s\n' test P verdis_rps redis_rps rps_ratio verdis_us redis_us cpu_ratio
for P in $PIPELINES; do
  for t in "${tests[@]}"; do
    vr=$(pick verdis "$t" "$P" 4); rr=$(pick redis "$t" "$P" 4)
    vc=$(pick verdis "$t" "$P" 5); rc=$(pick redis "$t" "$P" 5)
    awk -v t="$t" -v p="$P" -v vr="$vr" -v rr="$rr" -v vc="$vc" -v rc="$rc" 'BEGIN {
      printf "%-11s %-3s %12.0f %12.0f %9.2f %10.3f %10.3f %9.2f\n", t, p, vr, rr, vr / rr, vc, rc, rc / vc }'
  done
done
echo "(us = server CPU microseconds per request, median of $ROUNDS rounds, N=$N; raw runs in $RAW)"
