#!/usr/bin/env bash
# Acceptance (base backups): a cluster with a user tablespace is backed up
# and restored twice: once relocating the tablespace with --restore-spec
# (WAL-E's JSON), once with --blind-restore (the tablespace inside
# pg_tblspc). Both recover to the same data; the relocated one keeps a
# pg_tblspc link to the new place, and PostgreSQL's tablespace_map agrees.
source "$(dirname "$0")/lib.sh"

primary=$T/primary
mkdir -p "$T/ts1"
chown "$TEST_USER": "$T/ts1"
start_archiving_primary "$primary" 5432
psql_at "$primary" "CREATE TABLESPACE ts1 LOCATION '$T/ts1'"
psql_at "$primary" "CREATE TABLE in_ts TABLESPACE ts1 AS SELECT g AS id, md5(g::text) AS v FROM generate_series(1, 50000) g"
psql_at "$primary" "CREATE INDEX in_ts_v ON in_ts (v) TABLESPACE ts1"
psql_at "$primary" "CREATE TABLE in_base AS SELECT g AS id FROM generate_series(1, 1000) g"
oid=$(psql_at "$primary" "SELECT oid FROM pg_tablespace WHERE spcname = 'ts1'")
wal_e backup-push --fast-checkpoint "$primary" 2> "$T/push.log" || { cat "$T/push.log" >&2; fail "backup-push failed"; }
psql_at "$primary" "INSERT INTO in_ts SELECT g, 'after' FROM generate_series(50001, 50100) g"
table_checksums "$primary" in_ts in_base > "$T/primary.sums"
archive_everything "$primary"
pg_stop "$primary"
name=$(wal_e backup-list 2> /dev/null | sed -n '2p' | cut -f1)
probe get "basebackups_005/${name}_backup_stop_sentinel.json" 2> /dev/null > "$T/sentinel.json"
grep -q "\"tablespaces\": \[\"$oid\"\], \"$oid\": {\"loc\": \"$T/ts1/\", \"link\": \"pg_tblspc/$oid\"}" "$T/sentinel.json" \
  || { cat "$T/sentinel.json" >&2; fail "the sentinel does not record the tablespace as WAL-E does"; }

recover_and_check() {  # recover_and_check DIR LABEL
  local dir=$1 label=$2
  as_user cp "$primary/postgresql.conf" "$primary/pg_hba.conf" "$primary/pg_ident.conf" "$dir/"
  pg_conf "$dir" "archive_mode = off"
  pg_conf "$dir" "restore_command = '$BIN/wal-e wal-fetch %f %p'"
  as_user touch "$dir/recovery.signal"
  pg_start "$dir" $(wale_env)
  wait_for 120 bash -c "[ \"\$(psql -X -h '$PGSOCK' -p 5432 -U postgres -d postgres -Atqc 'SELECT pg_is_in_recovery()' 2>/dev/null)\" = f ]" \
    || fail "$label: recovery did not finish"
  table_checksums "$dir" in_ts in_base > "$T/$label.sums"
  diff -u "$T/primary.sums" "$T/$label.sums" || fail "$label: the restored tables differ"
  assert_eq "$(psql_at "$dir" "SELECT count(*) FROM in_ts WHERE v = md5('777')")" 1 "$label: index lookup in the tablespace"
  pg_stop "$dir"
}

log "restore with --restore-spec, relocating the tablespace"
cat > "$T/spec.json" <<JSON
{"base_prefix": "$T/spec-restore/", "tablespaces": ["$oid"], "$oid": {"loc": "$T/ts-relocated/", "link": "pg_tblspc/$oid"}}
JSON
chmod 0644 "$T/spec.json"
wal_e backup-fetch --restore-spec "$T/spec.json" "$T/spec-restore" LATEST 2> "$T/fetch1.log" || { cat "$T/fetch1.log" >&2; fail "backup-fetch --restore-spec failed"; }
assert_eq "$(readlink "$T/spec-restore/pg_tblspc/$oid")" "$T/ts-relocated" "the tablespace link"
[ -n "$(ls "$T/ts-relocated")" ] || fail "nothing was restored into the relocated tablespace"
recover_and_check "$T/spec-restore" restore-spec
assert_eq "$(readlink "$T/spec-restore/pg_tblspc/$oid")" "$T/ts-relocated" "the tablespace link after recovery"

log "restore with --blind-restore, the tablespace inside pg_tblspc"
wal_e backup-fetch --blind-restore "$T/blind-restore" LATEST 2> "$T/fetch2.log" || { cat "$T/fetch2.log" >&2; fail "backup-fetch --blind-restore failed"; }
[ -d "$T/blind-restore/pg_tblspc/$oid" ] && [ ! -L "$T/blind-restore/pg_tblspc/$oid" ] || fail "blind restore did not put the tablespace inside pg_tblspc"
recover_and_check "$T/blind-restore" blind-restore

log "without either, a missing tablespace link is refused"
set +e
wal_e backup-fetch "$T/plain-restore" LATEST 2> "$T/err"
rc=$?
set -e
assert_eq "$rc" 1 "status without tablespace links"
assert_one_line_error "$T/err" "Symlinks for some tablespaces not found or created"
log PASS
