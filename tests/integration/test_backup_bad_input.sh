#!/usr/bin/env bash
# Acceptance (base backups): bad input gets a one-line error and a
# non-zero exit, through the daemon and in-process: a target directory that
# is not empty, a backup name that does not exist, a data directory that is
# not a PostgreSQL cluster, a server that cannot be reached.
source "$(dirname "$0")/lib.sh"

cp -r "$WALE_SOURCE_DIR/tests/fixtures/wale-archive-1" "$STORE"
chmod -R u+w "$STORE"
mkdir -p "$T/full" "$T/not-a-cluster"
echo x > "$T/full/file"
chown -R "$TEST_USER": "$STORE" "$T/full" "$T/not-a-cluster"
stopped=$T/stopped
pg_init "$stopped" 5432
start_daemon

expect() {  # expect SOCKET STATUS PATTERN CMD...
  local sock=$1 status=$2 pattern=$3; shift 3
  assert_fails "$status" "$pattern" as_user env $(wale_env) WALE_SOCKET="$sock" "$@"
}
for via in "$SOCKET" "$T/none.sock"; do
  path=daemon; [ "$via" = "$SOCKET" ] || path=in-process
  log "checking ($path)"
  expect "$via" 1 "$T/full is not empty" "$BIN/wal-e" backup-fetch "$T/full" LATEST
  [ "$(ls "$T/full")" = file ] || fail "a refused backup-fetch changed the target"
  expect "$via" 1 "backup base_000000010000000000000099_00000040 does not exist" \
    "$BIN/wal-e" backup-fetch "$T/new-$path" base_000000010000000000000099_00000040
  [ ! -e "$T/new-$path" ] || fail "a failed backup-fetch created its target"
  expect "$via" 1 "invalid backup query submitted" "$BIN/wal-e" backup-fetch "$T/new-$path" yesterday
  expect "$via" 1 "$T/not-a-cluster is not a PostgreSQL data directory" "$BIN/wal-e" backup-push "$T/not-a-cluster"
  expect "$via" 1 "cannot tell how to reach the server of $stopped: it has no postmaster.pid" "$BIN/wal-e" backup-push "$stopped"
  expect "$via" 1 "cannot connect to PostgreSQL \\(host $T/nowhere port 5999\\)" \
    env PGHOST="$T/nowhere" PGPORT=5999 "$BIN/wal-e" backup-push "$stopped"
  expect "$via" 2 "missing BACKUP_NAME" "$BIN/wal-e" backup-fetch "$T/x"
done
[ -z "$(find "$STORE" -newer "$T/full/file" -type f)" ] || fail "a failed command wrote to the store"
stop_daemon
log PASS
