#!/usr/bin/env bash
# Issue 12, part 1: a long store outage, time compressed (1 MiB segments,
# thresholds of a few MiB, a 3 s stuck timeout). The store (the s3rver fork)
# is blackholed through the fault proxy while PostgreSQL keeps writing.
#   Policy off: the backlog crosses the warning and critical thresholds with
#   one log line each, one "stuck" ERROR names the segment and the store's
#   error, status shows it all, nothing is ever dropped however long it
#   lasts, and when the store is back the whole backlog is archived and
#   the archive is sound.
#   Policy on (WALE_DROP_WAL_ABOVE): announced at start and in status; above
#   the limit segments are reported archived without being stored, the gap
#   is in the journal, in status ("archive has a gap from X to Y; take a new
#   base backup"), as a marker in the store, and verify reports it; a new
#   base backup closes it and 'delete retain 1' removes it with the old WAL.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/peers.sh"

start_s3_peer
start_fault_proxy "$S3_PORT"
OUTAGE_ENV=(WALE_STORE_TIMEOUT=3 WALE_BACKLOG_WARNING=4MB WALE_BACKLOG_CRITICAL=8MB WALE_STUCK_TIMEOUT=3)
MiB=1048576

log "bad values of the new variables are refused, naming them"
for bad in WALE_DROP_WAL_ABOVE=1 WALE_DROP_WAL_ABOVE=lots WALE_BACKLOG_WARNING=abc WALE_BACKLOG_CRITICAL=150% WALE_STUCK_TIMEOUT=0; do
  assert_fails 2 "${bad%%=*}" as_user env "${WALE_ENV[@]}" "$bad" "$BIN/wal-ed" --socket "$T/bad.sock" --state-dir "$T/bad-state"
done

start_daemon "${OUTAGE_ENV[@]}"
primary=$T/primary
start_archiving_primary "$primary" 5432 --set "wal_keep_size = 1GB" --set "max_wal_size = 1GB" \
  --env WALE_STORE_TIMEOUT=3 --wal-segsize=1
psql_at "$primary" "CREATE TABLE t (x int)"
backup_push "$primary" > "$T/first-backup"
archive_everything "$primary"
assert_eq "$(status_value 's["drop_policy"]')" "off: WAL is never dropped" "drop policy shown by status"

# new_segments N: N finished 1 MiB segments (.ready in pg_wal).
new_segments() {
  local i
  for i in $(seq "$1"); do psql_at "$primary" "INSERT INTO t VALUES ($i); SELECT pg_switch_wal()" > /dev/null; done
}
# lines_since N PATTERN: how many lines of the daemon's log after line N match.
lines_since() { tail -n +"$(($1 + 1))" "$T/daemon.log" | grep -c -- "$2" || true; }
backlog_at_least() { [ "$(status_value 's["backlog_bytes"]')" -ge "$1" ]; }
status_is() { [ "$(status_value "$1")" = "$2" ]; }

log "policy off: the store goes away while PostgreSQL writes 6, then 8 more segments"
mark=$(wc -l < "$T/daemon.log")
proxy_mode refuse
new_segments 6
wait_for 60 status_is 's["backlog"][0]["level"]' warning || fail "the backlog level did not become warning (status: $(status_value 's["backlog"]'))"
new_segments 8
wait_for 60 backlog_at_least $((12 * MiB)) || fail "the backlog did not reach 12 MiB (status: $(status_value 's["backlog"]'))"
wait_for 60 status_is 's["backlog"][0]["level"]' critical || fail "the backlog level did not become critical"
wait_for 60 grep -q "MSG: archiving is stuck on $primary/pg_wal/" "$T/daemon.log" || fail "no 'stuck' error"
grep -A1 "MSG: archiving is stuck on" "$T/daemon.log" | grep -q "DETAIL: The store's last error: " || fail "the stuck error does not name the store's error"
stuck_path=$(status_value 's["stuck"]["path"]')
[ "$(basename "$stuck_path")" = "$(psql_at "$primary" "SELECT min(f) FROM (SELECT regexp_replace(pg_ls_dir, '\.ready$', '') f FROM pg_ls_dir('pg_wal/archive_status') WHERE pg_ls_dir LIKE '%.ready') r")" ] \
  || fail "status names $stuck_path as stuck, not the oldest .ready segment"
log "stuck on $(basename "$stuck_path"); $(status_value 's["backlog_segments"]') segments wait, oldest $(status_value 's["oldest_ready_age_seconds"]') s"

log "the outage goes on: 12 more segments, well past where a drop policy would have dropped"
new_segments 12
wait_for 60 backlog_at_least $((24 * MiB)) || fail "the backlog did not keep growing"
# Let PostgreSQL try (and fail) the oldest segment again meanwhile.
failed_before=$(psql_at "$primary" "SELECT failed_count FROM pg_stat_archiver")
wait_for 120 bash -c "[ \$(psql -X -h '$PGSOCK' -p 5432 -U postgres -d postgres -Atqc 'SELECT failed_count FROM pg_stat_archiver') -gt $failed_before ]" \
  || fail "PostgreSQL did not retry the oldest segment"
assert_eq "$(lines_since "$mark" "above the warning threshold")" 1 "warning lines for one crossing"
assert_eq "$(lines_since "$mark" "above the CRITICAL threshold")" 1 "critical lines for one crossing"
assert_eq "$(lines_since "$mark" "MSG: archiving is stuck on")" 1 "stuck errors for one stuck segment"
assert_eq "$(lines_since "$mark" "WAL DROPPED")" 0 "drops without the policy"
assert_eq "$(status_value 's["segments_dropped"]')" 0 "segments dropped without the policy"
assert_eq "$(status_value 'len(s["gaps"])')" 0 "gaps without the policy"
[ "$(status_value 's["store_errors"]["transient"]')" -gt 0 ] || fail "status counts no store errors"

log "the store is back: the whole backlog is archived"
proxy_mode pass
archive_everything "$primary"
wait_for 30 status_is 's["backlog"][0]["level"]' ok || fail "the backlog level did not come back to ok"
wait_for 30 status_is 's["stuck"]' None || fail "status still shows a stuck segment"
[ "$(lines_since "$mark" "back below the")" -ge 1 ] || fail "no line saying the backlog is back below its threshold"
checked=$(assert_archive_matches_pg_wal "$primary")
log "$checked segments match pg_wal; nothing was dropped"
wal_e verify > /dev/null 2> "$T/verify.log" || { cat "$T/verify.log" >&2; fail "verify after an outage without drops"; }
assert_eq "$(as_user "$PY" -c "import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute('SELECT count(*) FROM gaps').fetchone()[0])" "$STATE/journal.sqlite")" 0 "gaps in the journal"

log "policy on: WALE_DROP_WAL_ABOVE=12MB (and 2 uploads at once, so that most dropped segments are not already on their way)"
stop_daemon
mark=$(wc -l < "$T/daemon.log")
DAEMON_ARGS=(--pool-size 2)
start_daemon "${OUTAGE_ENV[@]}" WALE_DROP_WAL_ABOVE=12MB
assert_eq "$(lines_since "$mark" "MSG: WAL WILL BE DROPPED when the archive backlog of a pg_wal directory exceeds 12MB")" 1 "the start announcement"
status_value 's["drop_policy"]' | grep -q "^WAL WILL BE DROPPED when" || fail "status does not show the drop policy"

proxy_mode refuse
new_segments 20
dropped() { [ "$(status_value 's["segments_dropped"]')" -gt 0 ]; }
wait_for 120 dropped || fail "nothing was dropped above the limit (status: $(status_value 's["backlog"]'))"
# Dropping stops at the limit: the backlog stays near it instead of growing.
wait_for 60 status_is 'len(s["gaps"])' 1 || fail "status does not show one gap"
gap_message=$(status_value 's["gaps"][0]["message"]')
[[ "$gap_message" =~ ^archive\ has\ a\ gap\ from\ ([0-9A-F]{24})\ to\ ([0-9A-F]{24})\;\ take\ a\ new\ base\ backup$ ]] \
  || fail "unexpected gap message: $gap_message"
first=${BASH_REMATCH[1]}
grep -q "WAL DROPPED: $first was not archived" "$primary/server.log" || fail "PostgreSQL's log does not show the drop"
log "dropped from $first; $(status_value 's["segments_dropped"]') segments so far; backlog $(status_value 's["backlog_bytes"]') bytes"

log "the store is back"
proxy_mode pass
archive_everything "$primary"
# Once the uploads under way when their segments were dropped have ended,
# the gap is narrowed to what the store lacks and recorded there.
wait_for 60 status_is 'len(s["gaps"]) == 1 and s["gaps"][0]["recorded_in_store"]' True \
  || fail "the gap was not recorded in the store (status: $(status_value 's["gaps"]'))"
gap_message=$(status_value 's["gaps"][0]["message"]')
[[ "$gap_message" =~ from\ ([0-9A-F]{24})\ to\ ([0-9A-F]{24}) ]] || fail "no gap in status after the outage"
first=${BASH_REMATCH[1]} last=${BASH_REMATCH[2]}
gap_segments=$(status_value 's["gaps"][0]["segments"]')
log "status: $gap_message ($gap_segments segments missing of $(status_value 's["segments_dropped"]') dropped)"
journal_gap=$(as_user "$PY" -c "import sqlite3,sys; print(*sqlite3.connect(sys.argv[1]).execute('SELECT first, last, segments FROM gaps').fetchone())" "$STATE/journal.sqlite")
assert_eq "$journal_gap" "$first $last $gap_segments" "the journal's gap"
marker=wal_005/${first}_${last}.gap.json
in_store() { probe list wal_005/ 2> /dev/null | cut -f1 | grep -qx "$1"; }
wait_for 60 in_store "$marker" || fail "no gap marker $marker in the store"
# Every segment outside the gap is stored; inside it, those whose upload
# was not already under way when they were dropped are not.
archived=$(archived_wal_files)
missing=0
last_archived=$(psql_at "$primary" "SELECT last_archived_wal FROM pg_stat_archiver")
for name in $(psql_at "$primary" "SELECT name FROM pg_ls_waldir() WHERE name ~ '^[0-9A-F]{24}$' AND name >= '$(cut -c6-29 "$T/first-backup")' AND name <= '$last_archived' ORDER BY 1"); do
  grep -qx "$name" <<< "$archived" && continue
  [[ "$name" < "$first" || "$name" > "$last" ]] && fail "$name is missing from the store but outside the gap"
  missing=$((missing + 1))
done
assert_eq "$missing" "$gap_segments" "segments missing from the store"
archived_wal_files | grep -qx "$first" && fail "the gap's first segment $first is in the store"
archived_wal_files | grep -qx "$last" && fail "the gap's last segment $last is in the store"
log "$missing segments of the gap are missing from the store, nothing else"
# verify names the gap, and only it.
assert_fails 1 "archive has a gap from $first to $last; take a new base backup" wal_e verify

log "a new base backup closes the gap; delete retain 1 removes it with the old WAL"
stop_daemon
DAEMON_ARGS=()
start_daemon "${OUTAGE_ENV[@]}" WALE_DROP_WAL_ABOVE=12MB
assert_eq "$(status_value 's["gaps"][0]["message"]')" "$gap_message" "the gap after a restart"
backup_push "$primary" > /dev/null
wait_for 60 status_is 'len(s["gaps"])' 0 || fail "the gap is still open after a new base backup"
wal_e delete --confirm retain 1 2> "$T/delete.log" || { cat "$T/delete.log" >&2; fail "delete retain 1"; }
probe list wal_005/ 2> /dev/null | cut -f1 | grep -q '\.gap\.json$' && fail "the gap marker survived delete retain 1"
archive_everything "$primary"
wal_e verify > /dev/null 2> "$T/verify.log" || { cat "$T/verify.log" >&2; fail "verify after the new backup"; }
pg_stop "$primary"
stop_daemon
log PASS
