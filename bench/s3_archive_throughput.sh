#!/usr/bin/env bash
# Archiving throughput to the S3 peer (the SigV4-checking s3rver fork):
# N segments of 16 MiB already .ready (pgbench WAL), archived through the
# daemon and then, from the same snapshot, with no daemon (the shim runs
# each wal-push in-process), timed until pg_stat_archiver has them all.
#   bench/s3_archive_throughput.sh [N=200]
set -euo pipefail
source "$(dirname "$0")/lib/single.sh" s3
N=${1:-200}
pids=()
cleanup() {
  as_pg "$PG_BIN/pg_ctl" -D "$W/pg" -m immediate stop > /dev/null 2>&1 || true
  for p in "${pids[@]}"; do kill "$p" 2> /dev/null || true; done
  rm -rf "$W"
}
trap cleanup EXIT
[ -d "$here/tests/peers/node_modules/@20minutes/s3rver" ] || (cd "$here/tests/peers" && npm ci --no-audit --no-fund --loglevel=error)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')

echo "making $N segments of pgbench WAL with archiving held back ..." >&2
# Frequent checkpoints (max_wal_size 64MB): full-page images make WAL
# quickly, as on a busy server; the failing archive_command keeps every
# segment.
start_cluster 5451 false 64MB
as_pg "$PG_BIN/pgbench" -h "$W" -p 5451 -i -s 20 -q postgres > /dev/null 2>&1
ready=$(make_ready_wal 5451 "$N")
cp -a "$W/pg" "$W/snapshot"

run() {  # run daemon|in-process: prints seconds until everything is archived
  local mode=$1
  rm -rf "$W/pg" "$W/s3" && cp -a "$W/snapshot" "$W/pg" && mkdir -p "$W/s3" && chown postgres: "$W/s3"
  node --openssl-legacy-provider -e "
    const S3rver = require('$here/tests/peers/node_modules/@20minutes/s3rver');
    new S3rver({address: '127.0.0.1', port: $port, directory: '$W/s3', silent: true, configureBuckets: [{name: 'walbkt'}]}).run();" &
  pids+=($!)
  local peer=$!
  sleep 1
  local env=(WALE_S3_PREFIX=s3://walbkt/archive WALE_S3_ENDPOINT="http+path://127.0.0.1:$port" AWS_ACCESS_KEY_ID=S3RVER
             AWS_SECRET_ACCESS_KEY=S3RVER AWS_REGION=us-east-1 WALE_SOCKET="$W/wal-ed.sock" WALE_LOG_DESTINATION=stderr)
  local daemon=""
  if [ "$mode" = daemon ]; then
    setpriv --reuid=postgres --regid=postgres --init-groups -- env "${env[@]}" "$BIN/wal-ed" --socket "$W/wal-ed.sock" \
      --state-dir "$W/state-$mode" 2> "$W/wal-ed.log" &
    daemon=$!
    pids+=("$daemon")
    while [ ! -S "$W/wal-ed.sock" ]; do sleep 0.1; done
  fi
  sed -i "s|^archive_command = .*|archive_command = '$BIN/wal-e wal-push %p'|" "$W/pg/postgresql.conf"
  local start
  start=$(now)
  as_pg env "${env[@]}" "$PG_BIN/pg_ctl" -D "$W/pg" -l "$W/pg-$mode.log" -w start > /dev/null
  while [ "$(as_pg psql -h "$W" -p 5451 -d postgres -Atqc "SELECT archived_count FROM pg_stat_archiver")" -lt "$ready" ]; do sleep 0.1; done
  elapsed "$start"
  if [ -n "$daemon" ]; then
    grep -o '"store_connections_opened": [0-9]*' <(as_pg env WALE_SOCKET="$W/wal-ed.sock" "$BIN/wal-e" status 2> /dev/null) >&2 || true
    echo "wal-ed peak RSS: $(( $(sed -n 's/VmHWM:\s*\([0-9]*\) kB/\1/p' /proc/$daemon/status) / 1024 )) MiB" >&2
    kill "$daemon"
    rm -f "$W/wal-ed.sock"
  fi
  as_pg "$PG_BIN/pg_ctl" -D "$W/pg" -m immediate stop > /dev/null
  kill "$peer"
  wait "$peer" 2> /dev/null || true
}
wal_bytes=$((ready * 16 * 1024 * 1024))
daemon_s=$(run daemon)
inproc_s=$(run in-process)
rate() { awk -v b="$wal_bytes" -v s="$1" -v n="$ready" 'BEGIN { printf "%.1f segments/s, %.0f MB/s of WAL", n / s, b / 1e6 / s }'; }
cat <<REPORT
machine: $(machine)
$ready segments of 16 MiB (pgbench WAL), archived to the s3rver fork over HTTP on loopback

| archive_command path | seconds | throughput |
| --- | ---: | --- |
| through wal-ed | $daemon_s | $(rate "$daemon_s") |
| in-process (no daemon) | $inproc_s | $(rate "$inproc_s") |
REPORT
