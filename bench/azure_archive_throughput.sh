#!/usr/bin/env bash
# Archiving and recovery throughput through wal-ed to Azure Blob Storage
# (Azurite, which checks SharedKey signatures) beside S3 (the SigV4-checking
# s3rver fork) in the same run, on the same WAL: N segments of 16 MiB
# already .ready (pgbench WAL) archived through the daemon, timed until
# pg_stat_archiver has them all; then a copy of the cluster taken before
# that WAL recovers from the archive alone through the daemon (wal-fetch
# with prefetch), timed until it promotes at the end of the archive. Both
# peers keep their data on disk.
#   bench/azure_archive_throughput.sh [N=200]
set -euo pipefail
source "$(dirname "$0")/lib/single.sh" azure
N=${1:-200}
pids=()
cleanup() {
  for d in pg rec; do as_pg "$PG_BIN/pg_ctl" -D "$W/$d" -m immediate stop > /dev/null 2>&1 || true; done
  for p in "${pids[@]}"; do kill "$p" 2> /dev/null || true; done
  rm -rf "$W"
}
trap cleanup EXIT
[ -x "$here/tests/peers/node_modules/.bin/azurite-blob" ] || (cd "$here/tests/peers" && npm ci --no-audit --no-fund --loglevel=error)
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
azurite_key=Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==

echo "making $N segments of pgbench WAL with archiving held back ..." >&2
start_cluster 5452 false 64MB
as_pg "$PG_BIN/pgbench" -h "$W" -p 5452 -i -s 20 -q postgres > /dev/null 2>&1
as_pg "$PG_BIN/pg_ctl" -D "$W/pg" -m fast stop > /dev/null
cp -a "$W/pg" "$W/base"  # what recovery starts from: everything after it comes from the archive
as_pg "$PG_BIN/pg_ctl" -D "$W/pg" -l "$W/pg.log" -w start > /dev/null
ready=$(make_ready_wal 5452 "$N")
cp -a "$W/pg" "$W/snapshot"

# start_peer s3|azure: starts the peer on a free port with its data in
# $W/data-KIND; sets PEER and ENV.
start_peer() {
  local port
  port=$(free_port)
  rm -rf "$W/data-$1" && mkdir -p "$W/data-$1"
  if [ "$1" = s3 ]; then
    node --openssl-legacy-provider -e "
      const S3rver = require('$here/tests/peers/node_modules/@20minutes/s3rver');
      new S3rver({address: '127.0.0.1', port: $port, directory: '$W/data-s3', silent: true, configureBuckets: [{name: 'walbkt'}]}).run();" \
      > "$W/peer-s3.log" 2>&1 &
    PEER=$!
    ENV=(WALE_S3_PREFIX=s3://walbkt/archive WALE_S3_ENDPOINT="http+path://127.0.0.1:$port" AWS_ACCESS_KEY_ID=S3RVER
         AWS_SECRET_ACCESS_KEY=S3RVER AWS_REGION=us-east-1)
    until curl -s -o /dev/null "http://127.0.0.1:$port/"; do sleep 0.1; done
  else
    node "$here/tests/peers/node_modules/.bin/azurite-blob" --blobHost 127.0.0.1 --blobPort "$port" -l "$W/data-azure" \
      --disableTelemetry --skipApiVersionCheck --silent > "$W/peer-azure.log" 2>&1 &
    PEER=$!
    ENV=(WALE_WABS_PREFIX=wabs://walbox/archive WALE_WABS_ENDPOINT="http://127.0.0.1:$port/devstoreaccount1"
         WABS_ACCOUNT_NAME=devstoreaccount1 WABS_ACCESS_KEY="$azurite_key")
    until AZURE_KEY=$azurite_key python3 "$here/tests/integration/azure_blob.py" create-container \
      "http://127.0.0.1:$port/devstoreaccount1" devstoreaccount1 walbox 2> /dev/null; do sleep 0.2; done
  fi
  pids+=("$PEER")
  ENV+=(WALE_SOCKET="$W/wal-ed.sock" WALE_LOG_DESTINATION=stderr)
}

start_daemon() {
  setpriv --reuid=postgres --regid=postgres --init-groups -- env "${ENV[@]}" "$BIN/wal-ed" --socket "$W/wal-ed.sock" \
    --state-dir "$W/state-$1" 2> "$W/wal-ed-$1.log" &
  DAEMON=$!
  pids+=("$DAEMON")
  while [ ! -S "$W/wal-ed.sock" ]; do sleep 0.1; done
}

stop_daemon() {
  kill "$DAEMON"
  wait "$DAEMON" 2> /dev/null || true
  rm -f "$W/wal-ed.sock"
}

# run s3|azure: sets ARCHIVE_S and RECOVERY_S (in this shell, so that the
# cleanup knows every process it started).
run() {
  local kind=$1 start
  rm -rf "$W/pg" "$W/rec" "$W/state-$kind"* && cp -a "$W/snapshot" "$W/pg"
  start_peer "$kind"
  start_daemon "$kind"
  sed -i "s|^archive_command = .*|archive_command = '$BIN/wal-e wal-push %p'|" "$W/pg/postgresql.conf"
  start=$(now)
  as_pg env "${ENV[@]}" "$PG_BIN/pg_ctl" -D "$W/pg" -l "$W/pg-$kind.log" -w start > /dev/null
  while [ "$(as_pg psql -h "$W" -p 5452 -d postgres -Atqc "SELECT archived_count FROM pg_stat_archiver")" -lt "$ready" ]; do sleep 0.1; done
  ARCHIVE_S=$(elapsed "$start")
  as_pg "$PG_BIN/pg_ctl" -D "$W/pg" -m immediate stop > /dev/null
  echo "$kind: wal-ed peak RSS after archiving $(( $(sed -n 's/VmHWM:\s*\([0-9]*\) kB/\1/p' /proc/$DAEMON/status) / 1024 )) MiB" >&2
  stop_daemon

  cp -a "$W/base" "$W/rec"
  rm -rf "$W/rec/pg_wal"/0* "$W/rec/pg_wal/archive_status"/*
  sed -i "s|^archive_mode = .*|archive_mode = off|" "$W/rec/postgresql.conf"
  echo "restore_command = '$BIN/wal-e wal-fetch %f %p'" >> "$W/rec/postgresql.conf"
  as_pg touch "$W/rec/recovery.signal"
  start_daemon "$kind-recovery"
  start=$(now)
  as_pg env "${ENV[@]}" "$PG_BIN/pg_ctl" -D "$W/rec" -l "$W/rec-$kind.log" start > /dev/null
  until [ "$(as_pg psql -h "$W" -p 5452 -d postgres -Atqc "SELECT pg_is_in_recovery()" 2> /dev/null)" = f ]; do sleep 0.1; done
  RECOVERY_S=$(elapsed "$start")
  as_pg "$PG_BIN/pg_ctl" -D "$W/rec" -m immediate stop > /dev/null
  stop_daemon
  kill "$PEER"
  wait "$PEER" 2> /dev/null || true
}

run s3
s3_archive=$ARCHIVE_S s3_recovery=$RECOVERY_S
run azure
az_archive=$ARCHIVE_S az_recovery=$RECOVERY_S
wal_bytes=$((ready * 16 * 1024 * 1024))
rate() { awk -v b="$wal_bytes" -v s="$1" -v n="$ready" 'BEGIN { printf "%.1f segments/s, %.0f MB/s", n / s, b / 1e6 / s }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", b / a }'; }
cat <<REPORT
machine: $(machine)
$ready segments of 16 MiB (pgbench WAL), through wal-ed over HTTP on loopback; both peers store on disk

| store | archiving s | archiving | recovery s | recovery |
| --- | ---: | --- | ---: | --- |
| S3 (s3rver fork, SigV4 checked) | $s3_archive | $(rate "$s3_archive") | $s3_recovery | $(rate "$s3_recovery") |
| Azure (Azurite 3.35, SharedKey checked) | $az_archive | $(rate "$az_archive") | $az_recovery | $(rate "$az_recovery") |

Azure's throughput relative to S3's: archiving $(ratio "$az_archive" "$s3_archive"), recovery $(ratio "$az_recovery" "$s3_recovery") (1.00 = the same; 0.75 = 25 % slower).
REPORT
