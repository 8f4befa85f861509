#!/usr/bin/env bash
# Acceptance (base backups): point-in-time recovery with a real PostgreSQL
# 15 server. backup-push runs (through the daemon) while pgbench writes;
# then rows are written one per second with their commit times recorded;
# backup-fetch LATEST restores into a new directory and recovery stops at a
# recovery_target_time between two of those writes: exactly the rows
# written before the target are there, pgbench's tables match, and the
# cluster passes pg_amcheck.
source "$(dirname "$0")/lib.sh"

start_daemon
primary=$T/primary
start_archiving_primary "$primary" 5432 --wal-segsize=1
pgbench_at "$primary" -i -s 5 -q > "$T/pgbench-init.log" 2>&1

log "backup-push while pgbench writes"
pgbench_at "$primary" -n -c 2 -T 15 > "$T/pgbench-run.log" 2>&1 &
bench=$!
sleep 2
wal_e backup-push --fast-checkpoint "$primary" 2> "$T/backup-push.log" || { cat "$T/backup-push.log" >&2; fail "backup-push failed"; }
wait "$bench" || fail "pgbench failed"
grep -q "base backup complete" "$T/backup-push.log" || fail "backup-push did not report completion"
table_checksums "$primary" pgbench_accounts pgbench_branches pgbench_tellers pgbench_history > "$T/primary.sums"

log "writing marked rows, one per second"
psql_at "$primary" "CREATE TABLE marks (id int PRIMARY KEY, at timestamptz NOT NULL DEFAULT clock_timestamp())"
for i in 1 2 3 4 5 6; do
  psql_at "$primary" "INSERT INTO marks (id) VALUES ($i)"
  sleep 1
done
target=$(psql_at "$primary" "SELECT (SELECT at FROM marks WHERE id = 3) + ((SELECT at FROM marks WHERE id = 4) - (SELECT at FROM marks WHERE id = 3)) / 2")
log "recovery target: $target (between marks 3 and 4)"
# Recovery can only stop at a target it has seen passed: archive WAL beyond it.
psql_at "$primary" "CREATE TABLE after_target AS SELECT 1 AS x"
archive_everything "$primary"
pg_stop "$primary"

restored=$T/restored
wal_e backup-fetch "$restored" LATEST 2> "$T/backup-fetch.log" || { cat "$T/backup-fetch.log" >&2; fail "backup-fetch failed"; }
as_user cp "$primary/postgresql.conf" "$primary/pg_hba.conf" "$primary/pg_ident.conf" "$restored/"
pg_conf "$restored" "archive_mode = off"
pg_conf "$restored" "restore_command = '$BIN/wal-e wal-fetch %f %p'"
pg_conf "$restored" "recovery_target_time = '$target'"
pg_conf "$restored" "recovery_target_action = 'promote'"
as_user touch "$restored/recovery.signal"
pg_start "$restored" $(wale_env)
wait_for 120 bash -c "[ \"\$(psql -X -h '$PGSOCK' -p 5432 -U postgres -d postgres -Atqc 'SELECT pg_is_in_recovery()' 2>/dev/null)\" = f ]" \
  || fail "recovery did not reach its target"
grep -q "recovery stopping before commit" "$restored/server.log" || fail "recovery did not stop at the target time"
assert_eq "$(psql_at "$restored" "SELECT string_agg(id::text, ',' ORDER BY id) FROM marks")" "1,2,3" "rows present after PITR"
[ -z "$(psql_at "$restored" "SELECT to_regclass('after_target')")" ] || fail "a table created after the target exists"
table_checksums "$restored" pgbench_accounts pgbench_branches pgbench_tellers pgbench_history > "$T/restored.sums"
diff -u "$T/primary.sums" "$T/restored.sums" || fail "pgbench's tables differ after PITR"
as_user "$PG_BIN/pg_amcheck" -h "$PGSOCK" -p 5432 -d postgres --install-missing --heapallindexed > "$T/amcheck.log" 2>&1 \
  || { cat "$T/amcheck.log" >&2; fail "pg_amcheck found damage in the restored cluster"; }
log "PITR stopped between marks 3 and 4; pgbench's tables match; pg_amcheck is clean"
pg_stop "$restored"
stop_daemon
log PASS
