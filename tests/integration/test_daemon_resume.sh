#!/usr/bin/env bash
# The journal and the read-ahead survive a crash: segments that were queued
# when the daemon died are uploaded after a restart even if PostgreSQL
# never asks for them again, and a stored segment pushed again is answered
# from the journal (no second upload) while a different file under the
# same name is refused, leaving the stored object alone.
source "$(dirname "$0")/lib.sh"

start_daemon
primary=$T/primary
start_archiving_primary "$primary" 5432 --set "wal_keep_size = 1GB" --wal-segsize=1
psql_at "$primary" "CREATE TABLE t AS SELECT g FROM generate_series(1, 10) g"
archive_everything "$primary"

# Make the store refuse writes, produce WAL that cannot be archived, kill
# the daemon, stop PostgreSQL, and give the store back: only the restarted
# daemon can archive the backlog now.
chmod 0500 "$STORE/wal_005"
for i in 1 2 3 4 5 6; do psql_at "$primary" "INSERT INTO t SELECT g FROM generate_series(1, 20000) g; SELECT pg_switch_wal()" > /dev/null; done
wait_for 60 bash -c "[ \$(ls '$primary/pg_wal/archive_status' | grep -c ready) -ge 5 ]" || fail "no archiving backlog built up"
kill9_daemon
pg_stop "$primary" immediate
pending=$(ls "$primary/pg_wal/archive_status" | sed -n 's/\.ready$//p' | sort)
log "backlog left by PostgreSQL: $(echo "$pending" | wc -l) segments"
chmod 0700 "$STORE/wal_005"
start_daemon
for name in $pending; do
  wait_for 60 test -f "$STORE/wal_005/$name.lzo" || fail "$name was not uploaded after the restart"
  lzop -dc "$STORE/wal_005/$name.lzo" | cmp -s - "$primary/pg_wal/$name" || fail "$name is stored with the wrong content"
done
log "the restarted daemon archived the whole backlog without PostgreSQL"

# A second push of a stored segment is a journal hit; the object is untouched.
first=$(echo "$pending" | sed -n 1p)
before=$(stat -c %Y.%i "$STORE/wal_005/$first.lzo")
wal_e wal-push "$primary/pg_wal/$first" 2> "$T/repush.err" || fail "pushing a stored segment again failed"
grep -q "already archived with identical content" "$T/repush.err" || fail "the repeated push was not recognised as stored"
assert_eq "$(stat -c %Y.%i "$STORE/wal_005/$first.lzo")" "$before" "the stored object was rewritten"

# The same name with different content is refused, in both paths.
fake=$T/fake/pg_wal
mkdir -p "$fake/archive_status"
head -c 1048576 /dev/urandom > "$fake/$first"
chown -R "$TEST_USER": "$T/fake"
for path in daemon in-process; do
  sock=$SOCKET; [ $path = in-process ] && sock=$T/none.sock
  set +e; as_user env $(wale_env) WALE_SOCKET="$sock" "$BIN/wal-e" wal-push "$fake/$first" 2> "$T/conflict.err"; rc=$?; set -e
  assert_eq "$rc" 1 "status of a conflicting push ($path)"
  assert_one_line_error "$T/conflict.err" "already exists with different content"
  lzop -dc "$STORE/wal_005/$first.lzo" | cmp -s - "$primary/pg_wal/$first" || fail "the conflicting push changed the stored object"
done
stop_daemon
log PASS
