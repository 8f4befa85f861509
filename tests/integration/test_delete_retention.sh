#!/usr/bin/env bash
# Acceptance (delete): retention on an archive written by a real PostgreSQL
# 15 server with several backups and WAL on two timelines. Backups A and B
# on timeline 1; B restored to a restore point in the middle of a segment
# and promoted to timeline 2 (timeline 1 went on past that point: a dead
# branch), where backup C is taken. Then:
#   * `delete retain 2` as a dry run prints exactly the keys it would delete
#     and deletes nothing; `--dry-run --confirm` deletes nothing either;
#   * `delete --confirm retain 2` deletes exactly the expected keys, computed
#     twice: by WAL-E's rule over the listing (Python) and by name from the
#     backups (Bash); B and C still restore to the end of the archive;
#   * `delete --confirm before C` likewise; C still restores;
#   * two `delete --confirm retain 1` at once both succeed, with the same
#     result as `before C`.
# wal-e verify confirms the archive is sound after each step.
source "$(dirname "$0")/lib.sh"

start_daemon
primary=$T/primary
second=$T/second
start_archiving_primary "$primary" 5432 --wal-segsize=1
psql_at "$primary" "CREATE TABLE marks (id serial PRIMARY KEY, note text)"

write_wal() {  # write_wal DIR: about a segment of WAL, then a switch
  psql_at "$1" "INSERT INTO marks (note) SELECT repeat(md5(g::text), 8) FROM generate_series(1, 4000) g"
  psql_at "$1" "SELECT pg_switch_wal()" > /dev/null
}

log "timeline 1: backups A and B"
write_wal "$primary"
A=$(backup_push "$primary")
write_wal "$primary"
write_wal "$primary"
B=$(backup_push "$primary")
write_wal "$primary"
# Timeline 2 will branch off here, in the middle of a segment; what timeline
# 1 writes after this point is a dead branch.
psql_at "$primary" "INSERT INTO marks (note) SELECT 'before the fork' FROM generate_series(1, 1000)"
psql_at "$primary" "SELECT pg_create_restore_point('fork')" > /dev/null
psql_at "$primary" "INSERT INTO marks (note) SELECT 'timeline 1 only' FROM generate_series(1, 100)"
write_wal "$primary"
archive_everything "$primary"
pg_stop "$primary"

# Restores read the archive in-process (no daemon): what they find is what
# delete left, nothing else.
restore_command="restore_command = 'env WALE_SOCKET=$T/no-daemon.sock $BIN/wal-e wal-fetch %f %p'"

log "timeline 2: B restored and promoted, backup C"
wal_e backup-fetch "$second" "$B" 2> "$T/fetch-second.log" || { cat "$T/fetch-second.log" >&2; fail "backup-fetch of B failed"; }
as_user cp "$primary/postgresql.conf" "$primary/pg_hba.conf" "$primary/pg_ident.conf" "$second/"
pg_conf "$second" "$restore_command"
pg_conf "$second" "recovery_target_name = 'fork'"
pg_conf "$second" "recovery_target_action = 'promote'"
as_user touch "$second/recovery.signal"
pg_start "$second" $(wale_env)
wait_for 120 bash -c "[ \"\$(psql -X -h '$PGSOCK' -p 5432 -U postgres -d postgres -Atqc 'SELECT pg_is_in_recovery()' 2>/dev/null)\" = f ]" \
  || fail "B did not finish recovery"
psql_at "$second" "CHECKPOINT"
assert_eq "$(psql_at "$second" "SELECT timeline_id FROM pg_control_checkpoint()")" 2 "timeline after promotion"
assert_eq "$(psql_at "$second" "SELECT count(*) FROM marks WHERE note = 'timeline 1 only'")" 0 "rows of the dead branch"
write_wal "$second"
C=$(backup_push "$second")
write_wal "$second"
archive_everything "$second"
table_checksums "$second" marks > "$T/final.sums"
pg_stop "$second"
log "A=$A B=$B C=$C"
[ -n "$A" ] && [ -n "$B" ] && [ -n "$C" ] || fail "a backup name is missing"
[ "${C:5:8}" = 00000002 ] || fail "C is not on timeline 2: $C"

list_keys() { probe list "" 2> /dev/null | cut -f1 | sort; }
# The segment holding the switch is on both timelines: timeline 1's copy
# archived whole by the primary, timeline 2's by the promoted server.
fork_seg=$(archived_wal_files | sed -n 's/^00000002\([0-9A-F]\{16\}\)$/\1/p' | sed -n 1p)
archived_wal_files | grep -qx "00000001$fork_seg" || fail "timeline 1 has no whole copy of segment $fork_seg holding the switch"
# A promoted streaming standby would also archive timeline 1's copy as
# .partial (a server that restored the segment from the archive does not):
# add one, as such a server would have.
probe get "wal_005/00000001$fork_seg.lzo" 2> /dev/null | probe put "wal_005/00000001$fork_seg.partial.lzo" > /dev/null 2>&1
list_keys > "$T/keys-0"
grep -qx "wal_005/00000002.history.lzo" "$T/keys-0" || fail "the archive has no history file for timeline 2"
grep -qx "wal_005/00000001$fork_seg.partial.lzo" "$T/keys-0" || fail "the .partial file was not added"

# WAL-E's rule, written independently of the C++ code: keys of backups
# whose start segment number int(LOG+SEG, 16) is below the horizon's; WAL
# segments and backup history files below it, on any timeline; never a
# history file, never a .partial.
wale_rule() {  # wale_rule KEYS_FILE HORIZON_BACKUP
  "$PY" - "$1" "$2" <<'PY'
import re, sys
keys = open(sys.argv[1]).read().split()
horizon = int(sys.argv[2][5 + 8:5 + 24], 16)
out = []
for k in keys:
    m = re.fullmatch(r"basebackups_005/base_([0-9A-F]{24})_[0-9A-F]{8}"
                     r"(_backup_stop_sentinel\.json|/extended_version\.txt|/tar_partitions/[^/]+)", k)
    if m is None:
        m = re.fullmatch(r"wal_005/([0-9A-F]{24})(\.[0-9A-F]{8}\.backup)?\.lzo", k)
    if m is not None and int(m.group(1)[8:], 16) < horizon:
        out.append(k)
print("\n".join(sorted(out)))
PY
}

seg_of() { echo $((16#${1:21:8})); }  # the SEG part of a backup name (its LOG part is 0 here)
for name in "$A" "$B" "$C"; do [ "${name:13:8}" = 00000000 ] || fail "unexpected LOG part in $name"; done

# The same sets, by name: a backup's four kinds of keys, and runs of segments.
backup_keys_of() {  # backup_keys_of NAME KEYS_FILE
  echo "basebackups_005/${1}_backup_stop_sentinel.json"
  echo "basebackups_005/$1/extended_version.txt"
  local parts
  parts=$(grep -c "^basebackups_005/$1/tar_partitions/part_[0-9]*\.tar\.lzo$" "$2" || true)
  [ "$parts" -ge 2 ] || fail "backup $1 has $parts partitions in the listing"
  grep "^basebackups_005/$1/tar_partitions/" "$2"
  echo "wal_005/${1:5:24}.$(printf %08X $((10#${1:30:8}))).backup.lzo"
}
segment_run() {  # segment_run TLI FROM TO: wal keys of segments FROM..TO (hex) on TLI
  local i
  for ((i = 16#$2; i <= 16#$3; i++)); do printf 'wal_005/%08X00000000%08X.lzo\n' $((16#$1)) "$i"; done
}
first_seg() { grep -E "^wal_005/$1[0-9A-F]{16}\.lzo$" "$2" | sed -n 1p | cut -c25-32; }  # SEG of TLI $1's first segment
last_seg() { grep -E "^wal_005/$1[0-9A-F]{16}\.lzo$" "$2" | tail -n 1 | cut -c25-32; }
hex() { printf %X "$1"; }

# restore NAME LABEL: the backup restores and recovers to the end of the
# archive (following timeline 2), where the table is as the server left it.
restore() {
  local dir=$T/restore-$2
  wal_e backup-fetch "$dir" "$1" 2> "$T/fetch-$2.log" || { cat "$T/fetch-$2.log" >&2; fail "backup-fetch of $1 failed"; }
  as_user cp "$primary/postgresql.conf" "$primary/pg_hba.conf" "$primary/pg_ident.conf" "$dir/"
  pg_conf "$dir" "port = 5433"
  pg_conf "$dir" "archive_mode = off"
  pg_conf "$dir" "$restore_command"
  as_user touch "$dir/recovery.signal"
  pg_start "$dir" $(wale_env)
  wait_for 120 bash -c "[ \"\$(psql -X -h '$PGSOCK' -p 5433 -U postgres -d postgres -Atqc 'SELECT pg_is_in_recovery()' 2>/dev/null)\" = f ]" \
    || fail "$1 did not recover after $2"
  table_checksums "$dir" marks > "$T/$2.sums"
  diff -u "$T/final.sums" "$T/$2.sums" || fail "$1 restored after $2 differs from the server's last state"
  pg_stop "$dir"
  rm -rf "$dir"
}

announced() {  # the keys a delete log announces, relative to the store
  sed -n "s|^        DETAIL: The key being deleted is file://localhost$STORE/\(.*\)\.$|\1|p" "$1" | sort
}

wal_e verify 2> "$T/verify-0.log" || { cat "$T/verify-0.log" >&2; fail "the archive is not sound before any delete"; }

log "delete retain 2, dry run"
wale_rule "$T/keys-0" "$B" > "$T/expected-1"
{
  backup_keys_of "$A" "$T/keys-0"
  segment_run 1 "$(first_seg 00000001 "$T/keys-0")" "$(hex $(( $(seg_of "$B") - 1 )))"
} | sort > "$T/by-name-1"
diff -u "$T/by-name-1" "$T/expected-1" || fail "the two statements of what retain 2 deletes differ"
wal_e delete retain 2 2> "$T/dry.log" || { cat "$T/dry.log" >&2; fail "dry run failed"; }
grep -q "MSG: performing dry run of data deletion" "$T/dry.log" || fail "the dry run did not say so"
grep -q "MSG: Deleting 1 oldest base backups." "$T/dry.log" || fail "retain 2 did not report what it deletes"
announced "$T/dry.log" > "$T/dry-keys"
diff -u "$T/expected-1" "$T/dry-keys" || fail "the dry run announced other keys than expected"
assert_eq "$(grep -c 'HINT: This is only a dry run -- no actual data is being deleted' "$T/dry.log")" "$(wc -l < "$T/expected-1")" \
  "dry-run hints"
list_keys | diff -u "$T/keys-0" - || fail "the dry run deleted something"
wal_e delete --dry-run --confirm retain 2 2> "$T/dry2.log" || fail "--dry-run --confirm failed"
grep -q "MSG: performing dry run of data deletion" "$T/dry2.log" || fail "--dry-run did not win over --confirm"
list_keys | diff -u "$T/keys-0" - || fail "--dry-run --confirm deleted something"

log "delete --confirm retain 2"
wal_e delete --confirm retain 2 2> "$T/retain.log" || { cat "$T/retain.log" >&2; fail "delete retain 2 failed"; }
grep -q "MSG: deleting data in the store" "$T/retain.log" || fail "the delete did not announce itself"
announced "$T/retain.log" | diff -u "$T/expected-1" - || fail "delete retain 2 announced other keys"
list_keys > "$T/keys-1"
comm -23 "$T/keys-0" "$T/keys-1" | diff -u "$T/expected-1" - || fail "delete retain 2 deleted other keys than expected"
comm -13 "$T/keys-0" "$T/keys-1" | diff -u /dev/null - || fail "keys appeared during the delete"
grep -q "^basebackups_005/$B" "$T/keys-1" && grep -q "^basebackups_005/$C" "$T/keys-1" || fail "B or C is gone"
grep -qx "wal_005/00000002.history.lzo" "$T/keys-1" || fail "the history file is gone"
wal_e verify 2> "$T/verify-1.log" || { cat "$T/verify-1.log" >&2; fail "the archive is not sound after retain 2"; }
restore "$B" retain2-B
restore "$C" retain2-C
cp -a "$STORE" "$T/store-copy"

log "delete --confirm before C"
wale_rule "$T/keys-1" "$C" > "$T/expected-2"
{
  backup_keys_of "$B" "$T/keys-1"
  # Timeline 1 up to C's number: its dead branch at or after C stays.
  tl1_last=$(last_seg 00000001 "$T/keys-1")
  [ $((16#$tl1_last)) -lt "$(seg_of "$C")" ] || tl1_last=$(hex $(( $(seg_of "$C") - 1 )))
  segment_run 1 "$(hex "$(seg_of "$B")")" "$tl1_last"
  tl2_first=$(first_seg 00000002 "$T/keys-1")
  [ $((16#$tl2_first)) -lt "$(seg_of "$C")" ] && segment_run 2 "$tl2_first" "$(hex $(( $(seg_of "$C") - 1 )))"
  true
} | sort > "$T/by-name-2"
diff -u "$T/by-name-2" "$T/expected-2" || fail "the two statements of what before C deletes differ"
wal_e delete --confirm before "$C" 2> "$T/before.log" || { cat "$T/before.log" >&2; fail "delete before C failed"; }
list_keys > "$T/keys-2"
comm -23 "$T/keys-1" "$T/keys-2" | diff -u "$T/expected-2" - || fail "delete before C deleted other keys than expected"
assert_eq "$(grep -c '^basebackups_005/' "$T/keys-2" | tr -d ' ')" "$(grep -c "^basebackups_005/$C" "$T/keys-2")" "only C's keys left"
grep -qx "wal_005/00000002.history.lzo" "$T/keys-2" || fail "the history file is gone"
grep -qx "wal_005/00000001$fork_seg.partial.lzo" "$T/keys-2" || fail "the .partial file is gone"
grep -q "appears to be a partial segment" "$T/before.log" || fail "delete did not warn about the .partial file it keeps"
wal_e verify 2> "$T/verify-2.log" || { cat "$T/verify-2.log" >&2; fail "the archive is not sound after before C"; }
restore "$C" before-C

log "two deletes at once"
copy_env=(WALE_FILE_PREFIX="file://localhost$T/store-copy" WALE_SOCKET="$T/no-daemon.sock" WALE_LOG_DESTINATION=stderr)
as_user env "${copy_env[@]}" "$BIN/wal-e" delete --confirm retain 1 2> "$T/concurrent-1.log" &
first=$!
as_user env "${copy_env[@]}" "$BIN/wal-e" delete --confirm retain 1 2> "$T/concurrent-2.log" &
second_delete=$!
wait "$first" || { cat "$T/concurrent-1.log" >&2; fail "the first of two concurrent deletes failed"; }
wait "$second_delete" || { cat "$T/concurrent-2.log" >&2; fail "the second of two concurrent deletes failed"; }
as_user env "${copy_env[@]}" "$BIN/wale-store-probe" list "" 2> /dev/null | cut -f1 | sort | diff -u "$T/keys-2" - \
  || fail "two concurrent retain 1 left another archive than before C"

stop_daemon
log PASS
