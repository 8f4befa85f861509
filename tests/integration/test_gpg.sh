#!/usr/bin/env bash
# Encryption (WALE_GPG_KEY_ID, spec §5): WAL and base backups are stored as
# gpg(lzop(data)), readable with `gpg -d | lzop -d` as WAL-E wrote them, and
# restore through wal-fetch and backup-fetch, through the daemon and
# in-process. Without the key, an encrypted archive is refused clearly.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/archive_restore.sh"

export GNUPGHOME=$T/gnupg
mkdir -m 0700 "$GNUPGHOME"
chown "$TEST_USER": "$GNUPGHOME"
as_user gpg --batch --passphrase '' --quick-gen-key 'wal-e test <wal-e@example.invalid>' future-default default never 2> "$T/gpg.log"
key=$(as_user gpg --batch --with-colons --list-keys wal-e@example.invalid | awk -F: '/^fpr/ {print $10; exit}')
[ -n "$key" ] || fail "no test key"
WALE_ENV+=(WALE_GPG_KEY_ID="$key" GNUPGHOME="$GNUPGHOME")
cleanup_gpg() { as_user env GNUPGHOME="$GNUPGHOME" gpgconf --kill gpg-agent 2> /dev/null || true; }
# cleanup reads the test's exit status from $?: keep it past cleanup_gpg.
trap 'rc=$?; cleanup_gpg; (exit $rc); cleanup' EXIT

run_archive_restore daemon --wal-segsize=1
log "archived and restored with encryption through the daemon"

object=$(archived_wal_files | grep -E '^[0-9A-F]{24}$' | sed -n 5p)
probe get "wal_005/$object.lzo" 2> /dev/null > "$T/object.gpg"
head -c 9 "$T/object.gpg" | grep -q "LZO" && fail "the object is not encrypted"
as_user gpg --batch --list-packets "$T/object.gpg" > "$T/packets" 2>&1 || fail "the object is not an OpenPGP message"
grep -q "compressed packet" "$T/packets" && fail "gpg compression was not turned off (-z 0)"
as_user gpg --batch -q -d "$T/object.gpg" 2> /dev/null | lzop -dc > "$T/by-gpg" || fail "gpg -d | lzop -d cannot read the object"
data=$T/data
mkdir -p "$data/pg_wal/archive_status"
chown -R "$TEST_USER": "$data"
(cd "$data" && wal_e wal-fetch "$object" pg_wal/RECOVERYXLOG 2> /dev/null) || fail "wal-fetch of an encrypted segment failed"
cmp -s "$T/by-gpg" "$data/pg_wal/RECOVERYXLOG" || fail "wal-fetch and gpg -d | lzop -d disagree"
log "objects are gpg(lzop(segment)), as WAL-E writes them"

# A base backup, in-process, encrypted too.
primary=$T/primary2
pg_init "$primary" 5440
pg_start "$primary"
psql_at "$primary" "CREATE TABLE t AS SELECT g FROM generate_series(1, 10000) g"
(cd "$T" && as_user env $(wale_env) WALE_SOCKET="$T/none.sock" "$BIN/wal-e" backup-push --fast-checkpoint "$primary") 2> "$T/push.log" \
  || { cat "$T/push.log" >&2; fail "encrypted backup-push failed"; }
name=$(grep -o "as base_[0-9A-F_]*" "$T/push.log" | sed -n 1p | cut -c4-)
probe get "basebackups_005/$name/tar_partitions/part_00000000.tar.lzo" 2> /dev/null | as_user gpg --batch -q -d 2> /dev/null | lzop -dc \
  | tar -tf - > "$T/members" || fail "a partition does not decrypt and untar with gpg, lzop and tar"
grep -q "^global/pg_control$" "$T/members" || fail "the partition lacks global/pg_control"
wal_e backup-fetch "$T/restored" "$name" 2> "$T/fetch.log" || { cat "$T/fetch.log" >&2; fail "encrypted backup-fetch failed"; }
[ -f "$T/restored/global/pg_control" ] && [ -f "$T/restored/backup_label" ] || fail "the restored directory is incomplete"
log "an encrypted base backup round-trips"

# Without the key configured, the encrypted objects are not lzop: refused.
set +e
(cd "$data" && as_user env WALE_FILE_PREFIX="$PREFIX" WALE_SOCKET="$T/none.sock" WALE_LOG_DESTINATION=stderr \
  "$BIN/wal-e" wal-fetch "$object" pg_wal/OTHER) 2> "$T/err"
rc=$?
set -e
[ "$rc" -gt 125 ] || fail "fetching an encrypted object without the key exited $rc"
assert_one_line_error "$T/err" "corrupt|lzop"
pg_stop "$primary"
log PASS
