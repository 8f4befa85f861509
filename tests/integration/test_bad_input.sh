#!/usr/bin/env bash
# Acceptance: bad input gets a one-line error and a non-zero exit, through
# the daemon and in-process alike: a path outside pg_wal, a missing file,
# an unwritable store, an unknown flag, a missing prefix, and a request
# naming another prefix than the daemon serves.
source "$(dirname "$0")/lib.sh"

start_daemon
data=$T/data
mkdir -p "$data/pg_wal/archive_status" "$T/elsewhere"
head -c 1048576 /dev/urandom > "$data/pg_wal/000000010000000000000001"
head -c 1048576 /dev/urandom > "$T/elsewhere/000000010000000000000001"
chown -R "$TEST_USER": "$data" "$T/elsewhere"

# expect STATUS PATTERN SOCKET ARGS...: runs `wal-e ARGS` from $data through
# the given socket (a missing one means in-process) and checks the outcome.
expect() {
  local status=$1 pattern=$2 sock=$3; shift 3
  assert_fails "$status" "$pattern" as_user env -C "$data" WALE_FILE_PREFIX="${PREFIX_OVERRIDE-$PREFIX}" WALE_SOCKET="$sock" \
    WALE_LOG_DESTINATION=stderr "$BIN/wal-e" "$@"
}

for via in "$SOCKET" "$T/no-daemon.sock"; do
  path=daemon; [ "$via" = "$SOCKET" ] || path=in-process
  log "checking bad input ($path)"
  expect 1 "not in a pg_wal directory" "$via" wal-push "$T/elsewhere/000000010000000000000001"
  expect 1 "not in a pg_wal directory" "$via" wal-push /etc/passwd
  expect 1 "000000010000000000000009 does not exist" "$via" wal-push pg_wal/000000010000000000000009
  expect 1 "not that of a WAL segment" "$via" wal-push pg_wal/archive_status
  expect 1 "unknown option '--bogus'" "$via" wal-push --bogus pg_wal/000000010000000000000001
  expect 2 "unknown option '--bogus'" "$via" backup-list --bogus
  expect 2 "unknown command 'wal-pussh'" "$via" wal-pussh pg_wal/000000010000000000000001
  expect 1 "missing WAL_SEGMENT" "$via" wal-push
  chmod 0500 "$STORE"
  expect 1 "Permission denied" "$via" wal-push pg_wal/000000010000000000000001
  chmod 0700 "$STORE"
  [ -z "$(find "$STORE" -name '*.wal-e-tmp.*')" ] || fail "a failed push left a temporary file behind"
done

log "checking prefixes"
# In-process with no prefix at all.
set +e
(cd "$data" && as_user env -u WALE_FILE_PREFIX WALE_SOCKET="$T/no-daemon.sock" WALE_LOG_DESTINATION=stderr "$BIN/wal-e" wal-push pg_wal/000000010000000000000001) 2> "$T/err"
rc=$?
set -e
assert_eq "$rc" 1 "status without a prefix"
assert_one_line_error "$T/err" "no storage prefix defined; set WALE_S3_PREFIX.*WALE_FILE_PREFIX"
# The daemon refuses to start without one.
set +e
as_user env -u WALE_FILE_PREFIX WALE_LOG_DESTINATION=stderr "$BIN/wal-ed" --socket "$T/x.sock" --state-dir "$T/state2" 2> "$T/err"
rc=$?
set -e
[ "$rc" != 0 ] || fail "wal-ed started without a prefix"
assert_one_line_error "$T/err" "no storage prefix defined"
# A request for another prefix is refused, never archived there.
PREFIX_OVERRIDE=file://localhost$T/other-store expect 1 "names the prefix file://localhost$T/other-store .* but wal-ed serves" \
  "$SOCKET" wal-push pg_wal/000000010000000000000001
[ ! -e "$T/other-store" ] || fail "something was written to the other prefix"
PREFIX_OVERRIDE=wabs://container/x expect 1 "Azure needs credentials: set WABS_ACCESS_KEY" "$T/no-daemon.sock" wal-push pg_wal/000000010000000000000001
# And with everything right, it works.
(cd "$data" && wal_e wal-push pg_wal/000000010000000000000001 2> /dev/null) || fail "a good push failed"
stop_daemon
log PASS
