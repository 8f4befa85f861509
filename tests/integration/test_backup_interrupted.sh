#!/usr/bin/env bash
# Acceptance (base backups): a backup-push killed midway leaves no backup
# in backup-list (its sentinel is written last), PostgreSQL ends the
# half-done backup by itself, and the next backup-push succeeds.
# --cluster-read-rate-limit makes the backup slow enough to kill.
source "$(dirname "$0")/lib.sh"

primary=$T/primary
start_archiving_primary "$primary" 5432
pgbench_at "$primary" -i -s 3 -q > "$T/pgbench.log" 2>&1

# In-process (no daemon), so that killing the command kills the backup.
(cd "$T" && exec setpriv --reuid="$TEST_USER" --regid="$TEST_USER" --init-groups -- env $(wale_env) WALE_SOCKET="$T/none.sock" \
  "$BIN/wal-e" backup-push --fast-checkpoint --cluster-read-rate-limit 4000000 "$primary") > "$T/push1.log" 2>&1 &
push=$!
wait_for 60 bash -c "ls '$STORE/basebackups_005/'*/extended_version.txt > /dev/null 2>&1" || fail "the backup did not start"
sleep 2
kill -9 "$push"
wait "$push" 2> /dev/null || true
log "killed backup-push after $(du -sh "$STORE/basebackups_005" | cut -f1) were stored"
listed=$(wal_e backup-list 2> /dev/null | tail -n +2 | wc -l)
assert_eq "$listed" 0 "backups listed after the interrupted push"
wait_for 30 bash -c "[ \"\$(psql -X -h '$PGSOCK' -p 5432 -U postgres -d postgres -Atqc \"SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend' AND application_name = 'wal-e'\")\" = 0 ]" \
  || fail "PostgreSQL still runs the killed backup's session"

wal_e backup-push --fast-checkpoint "$primary" 2> "$T/push2.log" || { cat "$T/push2.log" >&2; fail "the next backup-push failed"; }
assert_eq "$(wal_e backup-list 2> /dev/null | tail -n +2 | wc -l)" 1 "backups listed after a complete push"
pg_stop "$primary"
log PASS
