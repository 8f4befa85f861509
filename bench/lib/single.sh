# Shared by the single-measurement scripts (backup_throughput.sh,
# compression.sh, module_per_segment.sh and the archiving benches of
# lib/archive.sh): paths, a scratch
# directory owned by postgres, timing, a PostgreSQL 15 cluster on a local
# socket only, and WAL made for archiving.
#   source "$(dirname "$0")/lib/single.sh" NAME
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BIN=$here/build/bin
PG_BIN=/usr/lib/postgresql/15/bin
W=$(mktemp -d "/tmp/wale-bench-$1.XXXXXX")
chown postgres: "$W"
as_pg() { setpriv --reuid=postgres --regid=postgres --init-groups -- "$@"; }
now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.2f", b - a }'; }
machine() { echo "$(nproc) cores, $(sed -n 's/^model name\s*: //p' /proc/cpuinfo | head -n 1), load $(cut -d' ' -f1-3 /proc/loadavg)"; }

# start_cluster PORT ARCHIVE_COMMAND MAX_WAL_SIZE: initdb in $W/pg, then
# start it with its socket in $W, archiving with ARCHIVE_COMMAND.
start_cluster() {
  as_pg "$PG_BIN/initdb" -D "$W/pg" -A trust -U postgres > /dev/null
  cat >> "$W/pg/postgresql.conf" <<CONF
listen_addresses = ''
unix_socket_directories = '$W'
port = $1
archive_mode = on
archive_command = '$2'
max_wal_size = $3
CONF
  as_pg "$PG_BIN/pg_ctl" -D "$W/pg" -l "$W/pg.log" -w start > /dev/null
}

# make_ready_wal PORT N: pgbench on the cluster in $W/pg (archiving held
# back) until N segments wait as .ready; stops the cluster and prints how
# many there are.
make_ready_wal() {
  while [ "$(ls "$W/pg/pg_wal/archive_status" | grep -c '\.ready$')" -lt "$2" ]; do
    as_pg "$PG_BIN/pgbench" -h "$W" -p "$1" -n -c 2 -T 5 postgres > /dev/null 2>&1
  done
  as_pg "$PG_BIN/pg_ctl" -D "$W/pg" -m fast stop > /dev/null
  ls "$W/pg/pg_wal/archive_status" | grep -c '\.ready$'
}
