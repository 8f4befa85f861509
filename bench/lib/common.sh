# Helpers for bench/run.sh (sourced, never run): the scratch directory,
# PostgreSQL 15 clusters run as postgres, wal-ed, pgBackRest stanzas, the
# S3 peer behind stunnel, the sampler, and the results file.
# Everything started here is stopped by PID at exit.

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
SOURCE_DIR=$(cd "$BENCH_DIR/.." && pwd)
PG_BIN=/usr/lib/postgresql/15/bin
RUN_USER=postgres
PY=/usr/bin/python3
PG_PORT=5432            # Unix socket only, in $W/sock: no clash with other clusters
SEG=16777216

log() { printf '%s %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

as_user() { HOME=$W setpriv --reuid="$RUN_USER" --regid="$RUN_USER" --init-groups -- "$@"; }

# --- results: one "key<TAB>value" line per figure, read by report.py -----------

res() { printf '%s\t%s\n' "$1" "$2" >> "$W/results.tsv"; }

# --- process bookkeeping ---------------------------------------------------------

remember_pid() { echo "$1" >> "$W/.pids"; }
remember_cluster() { echo "$1" >> "$W/.clusters"; }

bench_cleanup() {
  local rc=$?
  set +e
  if [ -n "${W:-}" ] && [ -d "$W" ]; then
    if [ -f "$W/.clusters" ]; then
      while read -r dir; do
        [ -f "$dir/postmaster.pid" ] && as_user "$PG_BIN/pg_ctl" -D "$dir" -m immediate stop > /dev/null 2>&1
      done < "$W/.clusters"
    fi
    if [ -f "$W/.pids" ]; then
      while read -r pid; do kill "$pid" 2> /dev/null; done < "$W/.pids"
      sleep 0.5
      while read -r pid; do kill -9 "$pid" 2> /dev/null; done < "$W/.pids"
    fi
    stop_pgbackrest_async
    if [ "$rc" != 0 ]; then
      log "failed (status $rc); logs are in $W/logs"
      for f in "$W"/logs/*.log; do [ -f "$f" ] && { echo "==== $f (last 15 lines)" >&2; tail -n 15 "$f" >&2; }; done
    fi
    if [ "${KEEP:-0}" = 1 ] || [ "$rc" != 0 ]; then log "kept $W"; else rm -rf "$W"; fi
  fi
  exit "$rc"
}

wait_for() {  # wait_for SECONDS CMD...: until CMD succeeds
  local end=$((SECONDS + $1)); shift
  until "$@"; do [ $SECONDS -lt $end ] || return 1; sleep 0.1; done
}

free_port() { "$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
port_open() { "$PY" -c "import socket; socket.create_connection(('127.0.0.1', $1), 1)" 2> /dev/null; }

now() { date +%s.%N; }
elapsed() { "$PY" -c "import sys; print(f'{float(sys.argv[2]) - float(sys.argv[1]):.3f}')" "$1" "$2"; }

# --- caches ------------------------------------------------------------------------

# Before every timed run: write back dirty pages, then either read the
# run's inputs once (warm: the machine has RAM for all of them) or drop the
# page cache (cold).
prepare_cache() {  # prepare_cache DIR...: the inputs of the next run
  sync
  if [ "$CACHE" = cold ]; then
    echo 3 > /proc/sys/vm/drop_caches
  else
    local d
    for d in "$@"; do [ -e "$d" ] && find "$d" -type f -print0 | xargs -0 -r cat > /dev/null; done
  fi
}

# --- PostgreSQL ---------------------------------------------------------------------

PGSOCK_DIR() { echo "$W/sock"; }

pg_init() {  # pg_init DIR: a 16 MiB-segment cluster, archiving on but paused (empty archive_command)
  local dir=$1
  as_user "$PG_BIN/initdb" -D "$dir" -A trust -U postgres --no-instructions > "$W/logs/initdb.log" 2>&1
  cat >> "$dir/postgresql.conf" <<CONF
# bench/run.sh
listen_addresses = ''
port = $PG_PORT
unix_socket_directories = '$W/sock'
max_connections = 40
shared_buffers = 256MB
fsync = off
synchronous_commit = off
full_page_writes = on
wal_level = replica
max_wal_size = 1GB
checkpoint_timeout = 60s
archive_mode = on
archive_command = ''
hot_standby = on
logging_collector = off
log_min_messages = warning
log_checkpoints = off
CONF
}

pg_set() { printf '%s\n' "$2" >> "$1/postgresql.conf"; }

pg_start() {  # pg_start DIR [VAR=VALUE...]: the environment archive_command/restore_command see
  local dir=$1; shift
  remember_cluster "$dir"
  as_user env "$@" "$PG_BIN/pg_ctl" -D "$dir" -l "$dir/server.log" -w -t 300 start > /dev/null
}

pg_stop() { as_user "$PG_BIN/pg_ctl" -D "$1" -m "${2:-fast}" -w -t 300 stop > /dev/null; }

psql_q() { as_user "$PG_BIN/psql" -X -h "$W/sock" -p "$PG_PORT" -d postgres -Atq -v ON_ERROR_STOP=1 -c "$1"; }

pgbench_run() { as_user "$PG_BIN/pgbench" -h "$W/sock" -p "$PG_PORT" "$@" postgres; }

ready_count() { find "$1/pg_wal/archive_status" -name '*.ready' | wc -l; }

# clone_cluster SRC DST: a copy of a stopped cluster to run. Completed
# segments (those with a .ready or .done file) are hard links: nothing
# writes to a completed segment, the copy is quick, and every candidate
# reads the very same inodes from the same page cache. The runs that use
# clones stop them with -m immediate and disable checkpoints, so that no
# linked segment is ever recycled (renamed and overwritten). Everything
# else, including the current segment, is copied.
clone_cluster() { copy_of_cluster link "$1" "$2"; }
# fresh_cluster SRC DST: a copy of a stopped cluster with files of its
# own, as a user's cluster has; the segments already archived (.done) are
# left out, as a checkpoint would have recycled them.
fresh_cluster() { copy_of_cluster fresh "$1" "$2"; }
copy_of_cluster() {
  local how=$1 src=$2 dst=$3 f base status
  rm -rf "$dst"
  mkdir -p "$dst/pg_wal/archive_status"
  for f in "$src"/* "$src"/.[!.]*; do
    [ -e "$f" ] || continue
    base=$(basename "$f")
    [ "$base" = pg_wal ] && continue
    cp -a "$f" "$dst/"
  done
  for f in "$src"/pg_wal/*; do
    base=$(basename "$f")
    [ "$base" = archive_status ] && continue
    status=other
    [ -e "$src/pg_wal/archive_status/$base.ready" ] && status=ready
    [ -e "$src/pg_wal/archive_status/$base.done" ] && status=done
    case $how:$status in
      link:ready|link:done) ln "$f" "$dst/pg_wal/$base" ;;
      fresh:done) ;;
      *) cp -a "$f" "$dst/pg_wal/" ;;
    esac
  done
  for f in "$src"/pg_wal/archive_status/*; do
    [ -e "$f" ] || continue
    [ "$how" = fresh ] && [[ $f == *.done ]] && continue
    cp -a "$f" "$dst/pg_wal/archive_status/"
  done
  rm -f "$dst/postmaster.pid" "$dst/server.log"
  chown -R "$RUN_USER": "$dst"
  chmod 0700 "$dst"
}

# --- wal-ed ----------------------------------------------------------------------------

DAEMON_PID=
# start_daemon TAG VAR=VALUE...: a fresh wal-ed (new state directory) with
# the given store environment; logs to $W/logs/wal-ed-TAG.log.
start_daemon() { local tag=$1; shift; start_daemon_plain "$tag" "$@" WALE_LOG_DESTINATION=stderr; }
# start_daemon_plain TAG VAR=VALUE...: the same with nothing else in its
# environment (its log goes where a daemon's goes by default).
start_daemon_plain() {
  local tag=$1; shift
  DAEMON_SOCKET=$W/run/wal-ed.sock
  DAEMON_LOG=$W/logs/wal-ed-$tag.log
  rm -rf "$W/state-$tag"
  (exec setpriv --reuid="$RUN_USER" --regid="$RUN_USER" --init-groups -- env HOME="$W" "$@" \
     "$BIN/wal-ed" --socket "$DAEMON_SOCKET" --state-dir "$W/state-$tag") > "$DAEMON_LOG" 2>&1 &
  DAEMON_PID=$!
  disown "$DAEMON_PID"
  remember_pid "$DAEMON_PID"
  wait_for 30 daemon_ready || die "wal-ed did not become ready (see $DAEMON_LOG)"
}
daemon_ready() { grep -q "wal-ed is ready" "$DAEMON_LOG" 2> /dev/null && [ -S "$DAEMON_SOCKET" ]; }
daemon_hwm_kb() { sed -n 's/^VmHWM:[[:space:]]*\([0-9]*\) kB/\1/p' "/proc/$DAEMON_PID/status" 2> /dev/null || echo 0; }
daemon_status() { as_user env "$@" WALE_SOCKET="$DAEMON_SOCKET" "$BIN/wal-e" status 2> /dev/null; }
stop_daemon() {
  [ -n "$DAEMON_PID" ] || return 0
  kill -TERM "$DAEMON_PID" 2> /dev/null || true
  wait_for 60 bash -c "! kill -0 $DAEMON_PID 2> /dev/null" || kill -9 "$DAEMON_PID" 2> /dev/null || true
  DAEMON_PID=
}

# --- pgBackRest -----------------------------------------------------------------------------

# pgbr_conf FILE DATADIR REPO-KIND(posix|s3) REPO-PATH ASYNC(y|n): a config
# file of its own for every run (its own repository, spool, lock and log
# directories), lz4 at pgBackRest's default level for it, process-max=2.
pgbr_conf() {
  local file=$1 data=$2 kind=$3 repo=$4 async=$5 d
  d=$(dirname "$file")
  mkdir -p "$d/spool" "$d/lock" "$d/log"
  {
    echo "[global]"
    if [ "$kind" = s3 ]; then
      echo "repo1-type=s3"
      echo "repo1-path=$repo"
      echo "repo1-s3-bucket=$S3_BUCKET"
      echo "repo1-s3-endpoint=127.0.0.1"
      echo "repo1-s3-port=$TLS_PORT"
      echo "repo1-s3-region=us-east-1"
      echo "repo1-s3-key=S3RVER"
      echo "repo1-s3-key-secret=S3RVER"
      echo "repo1-s3-uri-style=path"
      echo "repo1-s3-ca-file=$CA_FILE"
    else
      echo "repo1-path=$repo"
    fi
    echo "compress-type=lz4"
    echo "archive-async=$async"
    echo "process-max=2"
    echo "spool-path=$d/spool"
    echo "lock-path=$d/lock"
    echo "log-path=$d/log"
    echo "log-level-console=warn"
    echo "log-level-stderr=warn"
    echo "log-level-file=info"
    echo "start-fast=y"
    echo "[bench]"
    echo "pg1-path=$data"
    echo "pg1-socket-path=$W/sock"
    echo "pg1-port=$PG_PORT"
    echo "pg1-user=postgres"
  } > "$file"
  [ "$kind" = posix ] && mkdir -p "$repo"
  chown -R "$RUN_USER": "$d"
  [ "$kind" = posix ] && chown -R "$RUN_USER": "$repo"
  return 0
}
pgbr() { local conf=$1; shift; as_user pgbackrest --config="$conf" --stanza=bench "$@"; }

# The async archive-push/archive-get processes detach from PostgreSQL; stop
# those of this run (their command lines name our config files).
stop_pgbackrest_async() {
  local pid
  [ -n "${W:-}" ] || return 0
  for pid in $(pgrep -u "$RUN_USER" -x pgbackrest 2> /dev/null); do
    grep -qF -- "$W/" "/proc/$pid/cmdline" 2> /dev/null && kill "$pid" 2> /dev/null
  done
  return 0
}

# --- the S3 peer behind stunnel ------------------------------------------------------------
# s3rver 3.7.1 (tests/peers): the SigV4-checking fork (@20minutes/s3rver)
# drops the trailing slash of bucket-level paths from its canonical
# request, so it refuses pgBackRest's signed `GET /bucket/?list-type=2...`
# (SignatureDoesNotMatch). Both are the same engine; signatures do not
# matter to a benchmark.

S3_BUCKET=walbkt
PEERS_DIR=$SOURCE_DIR/tests/peers

start_s3_peer() {
  if [ ! -d "$PEERS_DIR/node_modules/s3rver" ]; then
    log "installing the S3 peer (npm ci in tests/peers)"
    (cd "$PEERS_DIR" && npm ci --no-audit --no-fund > "$W/logs/npm.log" 2>&1) || die "npm ci failed (see $W/logs/npm.log)"
  fi
  S3_PORT=$(free_port)
  mkdir -p "$W/s3"
  node --openssl-legacy-provider -e "
    const S3rver = require('$PEERS_DIR/node_modules/s3rver');
    new S3rver({address: '127.0.0.1', port: +process.argv[1], directory: process.argv[2], silent: true,
                configureBuckets: [{name: '$S3_BUCKET'}]}).run();" "$S3_PORT" "$W/s3" > "$W/logs/s3rver.log" 2>&1 &
  S3_PID=$!
  disown "$S3_PID"
  remember_pid "$S3_PID"
  wait_for 30 port_open "$S3_PORT" || die "the S3 peer did not listen on $S3_PORT"
  start_tls_proxy "$S3_PORT"
}

# stunnel terminating TLS on TLS_PORT in front of PORT, with a certificate
# for 127.0.0.1 (as an IP and a DNS name: pgBackRest compares DNS names)
# signed by a CA made here (CA_FILE).
start_tls_proxy() {
  local target=$1 d=$W/tls
  TLS_PORT=$(free_port)
  "$SOURCE_DIR/tests/peers/stunnel_conf.sh" "$d" "$target" "$TLS_PORT" DNS:127.0.0.1,IP:127.0.0.1,DNS:localhost
  stunnel4 "$d/stunnel.conf" > "$W/logs/stunnel.log" 2>&1 &
  STUNNEL_PID=$!
  disown "$STUNNEL_PID"
  remember_pid "$STUNNEL_PID"
  wait_for 30 port_open "$TLS_PORT" || die "stunnel did not listen"
  CA_FILE=$d/ca.pem
  chmod 0755 "$d"
  chmod 0644 "$CA_FILE"
  # What wal-ed needs to reach the peer (the prefix is the caller's).
  S3_DAEMON_ENV=(WALE_S3_ENDPOINT="https+path://127.0.0.1:$TLS_PORT" WALE_S3_CA_FILE="$CA_FILE"
                 AWS_ACCESS_KEY_ID=S3RVER AWS_SECRET_ACCESS_KEY=S3RVER AWS_REGION=us-east-1 WALE_LOG_DESTINATION=stderr)
}

# --- the sampler ---------------------------------------------------------------------------

MONITOR_PID=
start_monitor() {  # start_monitor OUT.json [--ready-dir DIR]
  "$PY" "$BENCH_DIR/lib/monitor.py" "$1" --uid "$(id -u "$RUN_USER")" --scope "$W/" --interval 0.2 "${@:2}" &
  MONITOR_PID=$!
  remember_pid "$MONITOR_PID"
}
stop_monitor() {
  [ -n "$MONITOR_PID" ] || return 0
  kill -TERM "$MONITOR_PID" 2> /dev/null || true
  wait "$MONITOR_PID" 2> /dev/null || true
  MONITOR_PID=
}
# json_get FILE EXPR: a value from a JSON file (EXPR in Python on `j`)
json_get() { "$PY" -c "import json,sys; j=json.load(open(sys.argv[1])); v=$2; print(v if v is not None else '')" "$1"; }
