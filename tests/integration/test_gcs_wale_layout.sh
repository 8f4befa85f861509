#!/usr/bin/env bash
# Interoperability (Google Cloud Storage): the real WAL-E archive in
# tests/fixtures/wale-archive-1, put into the GCS peer the way WAL-E's
# client library named its objects ("/" + path + key, no metadata; uploaded
# here with curl, not with wal-e), reads back through a gs:// prefix:
# backup-list names the same backups as from the file:// copy, verify
# --deep finds the archive sound, every WAL segment fetched is the one
# WAL-E compressed, and backup-fetch restores the same files as from
# file://. And what wal-e writes is named as WAL-E named it.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/peers.sh"
fixture=$WALE_SOURCE_DIR/tests/fixtures/wale-archive-1
start_gcs_emulator
token=$(gcs_test_token)
n=0
while read -r file; do
  name=/wale/${file#$fixture/}
  curl -sf -o /dev/null -X POST -H "Authorization: Bearer $token" -H "Content-Type: application/octet-stream" --data-binary "@$file" \
    "http://127.0.0.1:$GCS_PORT/upload/storage/v1/b/$GCS_BUCKET/o?uploadType=media&name=$("$PY" -c 'import sys,urllib.parse; print(urllib.parse.quote(sys.argv[1], safe=""))' "$name")" \
    || fail "cannot upload $name"
  n=$((n + 1))
done < <(find "$fixture/basebackups_005" "$fixture/wal_005" -type f)
log "$n objects of WAL-E's archive stored under /wale/..."

gs=("${WALE_ENV[@]/#WALE_GS_PREFIX=*/WALE_GS_PREFIX=gs://$GCS_BUCKET/wale}")
mkdir -p "$STORE"
cp -r "$fixture" "$STORE/wale"
chown -R "$TEST_USER": "$STORE"
file=(WALE_FILE_PREFIX="file://localhost$STORE/wale")
run() {  # run STORE_ENV_NAME ARGS...: wal-e in-process on that store
  local -n env=$1; shift
  as_user env "${env[@]}" WALE_SOCKET="$T/none.sock" WALE_LOG_DESTINATION=stderr "$BIN/wal-e" "$@"
}

run gs backup-list > "$T/gs.list" 2> "$T/err" || { cat "$T/err" >&2; fail "backup-list from gs:// failed"; }
run file backup-list > "$T/file.list" 2> /dev/null
diff <(cut -f1,3- "$T/gs.list") <(cut -f1,3- "$T/file.list") || fail "backup-list differs between gs:// and file://"
grep -qE $'^base_00000001000000000000000F_00000040\t[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9:.]+\\+00:00\t' "$T/gs.list" \
  || { cat "$T/gs.list" >&2; fail "backup-list from gs:// does not print the time as WAL-E did"; }
run gs verify --deep > "$T/verify.out" 2> "$T/err" || { cat "$T/verify.out" "$T/err" >&2; fail "verify --deep of WAL-E's archive on gs:// failed"; }
log "backup-list and verify --deep read WAL-E's archive from gs://"

segments=0
for f in "$fixture"/wal_005/*.lzo; do
  seg=$(basename "$f" .lzo)
  [[ "$seg" =~ ^[0-9A-F]{24}$ ]] || continue
  run gs wal-fetch --prefetch 0 "$seg" "$T/seg" 2> "$T/err" || { cat "$T/err" >&2; fail "wal-fetch $seg from gs:// failed"; }
  lzop -dc "$f" | cmp -s - "$T/seg" || fail "$seg from gs:// differs from WAL-E's"
  segments=$((segments + 1))
done
run gs backup-fetch "$T/from-gs" base_00000001000000000000000F_00000040 2> "$T/err" || { cat "$T/err" >&2; fail "backup-fetch from gs:// failed"; }
run file backup-fetch "$T/from-file" base_00000001000000000000000F_00000040 2> /dev/null || fail "backup-fetch from file:// failed"
diff -r "$T/from-gs" "$T/from-file" > /dev/null || fail "backup-fetch from gs:// restored other files than from file://"
log "$segments segments and the base backup restore from gs:// as from file://"

mkdir -p "$T/data/pg_wal/archive_status"
make_segment "$T/data/pg_wal/000000010000000000000001" 000000010000000000000001
chown -R "$TEST_USER": "$T/data"
ours=("${WALE_ENV[@]/#WALE_GS_PREFIX=*/WALE_GS_PREFIX=gs://$GCS_BUCKET/ours/}")
(cd "$T/data" && run ours wal-push pg_wal/000000010000000000000001) 2> "$T/err" || { cat "$T/err" >&2; fail "wal-push failed"; }
names=$(curl -sf -H "Authorization: Bearer $token" "http://127.0.0.1:$GCS_PORT/storage/v1/b/$GCS_BUCKET/o?prefix=%2Fours" |
        "$PY" -c 'import json,sys; print("\n".join(i["name"] for i in json.load(sys.stdin).get("items", [])))')
assert_eq "$names" "/ours/wal_005/000000010000000000000001.lzo" "the object name wal-e wrote"
log "wal-e names its objects as WAL-E did: $names"
log PASS
