#!/usr/bin/env bash
# Base-backup throughput: backup-push and backup-fetch of a pgbench
# database (default scale 140, about 2.1 GiB) to a file:// store on the same
# disk, in MB/s of database, with the peak RSS of the process doing the
# work, next to `tar -cf - DATADIR | lz4 -1 > /dev/null` timed in the same
# run (the raw limit of reading and compressing the same files).
#   bench/backup_throughput.sh [SCALE]
# Run as root on Debian 12 with PostgreSQL 15; it installs lz4 and time.
set -euo pipefail
source "$(dirname "$0")/lib/single.sh" backup
scale=${1:-140}
cleanup() { as_pg "$PG_BIN/pg_ctl" -D "$W/pg" -m fast stop > /dev/null 2>&1 || true; rm -rf "$W"; }
trap cleanup EXIT
for p in lz4 time; do command -v "$p" > /dev/null || DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$p" > /dev/null; done
command -v /usr/bin/time > /dev/null || DEBIAN_FRONTEND=noninteractive apt-get install -y -q time > /dev/null

export WALE_FILE_PREFIX=file://localhost$W/store WALE_SOCKET=$W/none.sock WALE_LOG_DESTINATION=stderr
start_cluster 5450 "$BIN/wal-e wal-push %p" 4GB
echo "loading pgbench scale $scale ..." >&2
as_pg "$PG_BIN/pgbench" -h "$W" -p 5450 -i -s "$scale" -q postgres > /dev/null 2>&1
as_pg psql -h "$W" -p 5450 -d postgres -Atqc "CHECKPOINT" > /dev/null
db_bytes=$(du -sb --exclude=pg_wal "$W/pg" | cut -f1)
mb() { awk -v b="$1" 'BEGIN { printf "%.0f", b / 1e6 }'; }
rate() { awk -v b="$1" -v s="$2" 'BEGIN { printf "%.0f", b / 1e6 / s }'; }
sync

# Warm the page cache identically for every candidate.
tar -cf - -C "$W" pg > /dev/null 2>&1 || true
start=$(now)
tar -cf - -C "$W" pg 2> /dev/null | lz4 -1 -q > /dev/null
tar_s=$(elapsed "$start")

start=$(now)
/usr/bin/time -f "%M" -o "$W/push.rss" setpriv --reuid=postgres --regid=postgres --init-groups -- \
  env WALE_FILE_PREFIX="$WALE_FILE_PREFIX" WALE_SOCKET="$WALE_SOCKET" "$BIN/wal-e" backup-push --fast-checkpoint "$W/pg" 2> "$W/push.log"
push_s=$(elapsed "$start")
stored=$(du -sb "$W/store/basebackups_005" | cut -f1)
as_pg "$PG_BIN/pg_ctl" -D "$W/pg" -m fast stop > /dev/null
sync

start=$(now)
/usr/bin/time -f "%M" -o "$W/fetch.rss" setpriv --reuid=postgres --regid=postgres --init-groups -- \
  env WALE_FILE_PREFIX="$WALE_FILE_PREFIX" WALE_SOCKET="$WALE_SOCKET" "$BIN/wal-e" backup-fetch "$W/restored" LATEST 2> "$W/fetch.log"
fetch_s=$(elapsed "$start")

cat <<REPORT
machine: $(machine)
database: pgbench scale $scale, $(mb "$db_bytes") MB (without pg_wal); stored compressed: $(mb "$stored") MB

| what | seconds | MB/s of database | peak RSS |
| --- | ---: | ---: | ---: |
| tar -cf - DATADIR \| lz4 -1 > /dev/null | $tar_s | $(rate "$db_bytes" "$tar_s") | - |
| wal-e backup-push (in-process, file:// store, lzop) | $push_s | $(rate "$db_bytes" "$push_s") | $(( $(cat "$W/push.rss") / 1024 )) MiB |
| wal-e backup-fetch (in-process, file:// store) | $fetch_s | $(rate "$db_bytes" "$fetch_s") | $(( $(cat "$W/fetch.rss") / 1024 )) MiB |
REPORT
