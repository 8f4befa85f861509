# Shared by the archiving benches (backends.sh, s3_archive_throughput.sh,
# swift_archive_throughput.sh), sourced after single.sh: the WAL to
# archive, one timed archiving run, one timed recovery, and cleanup.
# Every process they start is in pids, in this shell (never in a command
# substitution), so that archive_cleanup, run at exit, stops it whatever
# happens.
#   make_ready_segments N            $W/snapshot: a stopped cluster with N .ready segments of 16 MiB (pgbench WAL),
#                                    $W/base: the same cluster before that WAL; sets READY
#   time_archiving MODE VAR=VALUE... archive a fresh copy of the snapshot to the store the variables name, through
#                                    wal-ed (MODE daemon) or in-process (in-process); sets ARCHIVE_S, the seconds
#                                    until pg_stat_archiver counts them all (connections and wal-ed's peak RSS on stderr)
#   time_recovery VAR=VALUE...       a copy of the base recovers from that store alone (restore_command wal-fetch
#                                    through wal-ed); sets RECOVERY_S, the seconds until it promotes at the end
#   archive_rate SECONDS             "x segments/s, y MB/s of WAL"
#   cpu_seconds PID...               CPU seconds (user + system, with the children they waited for) used so far by
#                                    these processes and every descendant alive now
# stop_daemon sets DAEMON_CPU_S, the CPU seconds the stopped wal-ed used.
PORT=5451
pids=()
stop_pids() {  # TERM, then KILL what is left after 10 s
  local p=''
  for p in "${pids[@]}"; do kill "$p" 2> /dev/null || true; done
  for _ in $(seq 100); do
    for p in "${pids[@]}"; do kill -0 "$p" 2> /dev/null && break; done
    kill -0 "$p" 2> /dev/null || return 0
    sleep 0.1
  done
  for p in "${pids[@]}"; do kill -9 "$p" 2> /dev/null || true; done
}
archive_cleanup() {
  local d
  for d in pg rec; do
    [ -f "$W/$d/postmaster.pid" ] && as_pg "$PG_BIN/pg_ctl" -D "$W/$d" -m immediate stop > /dev/null 2>&1 || true
  done
  stop_pids
  rm -rf "$W"
}
trap archive_cleanup EXIT
trap 'exit 130' INT TERM

make_ready_segments() {
  echo "making $1 segments of pgbench WAL with archiving held back ..." >&2
  # Frequent checkpoints (max_wal_size 64MB): full-page images make WAL
  # quickly, as on a busy server; the failing archive_command keeps every
  # segment.
  start_cluster $PORT false 64MB
  as_pg "$PG_BIN/pgbench" -h "$W" -p $PORT -i -s 20 -q postgres > /dev/null 2>&1
  as_pg "$PG_BIN/pg_ctl" -D "$W/pg" -m fast stop > /dev/null
  cp -a "$W/pg" "$W/base"  # what recovery starts from: everything after it comes from the archive
  as_pg "$PG_BIN/pg_ctl" -D "$W/pg" -l "$W/pg.log" -w start > /dev/null
  READY=$(make_ready_wal $PORT "$1")
  mv "$W/pg" "$W/snapshot"
  # PostgreSQL 15 keeps its statistics across a clean stop: without them,
  # pg_stat_archiver counts this run's archiving alone (not the failures above).
  rm -f "$W/snapshot/pg_stat"/*
}

daemons=0
start_daemon() {  # start_daemon VAR=VALUE...: a fresh wal-ed with its own journal; sets DAEMON
  daemons=$((daemons + 1))
  setpriv --reuid=postgres --regid=postgres --init-groups -- env "$@" "$BIN/wal-ed" --socket "$W/wal-ed.sock" \
    --state-dir "$W/state-$daemons" 2>> "$W/wal-ed.log" &
  DAEMON=$!
  pids+=("$DAEMON")
  while [ ! -S "$W/wal-ed.sock" ]; do
    kill -0 "$DAEMON" 2> /dev/null || { tail -n 5 "$W/wal-ed.log" >&2; return 1; }
    sleep 0.1
  done
}

cpu_seconds() {
  "$PY" - "$@" <<'PY'
import os, sys
def stat(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            text = f.read()
    except OSError:
        return None
    return text[text.rindex(")") + 2:].split()  # fields from the state on
children = {}
for entry in os.listdir("/proc"):
    if entry.isdigit() and (fields := stat(entry)):
        children.setdefault(fields[1], []).append(entry)
todo, seen, ticks = list(sys.argv[1:]), set(), 0
while todo:
    pid = todo.pop()
    if pid in seen or not (fields := stat(pid)):
        continue
    seen.add(pid)
    ticks += sum(int(v) for v in fields[11:15])  # utime stime cutime cstime
    todo += children.get(pid, [])
print(f"{ticks / os.sysconf('SC_CLK_TCK'):.2f}")
PY
}

stop_daemon() {
  DAEMON_CPU_S=$(cpu_seconds "$DAEMON")
  echo "wal-ed peak RSS: $(( $(sed -n 's/VmHWM:\s*\([0-9]*\) kB/\1/p' "/proc/$DAEMON/status") / 1024 )) MiB" >&2
  kill "$DAEMON"
  while kill -0 "$DAEMON" 2> /dev/null; do sleep 0.1; done
  rm -f "$W/wal-ed.sock"
}

sql() { as_pg psql -h "$W" -p $PORT -d postgres -Atqc "$1"; }

# still_running DIR START: fails, with the end of its log, when the cluster in
# $W/DIR has stopped or has not got there in 20 minutes (a store that refuses
# everything would otherwise keep PostgreSQL retrying for ever).
still_running() {
  local log=$W/pg-archiving.log
  [ "$1" = rec ] && log=$W/rec.log
  if [ ! -f "$W/$1/postmaster.pid" ] || [ "$(elapsed "$2" | cut -d. -f1)" -ge 1200 ]; then
    echo "$1: no end in sight; the end of $log:" >&2
    tail -n 5 "$log" >&2
    return 1
  fi
}

time_archiving() {
  local mode=$1; shift
  local env=("$@" WALE_SOCKET="$W/wal-ed.sock" WALE_LOG_DESTINATION=stderr) start failed
  rm -rf "$W/pg" && cp -a "$W/snapshot" "$W/pg"
  [ "$mode" = daemon ] && start_daemon "${env[@]}"
  sed -i "s|^archive_command = .*|archive_command = '$BIN/wal-e wal-push %p'|" "$W/pg/postgresql.conf"
  sync
  start=$(now)
  as_pg env "${env[@]}" "$PG_BIN/pg_ctl" -D "$W/pg" -l "$W/pg-archiving.log" -w start > /dev/null
  until [ "$(sql "SELECT archived_count FROM pg_stat_archiver")" -ge "$READY" ]; do
    still_running pg "$start"
    sleep 0.1
  done
  ARCHIVE_S=$(elapsed "$start")
  failed=$(sql "SELECT failed_count FROM pg_stat_archiver")
  [ "$failed" = 0 ] || echo "warning: $failed archive_command failures (see $W/pg-archiving.log); the time includes PostgreSQL's retries" >&2
  as_pg "$PG_BIN/pg_ctl" -D "$W/pg" -m immediate stop > /dev/null
  if [ "$mode" = daemon ]; then
    grep -o '"store_connections_opened": [0-9]*' <(as_pg env WALE_SOCKET="$W/wal-ed.sock" "$BIN/wal-e" status 2> /dev/null) >&2 || true
    stop_daemon
  fi
  return 0
}

time_recovery() {
  local env=("$@" WALE_SOCKET="$W/wal-ed.sock" WALE_LOG_DESTINATION=stderr) start
  rm -rf "$W/rec" && cp -a "$W/base" "$W/rec"
  rm -rf "$W/rec/pg_wal"/0* "$W/rec/pg_wal/archive_status"/*
  sed -i "s|^archive_mode = .*|archive_mode = off|" "$W/rec/postgresql.conf"
  echo "restore_command = '$BIN/wal-e wal-fetch %f %p'" >> "$W/rec/postgresql.conf"
  as_pg touch "$W/rec/recovery.signal"
  start_daemon "${env[@]}"
  sync
  start=$(now)
  as_pg env "${env[@]}" "$PG_BIN/pg_ctl" -D "$W/rec" -l "$W/rec.log" start > /dev/null
  until [ "$(sql "SELECT pg_is_in_recovery()" 2> /dev/null)" = f ]; do
    still_running rec "$start"
    sleep 0.1
  done
  RECOVERY_S=$(elapsed "$start")
  as_pg "$PG_BIN/pg_ctl" -D "$W/rec" -m immediate stop > /dev/null
  stop_daemon
}

archive_rate() {
  awk -v b="$((READY * 16 * 1024 * 1024))" -v s="$1" -v n="$READY" 'BEGIN { printf "%.1f segments/s, %.0f MB/s of WAL", n / s, b / 1e6 / s }'
}
