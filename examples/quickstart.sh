#!/usr/bin/env bash
# wal-e quick start: a throwaway PostgreSQL 15 cluster that archives its WAL
# through wal-ed to a local directory store, then a copy of it restored
# from that archive alone. Everything lives in one directory (default
# /tmp/wal-e-quickstart) and is stopped at the end; pass --keep to leave
# the cluster, the daemon and the archive running for a look around.
#
#   examples/quickstart.sh [--keep] [DIR]
#
# Run it as root (PostgreSQL and wal-ed then run as the postgres user) or
# as the user who should own the cluster. wal-e and wal-ed are taken from
# build/bin, else from PATH.
set -euo pipefail

keep=""
[ "${1:-}" = --keep ] && { keep=1; shift; }
W=$(realpath -m "${1:-/tmp/wal-e-quickstart}")
here=$(cd "$(dirname "$0")/.." && pwd)
BIN=$here/build/bin
[ -x "$BIN/wal-e" ] || BIN=$(dirname "$(command -v wal-e)")
PG_BIN=/usr/lib/postgresql/15/bin
user=$(id -un)
[ "$user" = root ] && user=postgres
run() { if [ "$(id -u)" = 0 ]; then HOME=$W setpriv --reuid="$user" --regid="$user" --init-groups -- "$@"; else "$@"; fi; }
say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

say "setting up $W"
if [ -f "$W/primary/postmaster.pid" ]; then run "$PG_BIN/pg_ctl" -D "$W/primary" -m immediate stop || true; fi
if [ -f "$W/copy/postmaster.pid" ]; then run "$PG_BIN/pg_ctl" -D "$W/copy" -m immediate stop || true; fi
[ -f "$W/wal-ed.pid" ] && kill "$(cat "$W/wal-ed.pid")" 2>/dev/null || true
rm -rf "$W"
mkdir -p "$W/env" "$W/run" "$W/archive"
# WAL-E's configuration style: an envdir, one file per variable, shared by
# archive_command, restore_command and the daemon.
echo "file://localhost$W/archive" > "$W/env/WALE_FILE_PREFIX"
echo "$W/run/wal-ed.sock" > "$W/env/WALE_SOCKET"
echo "stderr" > "$W/env/WALE_LOG_DESTINATION"
[ "$(id -u)" = 0 ] && chown -R "$user": "$W"

say "starting wal-ed (journal in $W/state, socket $W/run/wal-ed.sock)"
( [ "$(id -u)" = 0 ] && exec setpriv --reuid="$user" --regid="$user" --init-groups -- \
    envdir "$W/env" "$BIN/wal-ed" --socket "$W/run/wal-ed.sock" --state-dir "$W/state"
  exec envdir "$W/env" "$BIN/wal-ed" --socket "$W/run/wal-ed.sock" --state-dir "$W/state" ) > "$W/wal-ed.log" 2>&1 &
echo $! > "$W/wal-ed.pid"
for _ in $(seq 100); do [ -S "$W/run/wal-ed.sock" ] && break; sleep 0.1; done
[ -S "$W/run/wal-ed.sock" ] || { cat "$W/wal-ed.log"; exit 1; }

say "creating a cluster that archives with: archive_command = 'envdir $W/env wal-e wal-push %p'"
run "$PG_BIN/initdb" -D "$W/primary" -A trust -U postgres --no-instructions > "$W/initdb.log"
cat >> "$W/primary/postgresql.conf" <<CONF
listen_addresses = ''
unix_socket_directories = '$W/run'
port = 5499
wal_level = replica
archive_mode = on
archive_command = 'envdir $W/env $BIN/wal-e wal-push %p'
CONF
run "$PG_BIN/pg_ctl" -D "$W/primary" -l "$W/primary.log" -w start > /dev/null
sql() { run psql -X -h "$W/run" -p "$1" -U postgres -d postgres -Atqc "$2"; }

say "writing data with pgbench"
run "$PG_BIN/pgbench" -h "$W/run" -p 5499 -U postgres -i -s 2 -q postgres 2>&1 | tail -n 1
run "$PG_BIN/pg_basebackup" -h "$W/run" -p 5499 -U postgres -D "$W/copy" -X none -c fast
run "$PG_BIN/pgbench" -h "$W/run" -p 5499 -U postgres -n -T 5 postgres | grep -E "^tps"
target=$(sql 5499 "SELECT pg_walfile_name(pg_current_wal_lsn())")
sql 5499 "SELECT pg_switch_wal()" > /dev/null
for _ in $(seq 600); do
  last=$(sql 5499 "SELECT coalesce(last_archived_wal, '') FROM pg_stat_archiver")
  [[ "$last" > "$target" || "$last" == "$target" ]] && break
  sleep 0.1
done
sql 5499 "SELECT 'archived ' || archived_count || ' WAL files, ' || failed_count || ' failures' FROM pg_stat_archiver"
echo "wal-e status:"
run env WALE_SOCKET="$W/run/wal-ed.sock" "$BIN/wal-e" status
before=$(sql 5499 "SELECT count(*) || ' rows, sum ' || sum(abalance) FROM pgbench_accounts")
run "$PG_BIN/pg_ctl" -D "$W/primary" -w stop > /dev/null

say "restoring a copy from the archive: restore_command = 'envdir $W/env wal-e wal-fetch %f %p'"
cat >> "$W/copy/postgresql.conf" <<CONF
port = 5498
archive_mode = off
restore_command = 'envdir $W/env $BIN/wal-e wal-fetch %f %p'
CONF
run touch "$W/copy/recovery.signal"
run "$PG_BIN/pg_ctl" -D "$W/copy" -l "$W/copy.log" -w start > /dev/null
for _ in $(seq 600); do [ "$(sql 5498 "SELECT pg_is_in_recovery()" 2>/dev/null)" = f ] && break; sleep 0.1; done
after=$(sql 5498 "SELECT count(*) || ' rows, sum ' || sum(abalance) FROM pgbench_accounts")
echo "primary: pgbench_accounts $before"
echo "copy:    pgbench_accounts $after"
[ "$before" = "$after" ] || { echo "the restored copy differs from the primary" >&2; exit 1; }

if [ -n "$keep" ]; then
  say "left running: the copy (port 5498, socket dir $W/run) and wal-ed; archive in $W/archive"
else
  run "$PG_BIN/pg_ctl" -D "$W/copy" -w stop > /dev/null
  kill "$(cat "$W/wal-ed.pid")"
  say "done: the copy matches the primary (everything is in $W; run with --keep to leave it running)"
fi
