#!/usr/bin/env bash
# Acceptance (batched journal): the daemon answers a wal-push once the store
# has acknowledged the object, and commits the journal in batches after
# that. Killing it in between (the commit held back with a fault-injection
# knob) loses nothing: after a restart the segment is stored, a second push
# is recognised as identical content, and a different file under the same
# name is refused instead of being reported stored.
source "$(dirname "$0")/lib.sh"

data=$T/data
mkdir -p "$data/pg_wal/archive_status"
seg=000000010000000000000005
make_segment "$data/pg_wal/$seg" "$seg"
touch "$data/pg_wal/archive_status/$seg.ready"
chown -R "$TEST_USER": "$data"
push() { (cd "$data" && wal_e wal-push "pg_wal/$seg"); }
journal_state() {
  "$PY" -c "import sqlite3,sys; r=sqlite3.connect(sys.argv[1]).execute(\"SELECT state FROM segments WHERE name=?\", (sys.argv[2],)).fetchone(); print(r[0] if r else 'none')" \
    "$STATE/journal.sqlite" "$seg"
}

start_daemon WALE_FAULT_JOURNAL_COMMIT_DELAY_MS=5000
push 2> "$T/push1.err" || { cat "$T/push1.err" >&2; fail "the first push failed"; }
kill9_daemon
state=$(journal_state)
log "killed the daemon after its answer; the journal says: $state"
[ "$state" != uploaded ] || fail "the journal was committed before the kill; the test did not hit the window"
probe get "wal_005/$seg.lzo" 2> /dev/null | lzop -dc | cmp -s - "$data/pg_wal/$seg" || fail "the acknowledged segment is not in the store"
before=$(stat -c %Y.%i "$STORE/wal_005/$seg.lzo")

start_daemon
push 2> "$T/push2.err" || { cat "$T/push2.err" >&2; fail "the push after the restart failed"; }
grep -q "already archived with identical content" "$T/push2.err" || fail "the second push was not recognised as identical"
assert_eq "$(stat -c %Y.%i "$STORE/wal_005/$seg.lzo")" "$before" "the stored object was rewritten"

other=$T/other
mkdir -p "$other/pg_wal/archive_status"
make_segment "$other/pg_wal/$seg" "$seg"
chown -R "$TEST_USER": "$other"
set +e
(cd "$other" && wal_e wal-push "pg_wal/$seg") 2> "$T/push3.err"
rc=$?
set -e
assert_eq "$rc" 1 "status of a different file under a stored name"
assert_one_line_error "$T/push3.err" "already exists with different content"
probe get "wal_005/$seg.lzo" 2> /dev/null | lzop -dc | cmp -s - "$data/pg_wal/$seg" || fail "the stored segment changed"
stop_daemon
log PASS
