#!/usr/bin/env bash
# Acceptance (hostile input): backup-fetch of backups whose partitions carry
# names that leave the target ("../", absolute), symbolic links followed by
# writes through them, hard links out of the target, device nodes, FIFOs,
# set-user-ID files, sizes that lie, truncated lzop streams and a
# decompression bomb, and whose sentinels are malformed, huge, deeply
# nested or name tablespaces outside the restore; and wal-fetch of a WAL
# bomb. Each ends in one clear error line and exit status 1 (255 for
# wal-fetch), through the daemon and in-process, with nothing written
# outside the target, no device node or set-user-ID file created, and the
# daemon still serving.
source "$(dirname "$0")/lib.sh"

scratch=$T/scratch      # the restore targets and the canary, and nothing else
canary=$scratch/canary
cases=$T/cases
mkdir -p "$scratch" "$canary" "$cases" "$STORE/basebackups_005"
echo untouched > "$canary/victim"
"$PY" "$WALE_SOURCE_DIR/tests/integration/hostile_archive.py" "$cases" "$canary"

# add_backup NUMBER SENTINEL [PARTITION.tar.lzo]: a backup in the store.
backup_name() { printf 'base_0000000100000000000000%02X_00000040' "$1"; }
add_backup() {
  local name; name=$(backup_name "$1")
  mkdir -p "$STORE/basebackups_005/$name/tar_partitions"
  printf '%s' "$2" > "$STORE/basebackups_005/${name}_backup_stop_sentinel.json"
  [ -z "${3:-}" ] || cp "$3" "$STORE/basebackups_005/$name/tar_partitions/part_00000000.tar.lzo"
}
sentinel='{"wal_segment_backup_stop": "000000010000000000000002", "wal_segment_offset_backup_stop": "00000000", "expanded_size_bytes": 3}'

# Partition cases: name, then what the one error line must say.
declare -A expect=(
  [dotdot]="the path '../escaped', which leaves the data directory"
  [dotdot_deep]="the path 'global/../../escaped', which leaves the data directory"
  [absolute]="the absolute path '$canary/absolute'"
  [symlink_dir]="refusing to restore through .*/out: it is not a directory"
  [symlink_file]="writes 'victim' through a symbolic link"
  [hardlink_through_symlink]="refusing to restore through .*/out: it is not a directory"
  [hardlink_dotdot]="the path '../canary/victim', which leaves the data directory"
  [hardlink_absolute]="the absolute path '$canary/victim'"
  [chardev]="the character device 'dev_null', which a PostgreSQL data directory never"
  [blockdev]="the block device 'dev_sda'"
  [fifo]="the FIFO 'pipe'"
  [setuid]="'global/suid' with the set-user-ID or set-group-ID bit"
  [setgid]="'global/sgid' with the set-user-ID or set-group-ID bit"
  [size_longer]="tar: stream ends inside the data of 'lie'"
  [size_huge]="tar: stream ends inside the data of 'lie'"
  [size_shorter]="tar: header checksum mismatch"
  [lzop_truncated]="lzop data is corrupt: truncated"
  [bomb]="the decoded object is larger than 2147483648 bytes, more than a base-backup partition holds"
  [sentinel_malformed]="the backup sentinel is not valid JSON"
  [sentinel_nested]="JSON nested deeper than 64 levels"
  [sentinel_huge]="is larger than 1048576 bytes, far more than any backup sentinel"
  [sentinel_tablespace]="names the tablespace '../../canary', which is not a tablespace OID"
)
for tar in "$cases"/*.tar; do lzop -c < "$tar" > "$tar.lzo"; done
head -c $(($(stat -c %s "$cases/good.tar.lzo") / 2)) "$cases/good.tar.lzo" > "$cases/lzop_truncated.tar.lzo"
# A small tar, then 2.1 GiB of zeros (past its end, which tar readers
# ignore): 9 MiB of lzop.
{ cat "$cases/good.tar"; head -c 2200M /dev/zero; } | lzop -1 -c > "$cases/bomb.tar.lzo"
number=16
declare -A backup
for case in "${!expect[@]}"; do
  number=$((number + 1))
  backup[$case]=$(backup_name "$number")
  case $case in
    sentinel_malformed) add_backup "$number" '{"wal_segment_backup_stop": "0000' "$cases/good.tar.lzo" ;;
    sentinel_nested) add_backup "$number" "$("$PY" -c 'print("[" * 100000 + "]" * 100000)')" "$cases/good.tar.lzo" ;;
    sentinel_huge)
      add_backup "$number" "{\"expanded_size_bytes\": 1, \"x\": \"$(head -c 2000000 /dev/zero | tr '\0' x)\"}" "$cases/good.tar.lzo" ;;
    sentinel_tablespace)
      add_backup "$number" '{"wal_segment_backup_stop": "000000010000000000000002", "wal_segment_offset_backup_stop": "00000000", "expanded_size_bytes": 3, "spec": {"base_prefix": "", "tablespaces": ["../../canary"], "../../canary": {"loc": "/tmp/x/", "link": "pg_tblspc/../../canary"}}}' \
        "$cases/good.tar.lzo" ;;
    *) add_backup "$number" "$sentinel" "$cases/$case.tar.lzo" ;;
  esac
done
chown -R "$TEST_USER": "$STORE" "$scratch"

# Everything under the scratch directory but the target being restored.
snapshot() { (cd "$scratch" && find . -mindepth 1 -path "./$1" -prune -o -printf '%p %y %m %s %n\n' | sort && cat canary/victim); }
start_daemon

for via in "$SOCKET" "$T/no-daemon.sock"; do
  path=daemon; [ "$via" = "$SOCKET" ] || path=in-process
  for case in "${!expect[@]}"; do
    # The bomb takes seconds to decode; the daemon, the process at stake, gets it.
    [ "$case" != bomb ] || [ "$path" = daemon ] || continue
    target=target-$path-$case
    before=$(snapshot "$target")
    assert_fails 1 "${expect[$case]}" as_user env $(wale_env) WALE_SOCKET="$via" "$BIN/wal-e" backup-fetch "$scratch/$target" "${backup[$case]}"
    [ "$(snapshot "$target")" = "$before" ] || fail "$case ($path): something changed outside the target"
    if [ -e "$scratch/$target" ]; then
      [ -z "$(find "$scratch/$target" -perm /6000 -o -type b -o -type c -o -type p)" ] \
        || fail "$case ($path): a set-user-ID file, device node or FIFO was created"
    fi
    [ "$path" = in-process ] || kill -0 "$DAEMON_PID" || fail "$case: the daemon died"
  done
  log "every hostile backup was refused ($path)"
done
[ ! -e /tmp/x ] || fail "a sentinel's tablespace location was created"

log "wal-fetch of a WAL bomb: a valid 1 MiB segment header, then 64 MiB more"
data=$scratch/data
mkdir -p "$data/pg_wal"
seg=000000010000000000000003
make_segment "$T/segment" "$seg"
mkdir -p "$STORE/wal_005"
{ cat "$T/segment"; head -c 64M /dev/zero; } | lzop -1 -c > "$STORE/wal_005/$seg.lzo"
chown -R "$TEST_USER": "$STORE" "$data"
for via in "$SOCKET" "$T/no-daemon.sock"; do
  assert_fails 255 "it decodes to more than the 1048576 bytes its page header gives as the segment size" \
    as_user env -C "$data" $(wale_env) WALE_SOCKET="$via" "$BIN/wal-e" wal-fetch "$seg" "pg_wal/RECOVERYXLOG"
  [ -z "$(ls -A "$data/pg_wal")" ] || fail "a refused wal-fetch left files in pg_wal: $(ls -A "$data/pg_wal")"
done
kill -0 "$DAEMON_PID" || fail "the daemon died"
wal_e status > /dev/null 2>&1 || fail "the daemon no longer answers"
stop_daemon
log PASS
