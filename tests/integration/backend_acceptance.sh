# The acceptance scenario every blob-store backend passes (sourced after
# lib.sh, peers.sh and a peer starter that follows the contract at the top
# of peers.sh). One run, through the daemon, against the real peer behind
# fault_proxy.py:
#   1. PostgreSQL 15 archives (1 MiB segments) while pgbench loads data, and
#      a base backup is pushed while pgbench runs;
#   2. the store goes away in the middle of archiving: wal-push fails
#      (exit 1) until it is back, then the backlog goes up;
#   3. the store answers 503, then 500, for a while: ridden out;
#   4. wrong credentials: wal-push exits 1 with one error line naming the
#      variable, through the daemon and in-process; nothing is lost;
#   5. at least 50 segments are archived, each byte for byte the one in
#      pg_wal, and every segment PostgreSQL counts as archived is there;
#   6. a second backup; point-in-time recovery from the first backup and the
#      archive alone stops at a recovery_target_time: the rows before it,
#      pgbench's tables identical, pg_amcheck clean;
#   7. a 20 MiB object through the streaming writer in more than 3 parts
#      round-trips; an abandoned one leaves nothing behind;
#   8. verify, delete retain 1 --confirm, verify again, listing in pages of 7.

# in_process ARGS...: wal-e without a daemon, with the store configuration
# of WALE_ENV (plus any VAR=VALUE words in EXTRA_ENV).
in_process() { as_user env "${WALE_ENV[@]}" "${EXTRA_ENV[@]}" WALE_SOCKET="$T/no-daemon.sock" WALE_LOG_DESTINATION=stderr "$BIN/wal-e" "$@"; }

# archiver_failures DIR: PostgreSQL's count of failed archive attempts.
archiver_failures() { psql_at "$1" "SELECT failed_count FROM pg_stat_archiver"; }

# wait_for_archiver_failures DIR N: until at least N more attempts failed.
wait_for_archiver_failures() {
  local dir=$1 target
  target=$(( $(archiver_failures "$dir") + $2 ))
  wait_for 120 bash -c "[ \$(psql -X -h '$PGSOCK' -p $(pg_port "$dir") -U postgres -d postgres -Atqc 'SELECT failed_count FROM pg_stat_archiver') -ge $target ]" \
    || fail "wal-push did not fail $2 more times"
}

backend_acceptance() {
  EXTRA_ENV=()
  start_fault_proxy "$PEER_PORT"
  # Every listing the daemon and the commands make goes in pages of 7.
  WALE_ENV+=(WALE_LIST_PAGE_SIZE=7)
  start_daemon WALE_STORE_TIMEOUT=4
  local primary=$T/primary
  start_archiving_primary "$primary" 5432 --set "wal_keep_size = 4GB" --set "max_wal_size = 4GB" \
    --env WALE_STORE_TIMEOUT=4 --wal-segsize=1

  log "1. archiving while pgbench loads data; a backup while pgbench runs"
  pgbench_at "$primary" -i -s 5 -q > "$T/pgbench-init.log" 2>&1
  pgbench_at "$primary" -n -c 2 -T 12 > "$T/pgbench-run.log" 2>&1 &
  local bench=$!
  sleep 2
  local first_backup
  first_backup=$(backup_push "$primary")
  wait "$bench" || fail "pgbench failed"
  log "backup $first_backup taken while pgbench ran"
  psql_at "$primary" "CREATE TABLE filler (x int, pad text)"
  write_filler() { psql_at "$primary" "INSERT INTO filler SELECT g, repeat('x', 200) FROM generate_series(1, $1) g" > /dev/null; }

  log "2. the store goes away in the middle of archiving"
  write_filler 20000
  if [ "${PEER_OUTAGE:-}" = proxy ]; then proxy_mode refuse; else peer_stop; fi
  write_filler 30000
  psql_at "$primary" "SELECT pg_switch_wal()" > /dev/null
  wait_for_archiver_failures "$primary" 2
  grep -q "archive command failed with exit code 1" "$primary/server.log" || fail "wal-push did not exit 1 while the store was away"
  if [ "${PEER_OUTAGE:-}" = proxy ]; then proxy_mode pass; else peer_start; fi
  archive_everything "$primary"
  log "the backlog went up once the store was back"

  log "3. the store answers 503, then 500, for a while"
  local status faults
  for status in 503 500; do
    faults=$(proxy_faults)
    proxy_mode "$status"
    write_filler 10000
    psql_at "$primary" "SELECT pg_switch_wal()" > /dev/null
    wait_for 60 bash -c "[ \$(cat '$PROXY_DIR/faults') -gt $faults ]" || fail "no request met the $status period"
    sleep 2
    proxy_mode pass
    archive_everything "$primary"
    log "$(( $(proxy_faults) - faults )) requests were answered $status; all archived since"
  done

  log "4. wrong credentials"
  peer_bad_credentials
  local segment
  segment=$(ls "$primary/pg_wal" | grep -E '^[0-9A-F]{24}$' | sed -n 1p)
  (
    cd "$primary"
    EXTRA_ENV=("${PEER_BAD_CREDENTIALS[@]}")
    assert_fails 1 "$PEER_CREDENTIAL_VARS" in_process wal-push "pg_wal/$segment"
  )
  log "in-process: $(grep -E 'ERROR|wal-e:' "$T/err" | sed -n 1p)"
  stop_daemon
  start_daemon WALE_STORE_TIMEOUT=4 "${PEER_BAD_CREDENTIALS[@]}"
  write_filler 10000
  psql_at "$primary" "SELECT pg_switch_wal()" > /dev/null
  wait_for_archiver_failures "$primary" 1
  grep -qE "$PEER_CREDENTIAL_VARS" "$primary/server.log" || fail "the daemon's refusal does not name $PEER_CREDENTIAL_VARS"
  log "through the daemon: $(grep -E "$PEER_CREDENTIAL_VARS" "$primary/server.log" | tail -n 1)"
  stop_daemon
  start_daemon WALE_STORE_TIMEOUT=4
  archive_everything "$primary"

  log "5. nothing lost"
  local segments
  segments=$(assert_archive_matches_pg_wal "$primary")
  [ "$segments" -ge 50 ] || fail "only $segments segments were archived; the test needs at least 50"
  log "$segments segments in the store, each identical to pg_wal"

  log "6. point-in-time recovery from $first_backup"
  psql_at "$primary" "CREATE TABLE marks (id int PRIMARY KEY, at timestamptz NOT NULL DEFAULT clock_timestamp())"
  local i
  for i in 1 2 3 4 5 6; do
    psql_at "$primary" "INSERT INTO marks (id) VALUES ($i)"
    sleep 1
  done
  local target second_backup
  target=$(psql_at "$primary" "SELECT (SELECT at FROM marks WHERE id = 3) + ((SELECT at FROM marks WHERE id = 4) - (SELECT at FROM marks WHERE id = 3)) / 2")
  second_backup=$(backup_push "$primary")
  local tables="pgbench_accounts pgbench_branches pgbench_tellers pgbench_history"
  table_checksums "$primary" $tables > "$T/primary.sums"
  archive_everything "$primary"
  pg_stop "$primary"

  local restored=$T/restored
  wal_e backup-fetch "$restored" "$first_backup" 2> "$T/backup-fetch.log" || { cat "$T/backup-fetch.log" >&2; fail "backup-fetch failed"; }
  as_user cp "$primary/postgresql.conf" "$primary/pg_hba.conf" "$primary/pg_ident.conf" "$restored/"
  pg_conf "$restored" "archive_mode = off"
  pg_conf "$restored" "restore_command = '$BIN/wal-e wal-fetch %f %p'"
  pg_conf "$restored" "recovery_target_time = '$target'"
  pg_conf "$restored" "recovery_target_action = 'promote'"
  as_user touch "$restored/recovery.signal"
  pg_start "$restored" $(wale_env)
  wait_for 300 bash -c "[ \"\$(psql -X -h '$PGSOCK' -p 5432 -U postgres -d postgres -Atqc 'SELECT pg_is_in_recovery()' 2>/dev/null)\" = f ]" \
    || fail "recovery did not reach its target"
  grep -q "recovery stopping before commit" "$restored/server.log" || fail "recovery did not stop at the target time"
  assert_eq "$(psql_at "$restored" "SELECT string_agg(id::text, ',' ORDER BY id) FROM marks")" "1,2,3" "rows present after PITR"
  table_checksums "$restored" $tables > "$T/restored.sums"
  diff -u "$T/primary.sums" "$T/restored.sums" || fail "pgbench's tables differ after PITR"
  as_user "$PG_BIN/pg_amcheck" -h "$PGSOCK" -p 5432 -d postgres --install-missing --heapallindexed > "$T/amcheck.log" 2>&1 \
    || { cat "$T/amcheck.log" >&2; fail "pg_amcheck found damage in the restored cluster"; }
  log "PITR stopped between marks 3 and 4; pgbench's tables match; pg_amcheck is clean"
  pg_stop "$restored"

  log "7. a large object in parts; an abandoned one"
  head -c $((20 * 1024 * 1024 + 4321)) /dev/urandom > "$T/big"
  chmod 0644 "$T/big"
  local large
  large=$(peer_large_env)
  # shellcheck disable=SC2086
  as_user env "${WALE_ENV[@]}" $large "$BIN/wale-store-probe" stream-put big/object < "$T/big" 2> "$T/put.err" \
    || { cat "$T/put.err" >&2; fail "the streaming upload failed"; }
  probe get big/object 2> /dev/null | cmp -s - "$T/big" || fail "the large object does not round-trip"
  # shellcheck disable=SC2086
  as_user env "${WALE_ENV[@]}" $large "$BIN/wale-store-probe" stream-abandon big/abandoned $((12 * 1024 * 1024)) < "$T/big" 2> /dev/null \
    || fail "stream-abandon failed"
  probe head big/abandoned > /dev/null 2>&1 && fail "the abandoned upload created an object"
  [ -z "$(peer_orphans)" ] || { peer_orphans >&2; fail "the abandoned upload left parts behind"; }
  echo big/object | probe delete 2> /dev/null || fail "cannot delete the large object"
  [ -z "$(peer_orphans)" ] || { peer_orphans >&2; fail "deleting the large object left parts behind"; }
  log "20 MiB in parts round-tripped; the abandoned upload left nothing"

  log "8. verify, delete retain 1, verify (listings in pages of 7)"
  in_process verify > "$T/verify1.out" 2> "$T/verify1.err" || { cat "$T/verify1.out" "$T/verify1.err" >&2; fail "verify failed on a sound archive"; }
  local before after
  before=$(probe list "" 2> /dev/null | wc -l)
  in_process delete --confirm retain 1 2> "$T/delete.err" || { cat "$T/delete.err" >&2; fail "delete retain 1 failed"; }
  after=$(probe list "" 2> /dev/null | wc -l)
  [ "$after" -lt "$before" ] || fail "delete retain 1 deleted nothing ($before objects before, $after after)"
  in_process backup-list > "$T/backup-list.out" 2> /dev/null || fail "backup-list failed"
  grep -q "$second_backup" "$T/backup-list.out" || fail "the kept backup $second_backup is not listed"
  ! grep -q "$first_backup" "$T/backup-list.out" || fail "the deleted backup $first_backup is still listed"
  in_process verify > "$T/verify2.out" 2> "$T/verify2.err" || { cat "$T/verify2.out" "$T/verify2.err" >&2; fail "verify failed after delete"; }
  log "delete retain 1 went from $before to $after objects; verify is clean before and after"
  stop_daemon
}
