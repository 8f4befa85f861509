#!/usr/bin/env bash
# The daemon's memory does not grow with the backlog: draining 100 .ready
# segments that do not compress (the largest objects there are), its peak
# resident set after the last one is within a small margin of its peak
# after the first 25, and above its idle size by no more than its memory
# budget plus fixed working memory. The same to a file:// store and to the
# S3 peer over HTTPS, whose request bodies are the pipeline's object
# buffers. A memory assertion, not a timing one.
# CI: release build (the resident set of the shipped daemon).
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/peers.sh"

data=$T/data
mkdir -p "$data/pg_wal/archive_status"
"$PY" - "$data/pg_wal" 100 <<'PY'
import os, struct, sys
wal, count = sys.argv[1], int(sys.argv[2])
size = 1 << 20
for i in range(1, count + 1):
    name = "%08X%08X%08X" % (1, 0, i)
    header = struct.pack("<HHIQI4xQII", 0xD110, 0x0002, 1, i * size, 0, 7, size, 8192)
    with open(os.path.join(wal, name), "wb") as f:
        f.write(header + os.urandom(size - len(header)))
    open(os.path.join(wal, "archive_status", name + ".ready"), "w").close()
PY
chown -R "$TEST_USER": "$data"

budget=$((4 << 20))
DAEMON_ARGS=(--memory-budget "$budget" --pool-size 8)
# Without its quarantine, a sanitizer build reuses freed memory as a plain
# one does, so that the peaks compare.
export ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}quarantine_size_mb=0:thread_local_quarantine_size_kb=0
hwm_kb() { sed -n 's/^VmHWM:[[:space:]]*\([0-9]*\) kB/\1/p' "/proc/$DAEMON_PID/status"; }
uploaded() { wal_e status 2> /dev/null | sed -n 's/.*"segments_uploaded": \([0-9]*\).*/\1/p'; }
at_least_uploaded() { [ "$(uploaded)" -ge "$1" ]; }

# drain STORE: a daemon with a fresh journal drains the backlog into the
# store of WALE_ENV (nothing marks the segments done: no PostgreSQL here).
drain() {
  local store=$1 idle early late
  STATE=$T/state-$store
  start_daemon
  idle=$(hwm_kb)
  (cd "$data" && wal_e wal-push pg_wal/000000010000000000000001 2> /dev/null) || fail "$store: the first push failed"
  wait_for 120 at_least_uploaded 25 || fail "$store: read-ahead did not get to 25 segments ($(uploaded) uploaded)"
  early=$(hwm_kb)
  wait_for 300 at_least_uploaded 100 || fail "$store: read-ahead did not drain the backlog ($(uploaded) of 100 uploaded)"
  late=$(hwm_kb)
  log "$store: peak resident set idle $((idle / 1024)) MiB, after 25 segments $((early / 1024)) MiB, after 100 $((late / 1024)) MiB (budget $((budget >> 20)) MiB)"
  [ $((late - early)) -le 4096 ] || fail "$store: the peak resident set grew by $(((late - early) / 1024)) MiB between the 25th and the 100th segment"
  [ $((late - idle)) -le $(((budget >> 10) + 24576)) ] ||
    fail "$store: the peak resident set grew by $(((late - idle) / 1024)) MiB over idle, more than the budget and 24 MiB of working memory"
  stop_daemon
}

drain file
start_s3_peer
start_tls_proxy "$S3_PORT"
WALE_ENV+=(WALE_S3_CA_FILE="$CA_FILE")
s3_tls_endpoint localhost
drain s3
log PASS
