#!/usr/bin/env bash
# Acceptance: kill -9 of the daemon in the middle of a burst of archiving,
# then a restart: every segment ends up stored, and each stored object
# decompresses to exactly the bytes of the original segment.
source "$(dirname "$0")/lib.sh"

start_daemon
primary=$T/primary
# Keep every segment in pg_wal so that the archive can be compared with it.
start_archiving_primary "$primary" 5432 --set "wal_keep_size = 4GB" --set "max_wal_size = 4GB" --wal-segsize=1

pgbench_at "$primary" -i -s 10 -q > "$T/pgbench.log" 2>&1 &
bench=$!
wait_for 60 bash -c "[ \$(ls '$STORE/wal_005' 2>/dev/null | wc -l) -ge 20 ]" || fail "archiving did not start"
log "killing wal-ed (pid $DAEMON_PID) with SIGKILL after $(ls "$STORE/wal_005" | wc -l) objects"
kill9_daemon
sleep 1
start_daemon
log "restarted wal-ed (pid $DAEMON_PID) on the same socket"
wait "$bench" || fail "pgbench failed"
archive_everything "$primary"

checked=$(assert_archive_matches_pg_wal "$primary")
leftovers=$(find "$STORE" -name '*.wal-e-tmp.*' | wc -l)
log "$checked segments compared byte for byte; $leftovers temporary files left by the killed daemon"
[ "$checked" -ge 50 ] || fail "only $checked segments were checked"
pg_stop "$primary"
stop_daemon
log PASS
