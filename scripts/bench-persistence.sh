#!/usr/bin/env bash
# RDB and AOF persistence of verdis-server against redis-server, side by side in one run:
#   - SAVE time and RDB size for N keys (default 1,000,000),
#   - load time at start-up (from each server's "DB loaded from disk" log line),
#   - the stall to start BGSAVE (latest_fork_usec),
#   - memory during a BGSAVE under a write load: the parent's peak RSS while the child runs plus
#     the child's copy-on-write (rdb_last_cow_size).
# The dataset is the same for both: strings (the only type verdis holds so far) of mixed shapes:
# 1/4 small integers, 1/4 32-byte random values, 1/4 100-byte compressible values, 1/4 short
# words, each key `key:<12-digit n>` (redis-benchmark's key format, so its write load during BGSAVE
# overwrites random existing keys). Then the AOF: SET throughput with appendfsync always and
# everysec, the AOF size for the N keys, BGREWRITEAOF time and AOF load time at restart.
# Usage: scripts/bench-persistence.sh [N]
set -euo pipefail
cd "$(dirname "$0")/.."
N="${1:-1000000}"
VPORT="${VPORT:-7621}"
RPORT="${RPORT:-7622}"
WORK="$(mktemp -d)"
trap 'kill $VPID $RPID 2>/dev/null || true; rm -rf "$WORK"' EXIT

cargo build --release --quiet --bin verdis-server
mkdir -p "$WORK/v" "$WORK/r"

start_servers() {
  ./target/release/verdis-server --port "$VPORT" --save "" --dir "$WORK/v" --logfile "$WORK/v/log" &
  VPID=$!
  redis-server --port "$RPORT" --save "" --appendonly no --dir "$WORK/r" --logfile "$WORK/r/log" &
  RPID=$!
  for p in "$VPORT" "$RPORT"; do
    for _ in $(seq 1 600); do
      [ "$(redis-cli -p "$p" ping 2>/dev/null)" = "PONG" ] && break
      sleep 0.1
    done
  done
}

stop_servers() {
  redis-cli -p "$VPORT" shutdown nosave >/dev/null 2>&1 || true
  redis-cli -p "$RPORT" shutdown nosave >/dev/null 2>&1 || true
  wait "$VPID" "$RPID" 2>/dev/null || true
}

info() { redis-cli -p "$1" info "$2" | tr -d '\r' | awk -F: -v f="$3" '$1 == f { print $2 }'; }
rss_kb() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status"; }

python3 - "$N" > "$WORK/load.resp" <<'EOF'
import os, random, sys
n = int(sys.argv[1]); rnd = random.Random(42); out = sys.stdout.buffer
words = [b"alpha", b"beta", b"gamma", b"delta", b"epsilon"]
for i in range(n):
    k = b"key:%012d" % i
    kind = i % 4
    if kind == 0: v = b"%d" % rnd.randrange(-100000, 100000)
    elif kind == 1: v = bytes(rnd.randrange(97, 123) for _ in range(32))
    elif kind == 2: v = (b"compressible-%d-" % (i % 97)) * 6
    else: v = rnd.choice(words)
    out.write(b"*3\r\n$3\r\nSET\r\n$%d\r\n%s\r\n$%d\r\n%s\r\n" % (len(k), k, len(v), v))
EOF

start_servers
for p in "$VPORT" "$RPORT"; do redis-cli -p "$p" --pipe < "$WORK/load.resp" >/dev/null; done

printf '%-28s %16s %16s\n' metric verdis redis
for name in "$VPORT:v" "$RPORT:r"; do
  p=${name%%:*}; d=${name##*:}
  s=$(date +%s.%N); redis-cli -p "$p" save >/dev/null; e=$(date +%s.%N)
  eval "save_$d=$(echo "$e - $s" | bc)"
  eval "size_$d=$(stat -c %s "$WORK/$d/dump.rdb")"
  eval "keys_$d=$(redis-cli -p "$p" dbsize)"
done
printf '%-28s %16s %16s\n' keys "$keys_v" "$keys_r"
printf '%-28s %16.3f %16.3f\n' "SAVE seconds" "$save_v" "$save_r"
printf '%-28s %16d %16d\n' "RDB bytes" "$size_v" "$size_r"

# BGSAVE under a write load: sample the parent's RSS while the child runs.
for name in "$VPORT:v:$VPID" "$RPORT:r:$RPID"; do
  IFS=: read -r p d pid <<<"$name"
  base=$(rss_kb "$pid")
  redis-cli -p "$p" bgsave >/dev/null
  redis-benchmark -p "$p" -t set -n "${WRITES:-100000}" -r "$N" -d 32 -P 16 -q >/dev/null 2>&1 &
  BPID=$!
  peak=$base
  while [ "$(info "$p" persistence rdb_bgsave_in_progress)" = "1" ]; do
    r=$(rss_kb "$pid"); [ "$r" -gt "$peak" ] && peak=$r
    sleep 0.05
  done
  wait $BPID || true
  cow=$(info "$p" persistence rdb_last_cow_size)
  fork=$(info "$p" stats latest_fork_usec)
  eval "base_$d=$base; peak_$d=$peak; cow_$d=$cow; fork_$d=$fork"
done
printf '%-28s %16d %16d\n' "BGSAVE start stall (us)" "$fork_v" "$fork_r"
printf '%-28s %16d %16d\n' "RSS before BGSAVE (KiB)" "$base_v" "$base_r"
printf '%-28s %16d %16d\n' "parent peak RSS (KiB)" "$peak_v" "$peak_r"
printf '%-28s %16d %16d\n' "child COW (KiB)" "$((cow_v / 1024))" "$((cow_r / 1024))"
printf '%-28s %16d %16d\n' "peak RSS + COW (KiB)" "$((peak_v + cow_v / 1024))" "$((peak_r + cow_r / 1024))"

# Load at start-up: restart both on the files SAVE wrote.
redis-cli -p "$VPORT" save >/dev/null; redis-cli -p "$RPORT" save >/dev/null
stop_servers
start_servers
lv=$(grep -o 'DB loaded from disk: [0-9.]*' "$WORK/v/log" | tail -1 | awk '{print $5}')
lr=$(grep -o 'DB loaded from disk: [0-9.]*' "$WORK/r/log" | tail -1 | awk '{print $5}')
printf '%-28s %16s %16s\n' "load at start (seconds)" "$lv" "$lr"
stop_servers

# ---- AOF ----
# Throughput of writes with appendfsync always and everysec (redis-benchmark SET, 50 clients, so
# the group commit of one event-loop turn matters), the AOF size for the N keys, BGREWRITEAOF
# time, and the AOF load time at restart ("DB loaded from append only file"), both servers side
# by side with the same settings.
AOF_WRITES="${AOF_WRITES:-200000}"
start_aof() {
  rm -rf "$WORK/v" "$WORK/r"; mkdir -p "$WORK/v" "$WORK/r"
  ./target/release/verdis-server --port "$VPORT" --save "" --appendonly yes --appendfsync "$1" --auto-aof-rewrite-percentage 0 \
    --dir "$WORK/v" --logfile "$WORK/v/log" &
  VPID=$!
  redis-server --port "$RPORT" --save "" --appendonly yes --appendfsync "$1" --auto-aof-rewrite-percentage 0 \
    --dir "$WORK/r" --logfile "$WORK/r/log" &
  RPID=$!
  for p in "$VPORT" "$RPORT"; do
    for _ in $(seq 1 600); do
      [ "$(redis-cli -p "$p" ping 2>/dev/null)" = "PONG" ] && break
      sleep 0.1
    done
  done
}
rps() { redis-benchmark -p "$1" -t set -n "$AOF_WRITES" -r 1000000 -d 32 -c 50 -q 2>/dev/null | tr '\r' '\n' | awk '/requests per second/ { v=$2 } END { print v }'; }
for policy in always everysec; do
  start_aof "$policy"
  printf '%-28s %16s %16s\n' "SET rps, fsync $policy" "$(rps "$VPORT")" "$(rps "$RPORT")"
  stop_servers
done
start_aof everysec
for p in "$VPORT" "$RPORT"; do redis-cli -p "$p" --pipe < "$WORK/load.resp" >/dev/null; done
sleep 1.5
printf '%-28s %16s %16s\n' "AOF bytes (N keys)" "$(info "$VPORT" persistence aof_current_size)" "$(info "$RPORT" persistence aof_current_size)"
for name in "$VPORT:v" "$RPORT:r"; do
  p=${name%%:*}; d=${name##*:}
  s=$(date +%s.%N); redis-cli -p "$p" bgrewriteaof >/dev/null
  sleep 0.05
  while [ "$(info "$p" persistence aof_rewrite_in_progress)" = "1" ]; do sleep 0.02; done
  e=$(date +%s.%N)
  eval "rw_$d=$(echo "$e - $s" | bc)"
done
printf '%-28s %16.3f %16.3f\n' "BGREWRITEAOF seconds" "$rw_v" "$rw_r"
# Load the rewritten AOF (RDB base) plus a RESP tail of N/10 writes at restart.
head -c $(( $(stat -c %s "$WORK/load.resp") / 10 )) "$WORK/load.resp" > "$WORK/tail.resp"
for p in "$VPORT" "$RPORT"; do redis-cli -p "$p" --pipe < "$WORK/tail.resp" >/dev/null 2>&1 || true; done
sleep 1.5
stop_servers
./target/release/verdis-server --port "$VPORT" --save "" --appendonly yes --dir "$WORK/v" --logfile "$WORK/v/log" &
VPID=$!
redis-server --port "$RPORT" --save "" --appendonly yes --dir "$WORK/r" --logfile "$WORK/r/log" &
RPID=$!
for p in "$VPORT" "$RPORT"; do
  for _ in $(seq 1 600); do [ "$(redis-cli -p "$p" ping 2>/dev/null)" = "PONG" ] && break; sleep 0.1; done
done
lv=$(grep -o 'DB loaded from append only file: [0-9.]*' "$WORK/v/log" | tail -1 | awk '{print $7}')
lr=$(grep -o 'DB loaded from append only file: [0-9.]*' "$WORK/r/log" | tail -1 | awk '{print $7}')
printf '%-28s %16s %16s\n' "AOF load (seconds)" "$lv" "$lr"
stop_servers
