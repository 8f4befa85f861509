#!/usr/bin/env bash
# The daemon watches archive_status (inotify): segments that become .ready
# are uploaded without waiting for archive_command, and PostgreSQL's later
# calls for them are answered from the journal. A backlog many times the
# pool is read ahead to its end after one call, although the segments
# already stored stay .ready until PostgreSQL's own calls for them.
source "$(dirname "$0")/lib.sh"

data=$T/data
mkdir -p "$data/pg_wal/archive_status"
first=000000010000000000000001
make_segment "$data/pg_wal/$first" "$first"
chown -R "$TEST_USER": "$data"
start_daemon
(cd "$data" && wal_e wal-push "pg_wal/$first" 2> /dev/null) || fail "the first push failed"

# New segments become ready; nobody calls wal-push for them.
for i in 2 3 4 5 6; do
  name=$(printf '0000000100000000000000%02X' "$i")
  make_segment "$data/pg_wal/$name" "$name"
  chown "$TEST_USER": "$data/pg_wal/$name"
  as_user touch "$data/pg_wal/archive_status/$name.ready"
done
all_uploaded() { [ "$(archived_wal_files | grep -c .)" -ge 6 ]; }
wait_for 20 all_uploaded || fail "the daemon did not upload the new .ready segments by itself"
log "the daemon archived 5 new segments without being asked"
(cd "$data" && wal_e wal-push pg_wal/000000010000000000000004) 2> "$T/push.err" || fail "the push of a read-ahead segment failed"
grep -q "already archived with identical content" "$T/push.err" || fail "the push was not answered from the journal"
stop_daemon

# A backlog of 12 behind one call, with room for 2 at a time.
backlog=$T/backlog
mkdir -p "$backlog/pg_wal/archive_status"
for i in $(seq 16 27); do
  name=$(printf '0000000100000000000000%02X' "$i")
  make_segment "$backlog/pg_wal/$name" "$name" 65536
  touch "$backlog/pg_wal/archive_status/$name.ready"
done
chown -R "$TEST_USER": "$backlog"
DAEMON_ARGS=(--pool-size 2)
start_daemon
(cd "$backlog" && wal_e wal-push pg_wal/000000010000000000000010 2> /dev/null) || fail "the first push of the backlog failed"
backlog_uploaded() { [ "$(archived_wal_files | grep -c '^00000001000000000000001[0-9A-F]$')" -ge 12 ]; }
wait_for 30 backlog_uploaded || fail "read-ahead stopped after $(archived_wal_files | grep -c '^00000001000000000000001') of 12 backlogged segments"
log "one call read ahead a backlog of 12 with a pool of 2"
stop_daemon
log PASS
