# The spine's end-to-end scenario (sourced by test_archive_restore_*.sh
# after lib.sh): a PostgreSQL 15 primary archives through `wal-e wal-push`,
# pgbench writes at least 50 segments, a copy made with pg_basebackup
# (without WAL) recovers through `wal-e wal-fetch` to the end of the
# archive, and both show the same tables.

# run_archive_restore daemon|in-process [initdb options...]
run_archive_restore() {
  local mode=$1; shift
  if [ "$mode" = daemon ]; then start_daemon; fi

  local primary=$T/primary
  start_archiving_primary "$primary" 5432 --set "max_wal_size = 64MB" "$@"

  local first
  first=$(current_wal "$primary")
  log "archiving ($mode) from $first; loading pgbench data"
  pgbench_at "$primary" -i -s 6 -q > "$T/pgbench-init.log" 2>&1
  as_user "$PG_BIN/pg_basebackup" -h "$PGSOCK" -p 5432 -D "$T/replica" -X none -c fast > "$T/basebackup.log" 2>&1
  pgbench_at "$primary" -n -c 2 -T 8 > "$T/pgbench-run.log" 2>&1
  psql_at "$primary" "CREATE TABLE after_backup AS SELECT g AS id, md5(g::text) AS v FROM generate_series(1, 20000) g"
  archive_everything "$primary"

  local failed archived last
  failed=$(psql_at "$primary" "SELECT failed_count FROM pg_stat_archiver")
  archived=$(psql_at "$primary" "SELECT archived_count FROM pg_stat_archiver")
  last=$(psql_at "$primary" "SELECT last_archived_wal FROM pg_stat_archiver")
  assert_eq "$failed" 0 "pg_stat_archiver.failed_count"
  local segments
  segments=$(archived_wal_files | grep -cE '^[0-9A-F]{24}$')
  log "archived_count=$archived, $segments segments in the store, last $last"
  [ "$segments" -ge 50 ] || fail "only $segments segments were archived; the test needs at least 50"

  local tables="pgbench_accounts pgbench_branches pgbench_tellers pgbench_history after_backup"
  table_checksums "$primary" $tables > "$T/primary.sums"
  pg_stop "$primary"

  # The copy has no WAL of its own: everything comes through wal-fetch.
  # Once promoted, the copy archives too: its timeline history file and the
  # .partial last segment of the old timeline go through wal-push as well.
  local replica=$T/replica
  recover_copy "$replica" 5433
  table_checksums "$replica" $tables > "$T/replica.sums"
  diff -u "$T/primary.sums" "$T/replica.sums" || fail "the recovered copy differs from the primary"
  log "recovered copy matches the primary: $(wc -l < "$T/replica.sums") tables"
  grep -q "restored log file \"$last\" from archive" "$replica/server.log" || fail "recovery did not replay the last archived segment $last"
  history_archived() { archived_wal_files | grep -qx 00000002.history; }
  wait_for 60 history_archived || fail "the promoted copy did not archive 00000002.history"
  store_cat wal_005/00000002.history.lzo | cmp -s - "$replica/pg_wal/00000002.history" || fail "the archived history file differs"
  # PostgreSQL archives a .partial segment only when the old timeline's last
  # segment was streamed rather than restored; push one the way it would.
  local partial="$last.partial"
  store_cat "wal_005/$last.lzo" > "$replica/pg_wal/$partial"
  chown "$TEST_USER": "$replica/pg_wal/$partial" 2> /dev/null || true
  (cd "$replica" && wal_e wal-push "pg_wal/$partial" 2> /dev/null) || fail "pushing $partial failed"
  store_cat "wal_005/$partial.lzo" | cmp -s - "$replica/pg_wal/$partial" || fail "the archived .partial file differs"
  log "the promoted copy archived 00000002.history; $partial archived as wal_005/$partial.lzo"
  pg_stop "$replica"
  if [ "$mode" = daemon ]; then stop_daemon; fi
}
