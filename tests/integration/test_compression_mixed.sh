#!/usr/bin/env bash
# Acceptance (compression choices): a real PostgreSQL 15 cluster archives
# with WALE_COMPRESSION=lz4 through the daemon, then zstd in-process (no
# daemon), then lzop through the daemon again, with a base backup in each,
# all through the envdir archive_command reads. The archive then holds
# .lz4, .zst and .lzo objects; the lz4 and zstd command-line tools read
# them; a segment stored under one suffix counts as stored under another;
# verify --deep is clean; the lz4 backup restores and replays the mixed WAL
# (through the daemon, prefetching, configured for lzop) to the end with
# the source's data; the zstd backup restores in-process. A bad
# WALE_COMPRESSION is a one-line error naming it, in-process and for wal-ed.
source "$(dirname "$0")/lib.sh"

envdir=$T/env
mkdir -p "$envdir"
base_env=("${WALE_ENV[@]}")
# use_compression NAME: the envdir archive_command reads, and the
# environment of the daemon and of the commands the test runs.
use_compression() {
  echo "$1" > "$envdir/WALE_COMPRESSION"
  WALE_ENV=("${base_env[@]}" "WALE_COMPRESSION=$1")
}

log "a bad WALE_COMPRESSION is refused, naming the variable"
mkdir -p "$T/bad/pg_wal/archive_status"
make_segment "$T/bad/pg_wal/000000010000000000000001" 000000010000000000000001
chown -R "$TEST_USER": "$T/bad"
(cd "$T/bad" && assert_fails 1 "WALE_COMPRESSION wants one of lzop lz4 zstd, not 'gzip'" \
  as_user env "${WALE_ENV[@]}" WALE_SOCKET="$T/none.sock" WALE_LOG_DESTINATION=stderr WALE_COMPRESSION=gzip \
  "$BIN/wal-e" wal-push pg_wal/000000010000000000000001)
assert_fails 2 "WALE_COMPRESSION wants one of lzop lz4 zstd, not 'LZ4'" \
  as_user env "${WALE_ENV[@]}" WALE_COMPRESSION=LZ4 WALE_LOG_DESTINATION=stderr "$BIN/wal-ed" --socket "$T/bad.sock" --state-dir "$T/bad-state"
[ ! -e "$STORE/wal_005" ] || fail "a refused command stored something"

primary=$T/primary
use_compression lz4
start_daemon
start_archiving_primary "$primary" 5432 --set "wal_keep_size = '1GB'" \
  --set "archive_command = 'envdir $envdir $BIN/wal-e wal-push %p'" --wal-segsize=1
pgbench_at "$primary" -i -s 2 -q > "$T/pgbench-init.log" 2>&1

log "lz4 through the daemon"
backup_lz4=$(backup_push "$primary")
pgbench_at "$primary" -n -c 2 -t 300 > "$T/pgbench-lz4.log" 2>&1
archive_everything "$primary"
stop_daemon

log "zstd in-process"
use_compression zstd
backup_zstd=$(backup_push "$primary")
pgbench_at "$primary" -n -c 2 -t 300 > "$T/pgbench-zstd.log" 2>&1
archive_everything "$primary"

log "lzop through the daemon"
use_compression lzop
start_daemon
backup_lzop=$(backup_push "$primary")
pgbench_at "$primary" -n -c 2 -t 300 > "$T/pgbench-lzop.log" 2>&1
psql_at "$primary" "CREATE TABLE last_words AS SELECT 'the end' AS x"
archive_everything "$primary"
table_checksums "$primary" pgbench_accounts pgbench_branches pgbench_tellers pgbench_history last_words > "$T/primary.sums"

log "the archive holds every suffix, each readable by its own tool"
probe list "" 2> /dev/null | cut -f1 > "$T/keys"
for suffix in lz4 zst lzo; do
  grep -qE "^wal_005/[0-9A-F]{24}\.$suffix$" "$T/keys" || fail "no .$suffix WAL object in the archive"
done
grep -q "^basebackups_005/$backup_lz4/tar_partitions/part_00000000.tar.lz4$" "$T/keys" || fail "the lz4 backup has no .tar.lz4 partition"
grep -q "^basebackups_005/$backup_zstd/tar_partitions/part_00000000.tar.zst$" "$T/keys" || fail "the zstd backup has no .tar.zst partition"
grep -q "^basebackups_005/$backup_lzop/tar_partitions/part_00000000.tar.lzo$" "$T/keys" || fail "the lzop backup has no .tar.lzo partition"
twice=$(grep -E '^wal_005/' "$T/keys" | sed -E 's/\.(lzo|lz4|zst)$//' | sort | uniq -d)
[ -z "$twice" ] || fail "WAL files stored under two suffixes: $twice"
# store_cat decompresses with lz4 -d, zstd -d or lzop -d by suffix.
compared=$(assert_archive_matches_pg_wal "$primary")
log "$compared archived segments match pg_wal byte for byte ($(grep -c '\.lz4$' "$T/keys") .lz4, $(grep -c '\.zst$' "$T/keys") .zst, $(grep -c '\.lzo$' "$T/keys") .lzo objects)"

log "a segment stored as .lz4 counts as stored when lzop is configured"
again=$(grep -E '^wal_005/[0-9A-F]{24}\.lz4$' "$T/keys" | tail -n 1 | sed -E 's#^wal_005/(.*)\.lz4$#\1#')
[ -f "$primary/pg_wal/$again" ] || fail "$again is gone from pg_wal (wal_keep_size)"
for via in "$SOCKET" "$T/none.sock"; do
  (cd "$primary" && as_user env "${WALE_ENV[@]}" WALE_SOCKET="$via" WALE_LOG_DESTINATION=stderr \
    "$BIN/wal-e" wal-push "pg_wal/$again") 2> "$T/again.log" || { cat "$T/again.log" >&2; fail "pushing $again again failed"; }
  grep -q "was already archived with identical content" "$T/again.log" || { cat "$T/again.log" >&2; fail "pushing $again again did not find it stored"; }
done
[ -z "$(probe list "wal_005/$again.lzo" 2> /dev/null)" ] || fail "$again was stored a second time, as .lzo"

pg_stop "$primary"

log "verify --deep on the mixed archive"
wal_e verify --deep 2> "$T/verify.log" || { cat "$T/verify.log" >&2; fail "verify --deep failed on the mixed archive"; }
grep -q "MSG: the archive is sound" "$T/verify.log" || fail "verify did not say the archive is sound"
! grep -q "not readable by this version" "$T/verify.log" || fail "verify skipped objects it should read"
wal_e backup-list > "$T/backups.txt" 2> /dev/null
for b in "$backup_lz4" "$backup_zstd" "$backup_lzop"; do grep -q "^$b" "$T/backups.txt" || fail "backup-list does not show $b"; done

log "restore the lz4 backup and replay the mixed WAL to the end, through the daemon (configured lzop)"
restored=$T/restored
wal_e backup-fetch "$restored" "$backup_lz4" 2> "$T/backup-fetch.log" || { cat "$T/backup-fetch.log" >&2; fail "backup-fetch of the lz4 backup failed"; }
as_user cp "$primary/postgresql.conf" "$primary/pg_hba.conf" "$primary/pg_ident.conf" "$restored/"
pg_conf "$restored" "archive_mode = off"
pg_conf "$restored" "restore_command = '$BIN/wal-e wal-fetch %f %p'"
as_user touch "$restored/recovery.signal"
pg_start "$restored" $(wale_env)
wait_for 180 bash -c "[ \"\$(psql -X -h '$PGSOCK' -p 5432 -U postgres -d postgres -Atqc 'SELECT pg_is_in_recovery()' 2>/dev/null)\" = f ]" \
  || fail "recovery did not finish"
table_checksums "$restored" pgbench_accounts pgbench_branches pgbench_tellers pgbench_history last_words > "$T/restored.sums"
# last_words exists only in the WAL archived as .lzo, pgbench's last rows
# in .zst and .lz4 objects: matching tables prove every suffix was read.
diff -u "$T/primary.sums" "$T/restored.sums" || fail "the restored cluster differs from the source"
pg_stop "$restored"
stop_daemon

log "restore the zstd backup in-process"
as_user env "${WALE_ENV[@]}" WALE_SOCKET="$T/none.sock" WALE_LOG_DESTINATION=stderr \
  "$BIN/wal-e" backup-fetch "$T/restored-zstd" "$backup_zstd" 2> "$T/backup-fetch-zstd.log" \
  || { cat "$T/backup-fetch-zstd.log" >&2; fail "backup-fetch of the zstd backup failed"; }
[ -f "$T/restored-zstd/PG_VERSION" ] && [ -f "$T/restored-zstd/backup_label" ] || fail "the zstd backup restored incompletely"
log PASS
