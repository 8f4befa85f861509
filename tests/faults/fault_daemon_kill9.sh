#!/usr/bin/env bash
# Fault matrix: wal-ed killed with SIGKILL at random moments while pgbench
# writes, restarted each time. The kills rotate through four moments:
#   any     a random instant of archiving;
#   journal between the store's acknowledgement and the journal commit
#           (WALE_FAULT_JOURNAL_COMMIT_DELAY_MS holds the commit back);
#   prefetch while a standby recovering from the archive through the daemon
#           (wal-fetch --prefetch 4) has segments in its prefetch area (it
#           runs only for these kills, so that it has a backlog to fetch);
#   backup  during a backup-push through the daemon.
# Nothing is lost: every segment PostgreSQL counts archived is in the store
# byte for byte, the standby promoted at the end and a restore of the base
# backup both match the primary, and verify is clean.
source "$(dirname "$0")/lib.sh"

iterations=$(fault_iterations 50 1000)
primary=$T/primary
start_daemon
fault_primary "$primary" "$(free_port)"

# The standby: the base backup in standby mode, fetching through the daemon.
standby=$T/standby
fetch_base "$standby" "$primary"
sed -i "s/^port = .*/port = $(free_port)/" "$standby/postgresql.conf"
pg_conf "$standby" "archive_mode = off"
pg_conf "$standby" "restore_command = '$BIN/wal-e wal-fetch --prefetch 4 %f %p'"
pg_conf "$standby" "wal_retrieve_retry_interval = 200ms"
as_user touch "$standby/standby.signal"

prefetching() { compgen -G "$standby/pg_wal/.wal-e/prefetch/*" > /dev/null; }
start_writer "$primary"
backups_killed=0 backups_done=0 prefetch_kills=0
for ((i = 0; i < iterations; i++)); do
  case $((i % 4)) in
    0) random_sleep 50 800 ;;
    1) random_sleep 300 1500 ;;  # this daemon holds its journal commits back 3 s
    2)
      pg_start "$standby" $(wale_env)
      if wait_for 30 prefetching; then prefetch_kills=$((prefetch_kills + 1)); else log "iteration $i: the prefetch area stayed empty"; fi
      random_sleep 0 200
      ;;
    3)
      pg_stop "$standby"
      # (|| exit: a failure is expected here, not one for the ERR trap)
      (wal_e backup-push --fast-checkpoint "$primary" > /dev/null 2> "$T/backup-push-$i.log" || exit $?) &
      pusher=$!
      random_sleep 200 2000
      ;;
  esac
  kill9_daemon
  if [ $((i % 4)) = 3 ]; then
    if wait "$pusher"; then backups_done=$((backups_done + 1)); else backups_killed=$((backups_killed + 1)); fi
  fi
  if [ $(((i + 1) % 4)) = 1 ]; then start_daemon WALE_FAULT_JOURNAL_COMMIT_DELAY_MS=3000; else start_daemon; fi
done
stop_writer
log "pushes recognised as already stored after a kill: $(grep -c "already archived with identical content" "$T/daemon.log" || true)"
log "$iterations kills; $prefetch_kills with segments in the prefetch area; backup-push killed $backups_killed times, finished first $backups_done times"
final=$(backup_push "$primary")
# A killed backup-push is never listed as a backup; verify names what it left.
wal_e backup-list 2> /dev/null | sed 1d | cut -f1 > "$T/listed"
grep -qx "$final" "$T/listed" || fail "the last backup is not listed"
set +e; wal_e verify 2> "$T/verify-killed.log"; set -e
sed -n 's/.*MSG: backup \(base_[0-9A-F_]*\) has no sentinel (incomplete).*/\1/p' "$T/verify-killed.log" | sort -u > "$T/incomplete"
if grep -qxFf "$T/incomplete" "$T/listed"; then fail "backup-list lists an incomplete backup: $(grep -xFf "$T/incomplete" "$T/listed")"; fi
log "$(wc -l < "$T/listed") backups listed; verify reports $(wc -l < "$T/incomplete") incomplete ones left by killed backup-pushes"
# What the operator does then: delete everything older than the last backup.
remove_leftovers() { wal_e delete --confirm before "$final" 2> "$T/delete.log" || { cat "$T/delete.log" >&2; fail "delete failed"; }; }
FAULT_BEFORE_VERIFY=remove_leftovers

# The standby catches up with everything archived and is promoted.
[ -f "$standby/postmaster.pid" ] || pg_start "$standby" $(wale_env)
end_lsn=$(psql_at "$primary" "SELECT pg_current_wal_lsn()")
archive_everything "$primary"
caught_up() { [ "$(psql_at "$standby" "SELECT pg_last_wal_replay_lsn() >= '$end_lsn'")" = t ]; }
wait_for 300 caught_up || fail "the standby did not replay the archive up to $end_lsn"
as_user "$PG_BIN/pg_ctl" -D "$standby" -w -t 120 promote > /dev/null
table_checksums "$primary" $FAULT_TABLES > "$T/primary-now.sums"
table_checksums "$standby" $FAULT_TABLES > "$T/standby.sums"
diff -u "$T/primary-now.sums" "$T/standby.sums" || fail "the promoted standby differs from the primary"
pg_stop "$standby"
log "the standby, fetching with prefetch through every kill, matches the primary ($(grep -c 'wal-e: ' "$standby/server.log" || true) failed fetches)"
FAULT_BASE=$final

finish_scenario "daemon kill -9 (any moment, journal commit, prefetch, backup-push)" "$iterations" "$primary"
stop_daemon
log PASS
