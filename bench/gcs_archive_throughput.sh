#!/usr/bin/env bash
# Archiving throughput to Google Cloud Storage's peer (the Firebase storage
# emulator, tests/peers/gcs_emulator.js) beside S3's (the SigV4-checking
# s3rver fork), in the same run and from the same snapshot: N segments of
# 16 MiB already .ready (pgbench WAL), archived through wal-ed, timed until
# pg_stat_archiver has them all. The emulator runs without the test
# stand-ins and is reached without credentials (tokens are fetched once per
# process and do not weigh on throughput).
#   bench/gcs_archive_throughput.sh [N=200]
set -euo pipefail
source "$(dirname "$0")/lib/single.sh" gcs
N=${1:-200}
pids=()
cleanup() {
  as_pg "$PG_BIN/pg_ctl" -D "$W/pg" -m immediate stop > /dev/null 2>&1 || true
  for p in "${pids[@]}"; do kill "$p" 2> /dev/null || true; done
  rm -rf "$W"
}
trap cleanup EXIT
peers=$here/tests/peers
[ -d "$peers/node_modules/@20minutes/s3rver" ] && [ -d "$peers/node_modules/firebase-tools" ] \
  || (cd "$peers" && npm ci --no-audit --no-fund --loglevel=error)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')

echo "making $N segments of pgbench WAL with archiving held back ..." >&2
start_cluster 5452 false 64MB
as_pg "$PG_BIN/pgbench" -h "$W" -p 5452 -i -s 20 -q postgres > /dev/null 2>&1
while [ "$(ls "$W/pg/pg_wal/archive_status" | grep -c '\.ready$')" -lt "$N" ]; do
  as_pg "$PG_BIN/pgbench" -h "$W" -p 5452 -n -c 2 -T 5 postgres > /dev/null 2>&1
done
as_pg "$PG_BIN/pg_ctl" -D "$W/pg" -m fast stop > /dev/null
ready=$(ls "$W/pg/pg_wal/archive_status" | grep -c '\.ready$')
cp -a "$W/pg" "$W/snapshot"

start_peer() {  # start_peer s3|gcs: starts the store on $port, sets env and peer
  case $1 in
    s3)
      mkdir -p "$W/s3" && chown postgres: "$W/s3"
      node --openssl-legacy-provider -e "
        const S3rver = require('$peers/node_modules/@20minutes/s3rver');
        new S3rver({address: '127.0.0.1', port: $port, directory: '$W/s3', silent: true, configureBuckets: [{name: 'walbkt'}]}).run();" &
      peer=$!
      env=(WALE_S3_PREFIX=s3://walbkt/archive WALE_S3_ENDPOINT="http+path://127.0.0.1:$port" AWS_ACCESS_KEY_ID=S3RVER
           AWS_SECRET_ACCESS_KEY=S3RVER AWS_REGION=us-east-1)
      ;;
    gcs)
      mkdir -p "$W/gcs"
      TMPDIR=$W/gcs node "$peers/gcs_emulator.js" "$port" > "$W/gcs.log" 2>&1 &
      peer=$!
      env=(WALE_GS_PREFIX=gs://walbkt/archive WALE_GS_ENDPOINT="http://127.0.0.1:$port")
      ;;
  esac
  pids+=("$peer")
  until curl -s -o /dev/null "http://127.0.0.1:$port/"; do sleep 0.1; done
}

run() {  # run s3|gcs: prints seconds until everything is archived through wal-ed
  local store=$1
  rm -rf "$W/pg" "$W/s3" "$W/gcs" "$W/state-$store" && cp -a "$W/snapshot" "$W/pg"
  start_peer "$store"
  env+=(WALE_SOCKET="$W/wal-ed.sock" WALE_LOG_DESTINATION=stderr)
  setpriv --reuid=postgres --regid=postgres --init-groups -- env "${env[@]}" "$BIN/wal-ed" --socket "$W/wal-ed.sock" \
    --state-dir "$W/state-$store" 2> "$W/wal-ed-$store.log" &
  local daemon=$!
  pids+=("$daemon")
  while [ ! -S "$W/wal-ed.sock" ]; do sleep 0.1; done
  sed -i "s|^archive_command = .*|archive_command = '$BIN/wal-e wal-push %p'|" "$W/pg/postgresql.conf"
  local start
  start=$(now)
  as_pg env "${env[@]}" "$PG_BIN/pg_ctl" -D "$W/pg" -l "$W/pg-$store.log" -w start > /dev/null
  while [ "$(as_pg psql -h "$W" -p 5452 -d postgres -Atqc "SELECT archived_count FROM pg_stat_archiver")" -lt "$ready" ]; do sleep 0.1; done
  elapsed "$start"
  echo "$store: wal-ed peak RSS $(( $(sed -n 's/VmHWM:\s*\([0-9]*\) kB/\1/p' /proc/$daemon/status) / 1024 )) MiB" >&2
  kill "$daemon"
  wait "$daemon" 2> /dev/null || true
  rm -f "$W/wal-ed.sock"
  as_pg "$PG_BIN/pg_ctl" -D "$W/pg" -m immediate stop > /dev/null
  kill "$peer"
  wait "$peer" 2> /dev/null || true
}
wal_bytes=$((ready * 16 * 1024 * 1024))
s3_s=$(run s3)
gcs_s=$(run gcs)
rate() { awk -v b="$wal_bytes" -v s="$1" -v n="$ready" 'BEGIN { printf "%.1f segments/s, %.0f MB/s of WAL", n / s, b / 1e6 / s }'; }
cat <<REPORT
machine: $(machine)
$ready segments of 16 MiB (pgbench WAL), archived through wal-ed over HTTP on loopback

| store (peer) | seconds | throughput | vs S3 |
| --- | ---: | --- | ---: |
| S3 (s3rver fork) | $s3_s | $(rate "$s3_s") | 1.00 |
| GCS (Firebase storage emulator) | $gcs_s | $(rate "$gcs_s") | $(awk -v a="$s3_s" -v b="$gcs_s" 'BEGIN { printf "%.2f", a / b }') |
REPORT
