#!/usr/bin/env bash
# Issue 12, part 2: `wal-e check`, the command a DBA runs after setting
# archiving up. Against real PostgreSQL 15 clusters: exit 0 with one line
# when a switched segment reaches the store (through the daemon and
# in-process, by data directory or by PGHOST/PGPORT); exit 1 with one line
# naming the cause for a standby, archive_mode off, an empty
# archive_command, an archiver that fails, a store that cannot be reached,
# and an archive_command that archives somewhere else; exit 2 for a bad
# WALE_CHECK_TIMEOUT.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/peers.sh"

start_s3_peer
start_fault_proxy "$S3_PORT"
start_daemon
primary=$T/primary
start_archiving_primary "$primary" 5432 --wal-segsize=1
psql_at "$primary" "CREATE TABLE t (x int); INSERT INTO t VALUES (1)"

# set_archive_command 'ALTER SYSTEM ...': applies it to the primary.
set_archive_command() { psql_at "$primary" "$1" && psql_at "$primary" "SELECT pg_reload_conf()" > /dev/null; }

log "a working setup: through the daemon, by data directory"
wal_e check "$primary" > "$T/check.out" 2> "$T/check.err" || { cat "$T/check.err" >&2; fail "check of a working setup failed"; }
[ "$(wc -l < "$T/check.out")" = 1 ] || fail "check printed more than one line: $(cat "$T/check.out")"
grep -qE "^wal-e check: archiving works: [0-9A-F]{24} reached s3://$S3_BUCKET/archive/wal_005/[0-9A-F]{24}\.lzo [0-9.]+ s after the WAL switch$" "$T/check.out" \
  || fail "unexpected success line: $(cat "$T/check.out")"
segment=$(sed -n 's/.*archiving works: \([0-9A-F]*\) reached.*/\1/p' "$T/check.out")
archived_wal_files | grep -qx "$segment" || fail "$segment is not in the store"
log "$(cat "$T/check.out")"

log "in-process (no daemon), by PGHOST and PGPORT"
as_user env "${WALE_ENV[@]}" WALE_SOCKET="$T/no-daemon.sock" PGHOST="$PGSOCK" PGPORT=5432 "$BIN/wal-e" check > "$T/check.out" 2> "$T/check.err" \
  || { cat "$T/check.err" >&2; fail "in-process check failed"; }
grep -q "archiving works" "$T/check.out" || fail "no success line in-process"

log "a bad --timeout"
assert_fails 2 "check: --timeout wants a positive integer, not 'soon'" wal_e check --timeout soon "$primary"

log "an archive_command that archives to another prefix"
assert_fails 1 "did not reach .* within 4 s: PostgreSQL's archiver has reached [0-9A-F]{24} .*same prefix" \
  as_user env WALE_FILE_PREFIX="file://localhost$T/elsewhere" WALE_SOCKET="$T/no-daemon.sock" "$BIN/wal-e" check --timeout 4 "$primary"

log "the store cannot be reached"
proxy_mode refuse
assert_fails 1 "did not reach s3://$S3_BUCKET/archive within 4 s: the store cannot be reached: " wal_e check --timeout 4 "$primary"
proxy_mode pass
archive_everything "$primary"

log "PostgreSQL's archiver fails"
set_archive_command "ALTER SYSTEM SET archive_command = '/bin/false'"
# wal-ed reads the segment ahead into the store by itself: check must not
# take that for working archiving.
assert_fails 1 "PostgreSQL did not archive [0-9A-F]{24} within 5 s: its archiver failed on it [0-9]+ time\(s\), last at .*archive_command = '/bin/false'.*PostgreSQL's log" \
  wal_e check --timeout 5 "$primary"
set_archive_command "ALTER SYSTEM RESET archive_command"

log "an archive_command that is not wal-e's"
mkdir -p "$T/elsewhere"
[ "$(id -u)" != 0 ] || chown "$TEST_USER": "$T/elsewhere"
set_archive_command "ALTER SYSTEM SET archive_command = 'cp %p $T/elsewhere/%f'"
# Whether wal-ed's read-ahead stores the segment before cp has PostgreSQL
# mark it done is a race: either a failure or a success with a WARNING, and
# both say what is wrong.
set +e
wal_e check --timeout 5 "$primary" > "$T/check.out" 2> "$T/check.err"
rc=$?
set -e
case $rc in
  0) grep -q "WARNING  MSG: archive_command = 'cp %p $T/elsewhere/%f' does not run 'wal-e wal-push'" "$T/check.err" ;;
  1) assert_one_line_error "$T/check.err" "did not reach .* within 5 s: archive_command = 'cp %p $T/elsewhere/%f' does not run 'wal-e wal-push'" ;;
  *) false ;;
esac || { cat "$T/check.err" >&2; fail "check of an archive_command that is not wal-e's (exit $rc)"; }
set_archive_command "ALTER SYSTEM RESET archive_command"

log "archive_command empty"
set_archive_command "ALTER SYSTEM SET archive_command = ''"
assert_fails 1 "archive_command is empty on the server .*set archive_command = 'wal-e wal-push %p'" wal_e check "$primary"
set_archive_command "ALTER SYSTEM RESET archive_command"

log "a standby"
as_user "$PG_BIN/pg_basebackup" -h "$PGSOCK" -p 5432 -U postgres -D "$T/standby" -R -X stream -c fast > "$T/basebackup.log" 2>&1 \
  || { cat "$T/basebackup.log" >&2; fail "pg_basebackup failed"; }
pg_conf "$T/standby" "port = 5433"
pg_start "$T/standby"
assert_fails 1 "is a standby: it cannot switch WAL; run 'wal-e check' against the primary" wal_e check "$T/standby"
pg_stop "$T/standby"

log "archive_mode off"
pg_init "$T/plain" 5434
pg_start "$T/plain"
assert_fails 1 "archive_mode is off on the server .*restart PostgreSQL" wal_e check "$T/plain"
pg_stop "$T/plain"

pg_stop "$primary"
stop_daemon
log PASS
