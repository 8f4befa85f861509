#!/usr/bin/env bash
# Acceptance (verify): `wal-e verify` passes on a healthy archive written by
# a real PostgreSQL 15 server, and on copies of it damaged one way at a
# time it fails and names the damage: a WAL segment deleted in the middle,
# a missing partition, a missing sentinel, and (with --deep only) a byte
# flipped inside a WAL object. Each verdict is also read from --json.
source "$(dirname "$0")/lib.sh"

start_daemon
primary=$T/primary
start_archiving_primary "$primary" 5432 --wal-segsize=1

log "an archive: WAL, a backup, more WAL"
psql_at "$primary" "CREATE TABLE marks (id serial PRIMARY KEY, note text)"
write_wal() {
  psql_at "$primary" "INSERT INTO marks (note) SELECT repeat(md5(g::text), 8) FROM generate_series(1, 4000) g"
  psql_at "$primary" "SELECT pg_switch_wal()" > /dev/null
}
write_wal
backup=$(backup_push "$primary")
write_wal
write_wal
archive_everything "$primary"
pg_stop "$primary"

# verify_at STORE_DIR ARGS...: verify in-process against a copy of the
# archive (the daemon serves only its own prefix).
verify_at() {
  local store=$1; shift
  as_user env WALE_FILE_PREFIX="file://localhost$store" WALE_SOCKET="$T/no-daemon.sock" WALE_LOG_DESTINATION=stderr \
    "$BIN/wal-e" verify "$@"
}

# json_field FILE EXPR: a Python expression over the parsed report `r`.
json_field() { "$PY" -c 'import json, sys; r = json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$1" "$2"; }

log "a healthy archive is sound (through the daemon, then in-process, then --deep)"
wal_e verify 2> "$T/healthy.log" || { cat "$T/healthy.log" >&2; fail "verify failed on a healthy archive"; }
grep -q "MSG: the archive is sound" "$T/healthy.log" || fail "verify did not say the archive is sound"
wal_e verify --json > "$T/healthy.json" 2> "$T/healthy-json.log" || { cat "$T/healthy-json.log" >&2; fail "verify --json failed"; }
assert_eq "$(json_field "$T/healthy.json" 'r["sound"]')" True "sound in --json"
assert_eq "$(json_field "$T/healthy.json" 'len(r["problems"]), len(r["missing_wal"])')" "(0, 0)" "problems on a healthy archive"
assert_eq "$(json_field "$T/healthy.json" '[b["name"] for b in r["backups"] if b["restorable"]]')" "['$backup']" "restorable backups"
verify_at "$STORE" --deep --json > "$T/deep.json" 2> "$T/deep.log" || { cat "$T/deep.log" >&2; fail "verify --deep failed on a healthy archive"; }
assert_eq "$(json_field "$T/deep.json" 'r["sound"]')" True "sound with --deep"
objects=$(probe list "" 2> /dev/null | grep -cE '\.lzo	' || true)
assert_eq "$(json_field "$T/deep.json" 'r["decoded_objects"]')" "$objects" "objects decoded by --deep (every WAL object and partition)"

# damaged_copy NAME: a fresh copy of the archive (with its extended attributes).
damaged_copy() {
  local copy=$T/copy-$1
  cp -a "$STORE" "$copy"
  echo "$copy"
}

# expect_problem COPY KEY LOG_PATTERN [VERIFY ARGS...]: verify fails, its
# log names the damage, and --json lists the key as a problem.
expect_problem() {
  local copy=$1 key=$2 pattern=$3; shift 3
  set +e
  verify_at "$copy" --json "$@" > "$copy.json" 2> "$copy.log"
  local rc=$?
  set -e
  [ "$rc" != 0 ] || { cat "$copy.log" >&2; fail "verify $* passed on $copy"; }
  grep -qE "ERROR +MSG: .*$pattern" "$copy.log" || { cat "$copy.log" >&2; fail "verify did not name the damage (/$pattern/)"; }
  assert_eq "$(json_field "$copy.json" 'r["sound"]')" False "sound in --json of $copy"
  assert_eq "$(json_field "$copy.json" "'$key' in [p['key'] for p in r['problems']]")" True "$key among the problems of $copy"
}

log "a WAL segment deleted in the middle"
start_seg=${backup:5:24}
segments=($(archived_wal_files | grep -E '^[0-9A-F]{24}$' | sort))
after=()
for s in "${segments[@]}"; do [[ "$s" > "$start_seg" ]] && after+=("$s"); done
[ "${#after[@]}" -ge 3 ] || fail "too few segments after the backup: ${after[*]}"
victim=${after[$(( ${#after[@]} / 2 ))]}
copy=$(damaged_copy wal)
rm "$copy/wal_005/$victim.lzo"
expect_problem "$copy" "wal_005/$victim.lzo" "WAL segment $victim is missing"
assert_eq "$(json_field "$copy.json" 'r["missing_wal"]')" "['$victim']" "missing_wal"

log "a missing partition"
copy=$(damaged_copy partition)
rm "$copy/basebackups_005/$backup/tar_partitions/part_00000000.tar.lzo"
expect_problem "$copy" "basebackups_005/$backup/tar_partitions/part_00000000.tar.lzo" \
  "backup $backup is missing partition part_00000000.tar.lzo"

log "a missing sentinel"
copy=$(damaged_copy sentinel)
rm "$copy/basebackups_005/${backup}_backup_stop_sentinel.json"
expect_problem "$copy" "basebackups_005/${backup}_backup_stop_sentinel.json" "backup $backup has no sentinel \(incomplete\)"

log "a byte flipped in the middle of a WAL object: only --deep sees it"
copy=$(damaged_copy flip)
"$PY" - "$copy/wal_005/$victim.lzo" <<'PY'
import os, sys
with open(sys.argv[1], "r+b") as f:
    size = os.fstat(f.fileno()).st_size
    f.seek(size // 2)
    b = f.read(1)
    f.seek(size // 2)
    f.write(bytes([b[0] ^ 0x5A]))
PY
verify_at "$copy" 2> "$copy-plain.log" || { cat "$copy-plain.log" >&2; fail "plain verify should not read object contents"; }
expect_problem "$copy" "wal_005/$victim.lzo" "wal_005/$victim.lzo is damaged" --deep
assert_eq "$(json_field "$copy.json" '[p["kind"] for p in r["problems"]]')" "['damaged_object']" "problem kinds with --deep"

stop_daemon
log PASS
