# Shared by the archiving-throughput scripts (s3_archive_throughput.sh,
# swift_archive_throughput.sh), sourced after single.sh: the WAL to
# archive, one timed archiving run, the S3 peer, and cleanup.
#   make_ready_segments N            $W/snapshot: a stopped cluster with N .ready segments of 16 MiB (pgbench WAL); sets READY
#   time_archiving MODE VAR=VALUE... archive a fresh copy of the snapshot to the store the variables name, through
#                                    wal-ed (MODE daemon) or in-process (in-process); prints the seconds until
#                                    pg_stat_archiver counts them all (connections and wal-ed's peak RSS on stderr)
#   start_s3rver_fork DIR PORT       the SigV4-checking s3rver fork with the bucket walbkt in DIR; sets S3RVER_PID
#   archive_rate SECONDS             "x segments/s, y MB/s of WAL"
pids=()
archive_cleanup() {
  as_pg "$PG_BIN/pg_ctl" -D "$W/pg" -m immediate stop > /dev/null 2>&1 || true
  for p in "${pids[@]}"; do kill "$p" 2> /dev/null || true; done
  rm -rf "$W"
}

make_ready_segments() {
  echo "making $1 segments of pgbench WAL with archiving held back ..." >&2
  # Frequent checkpoints (max_wal_size 64MB): full-page images make WAL
  # quickly, as on a busy server; the failing archive_command keeps every
  # segment.
  start_cluster 5451 false 64MB
  as_pg "$PG_BIN/pgbench" -h "$W" -p 5451 -i -s 20 -q postgres > /dev/null 2>&1
  while [ "$(ls "$W/pg/pg_wal/archive_status" | grep -c '\.ready$')" -lt "$1" ]; do
    as_pg "$PG_BIN/pgbench" -h "$W" -p 5451 -n -c 2 -T 5 postgres > /dev/null 2>&1
  done
  as_pg "$PG_BIN/pg_ctl" -D "$W/pg" -m fast stop > /dev/null
  READY=$(ls "$W/pg/pg_wal/archive_status" | grep -c '\.ready$')
  cp -a "$W/pg" "$W/snapshot"
}

time_archiving() {
  local mode=$1; shift
  local env=("$@" WALE_SOCKET="$W/wal-ed.sock" WALE_LOG_DESTINATION=stderr)
  rm -rf "$W/pg" && cp -a "$W/snapshot" "$W/pg"
  local daemon=""
  if [ "$mode" = daemon ]; then
    setpriv --reuid=postgres --regid=postgres --init-groups -- env "${env[@]}" "$BIN/wal-ed" --socket "$W/wal-ed.sock" \
      --state-dir "$W/state-$mode-$RANDOM" 2> "$W/wal-ed.log" &
    daemon=$!
    pids+=("$daemon")
    while [ ! -S "$W/wal-ed.sock" ]; do sleep 0.1; done
  fi
  sed -i "s|^archive_command = .*|archive_command = '$BIN/wal-e wal-push %p'|" "$W/pg/postgresql.conf"
  local start
  start=$(now)
  as_pg env "${env[@]}" "$PG_BIN/pg_ctl" -D "$W/pg" -l "$W/pg-$mode.log" -w start > /dev/null
  while [ "$(as_pg psql -h "$W" -p 5451 -d postgres -Atqc "SELECT archived_count FROM pg_stat_archiver")" -lt "$READY" ]; do sleep 0.1; done
  elapsed "$start"
  if [ -n "$daemon" ]; then
    grep -o '"store_connections_opened": [0-9]*' <(as_pg env WALE_SOCKET="$W/wal-ed.sock" "$BIN/wal-e" status 2> /dev/null) >&2 || true
    echo "wal-ed peak RSS: $(( $(sed -n 's/VmHWM:\s*\([0-9]*\) kB/\1/p' /proc/$daemon/status) / 1024 )) MiB" >&2
    kill "$daemon"
    while kill -0 "$daemon" 2> /dev/null; do sleep 0.1; done
    rm -f "$W/wal-ed.sock"
  fi
  as_pg "$PG_BIN/pg_ctl" -D "$W/pg" -m immediate stop > /dev/null
}

start_s3rver_fork() {
  [ -d "$here/tests/peers/node_modules/@20minutes/s3rver" ] || (cd "$here/tests/peers" && npm ci --no-audit --no-fund --loglevel=error)
  mkdir -p "$1" && chown postgres: "$1"
  node --openssl-legacy-provider -e "
    const S3rver = require('$here/tests/peers/node_modules/@20minutes/s3rver');
    new S3rver({address: '127.0.0.1', port: +process.argv[2], directory: process.argv[1], silent: true, configureBuckets: [{name: 'walbkt'}]}).run();" \
    "$1" "$2" &
  S3RVER_PID=$!
  pids+=("$S3RVER_PID")
  while ! python3 -c "import socket; socket.create_connection(('127.0.0.1', $2), 1)" 2> /dev/null; do sleep 0.1; done
}

archive_rate() {
  awk -v b="$((READY * 16 * 1024 * 1024))" -v s="$1" -v n="$READY" 'BEGIN { printf "%.1f segments/s, %.0f MB/s of WAL", n / s, b / 1e6 / s }'
}
