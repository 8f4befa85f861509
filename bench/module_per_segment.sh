#!/usr/bin/env bash
# What the archive module costs per segment when wal-ed already has the
# segment (its journal answers), next to the floor: PostgreSQL's archiver
# with a module that stores nothing (bench/lib/null_archive.c: its own
# loop, directory scans, .ready to .done, statistics), and next to
# archive_command = 'wal-e wal-push %p' through the same daemon. Each
# candidate archives the same N segments (1 MiB, all .ready again before
# every round) in R rounds; a round runs from the reload that lets the
# archiver start (it is loaded unconfigured) to pg_stat_archiver.
# last_archived_time of the N-th segment, both on PostgreSQL's clock.
# Next to that wall time (which the machine's load stretches: every segment
# is two wake-ups across processes), the CPU time per segment: the
# archiver's own (with its archive_command children) and wal-ed's.
# PostgreSQL runs with fsync = off, as in bench/run.sh: the .ready to .done
# rename is then not fsynced (with fsync on, that cost is the same for
# every candidate).
#   bench/module_per_segment.sh [SEGMENTS=500] [ROUNDS=5]
# Run as root on Debian 12 with PostgreSQL 15 and its server headers
# (postgresql-server-dev-15), after scripts/build.sh.
set -euo pipefail
n=${1:-500}
rounds=${2:-5}
source "$(dirname "$0")/lib/single.sh" module-per-segment
MODULE_DIR=$here/build/lib/postgresql/15
[ -f "$MODULE_DIR/wal_e_archive.so" ] || { echo "no $MODULE_DIR/wal_e_archive.so: build first (scripts/build.sh)" >&2; exit 1; }
daemon=
cleanup() {
  as_pg "$PG_BIN/pg_ctl" -D "$W/pg" -m immediate stop > /dev/null 2>&1 || true
  [ -n "$daemon" ] && kill "$daemon" 2> /dev/null
  rm -rf "$W"
}
trap cleanup EXIT
psql_q() { as_pg "$PG_BIN/psql" -X -h "$W" -p 5497 -d postgres -Atq -v ON_ERROR_STOP=1 -c "$1"; }

mkdir -p "$W/null" "$W/store" "$W/run"
gcc -shared -fPIC -O2 -I"$("$PG_BIN/pg_config" --includedir-server)" -o "$W/null/null_archive.so" "$here/bench/lib/null_archive.c"
chown -R postgres: "$W"
as_pg "$PG_BIN/initdb" -D "$W/pg" -A trust -U postgres --wal-segsize=1 > /dev/null
cat >> "$W/pg/postgresql.conf" <<CONF
listen_addresses = ''
unix_socket_directories = '$W'
port = 5497
fsync = off
archive_mode = on
archive_command = ''
wal_keep_size = 4GB
max_wal_size = 4GB
checkpoint_timeout = 1d
log_min_messages = error
dynamic_library_path = '$MODULE_DIR:$W/null:\$libdir'
include_if_exists = 'candidate.conf'
CONF
as_pg "$PG_BIN/pg_ctl" -D "$W/pg" -l "$W/pg.log" -w start > /dev/null
psql_q "CREATE TABLE t (x int); DO \$\$ BEGIN FOR i IN 1..$n LOOP INSERT INTO t VALUES (i); PERFORM pg_switch_wal(); END LOOP; END \$\$"
segments=$(find "$W/pg/pg_wal/archive_status" -name '*.ready' | wc -l)

sock=$W/run/wal-ed.sock
# exec, so that $! is wal-ed itself
(exec setpriv --reuid=postgres --regid=postgres --init-groups -- env WALE_FILE_PREFIX="file://localhost$W/store" \
   WALE_LOG_DESTINATION=stderr "$BIN/wal-ed" --socket "$sock" --state-dir "$W/state") > "$W/daemon.log" 2>&1 &
daemon=$!
for _ in $(seq 100); do [ -S "$sock" ] && break; sleep 0.1; done

# candidate NAME 'conf lines' 'SQL that starts archiving': sets up the
# next candidate (a restart: archive_library is read at the archiver's start).
candidate() {
  printf '%s\n' "$2" > "$W/pg/candidate.conf"
  chown postgres: "$W/pg/candidate.conf"
  psql_q "ALTER SYSTEM RESET ALL"
  as_pg "$PG_BIN/pg_ctl" -D "$W/pg" -m fast -w restart -l "$W/pg.log" > /dev/null
  NAME=$1 START=$3
}
# cpu_ns PID: CPU time of a process (every thread) and of its children it
# waited for, in ns.
cpu_ns() {
  /usr/bin/python3 -c '
import os, sys
pid = sys.argv[1]
ns = sum(int(open(f"/proc/{pid}/task/{t}/schedstat").read().split()[0]) for t in os.listdir(f"/proc/{pid}/task"))
f = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
print(ns + (int(f[13]) + int(f[14])) * 10**9 // os.sysconf("SC_CLK_TCK"))' "$1"
}
# one_round: every segment .ready again, then the wall time, the archiver's
# and wal-ed's CPU time per segment in ms appended to $W/round.ms.
one_round() {
  psql_q "ALTER SYSTEM RESET ALL" > /dev/null
  psql_q "SELECT pg_reload_conf()" > /dev/null
  sleep 1  # the archiver has read the reset: it is idle
  local f
  for f in "$W"/pg/pg_wal/archive_status/*.done; do [ -e "$f" ] && mv "$f" "${f%.done}.ready"; done
  psql_q "SELECT pg_stat_reset_shared('archiver')" > /dev/null
  psql_q "$START"
  local t0 row archiver a0 d0
  archiver=$(psql_q "SELECT pid FROM pg_stat_activity WHERE backend_type = 'archiver'")
  a0=$(cpu_ns "$archiver") d0=$(cpu_ns "$daemon")
  t0=$(psql_q "SELECT extract(epoch FROM clock_timestamp()) FROM (SELECT pg_reload_conf()) r")
  while :; do
    row=$(psql_q "SELECT archived_count, coalesce(extract(epoch FROM last_archived_time), 0) FROM pg_stat_archiver")
    [ "${row%%|*}" -ge "$segments" ] && break
    sleep 0.05
  done
  awk -v a="$t0" -v b="${row#*|}" -v n="$segments" -v ac="$(($(cpu_ns "$archiver") - a0))" -v dc="$(($(cpu_ns "$daemon") - d0))" \
    'BEGIN { printf "%.4f %.4f %.4f\n", (b - a) * 1000 / n, ac / 1e6 / n, dc / 1e6 / n }' >> "$W/round.ms"
}
measure() {
  local i
  : > "$W/round.ms"
  for ((i = 0; i < rounds; i++)); do one_round; done
  sort -n "$W/round.ms" | awk -v name="$NAME" '{ v[NR] = $1; a[NR] = $2; d[NR] = $3 } END {
    m = int((NR + 1) / 2); printf "%s\t%s\t%s\t%s\t%s\t%s\n", name, v[m], v[1], v[NR], a[m], d[m] }' >> "$W/results.tsv"
}

echo "$(machine); $segments segments of 1 MiB, $rounds rounds each" >&2
candidate "archive module (wal_e_archive)" "archive_library = 'wal_e_archive'
wal_e.socket = ''" "ALTER SYSTEM SET wal_e.socket = '$sock'"
one_round  # the first pass stores the segments
measure
candidate "null module (the archiver alone)" "archive_library = 'null_archive'
null_archive.enabled = off" "ALTER SYSTEM SET null_archive.enabled = on"
measure
candidate "archive_command, wal-e shim" "" "ALTER SYSTEM SET archive_command = 'env WALE_SOCKET=$sock WALE_FILE_PREFIX=file://localhost$W/store WALE_LOG_DESTINATION=stderr $BIN/wal-e wal-push %p'"
measure

# Which clients wal-ed served: the module's requests and the shim's.
as_pg env WALE_SOCKET="$sock" "$BIN/wal-e" status 2> /dev/null \
  | /usr/bin/python3 -c 'import json, sys; c = json.load(sys.stdin)["clients"]; print("wal-ed served: " + ", ".join("%s %d requests" % (k, v["requests"]) for k, v in c.items()))' >&2
awk -F'\t' 'BEGIN { printf "%-34s %10s %8s %8s %10s %14s %12s\n", "per segment, already stored", "median ms", "min ms", "max ms", "vs floor", "archiver CPU", "wal-ed CPU" }
  { name[NR] = $1; med[NR] = $2; lo[NR] = $3; hi[NR] = $4; ac[NR] = $5; dc[NR] = $6 }
  END { for (i = 1; i <= NR; i++) printf "%-34s %10.4f %8.4f %8.4f %+10.4f %11.4f ms %9.4f ms\n", name[i], med[i], lo[i], hi[i], med[i] - med[2], ac[i], dc[i] }' "$W/results.tsv"
