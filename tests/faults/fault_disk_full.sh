#!/usr/bin/env bash
# Fault: a full file system under each place wal-e writes, each a small
# tmpfs filled to the last byte, then freed:
#   (a) the daemon's state directory: the journal cannot commit. Archiving
#       goes on (the journal is a cache of the store), the daemon says once
#       which journal cannot commit and what to do, and says when it can again;
#   (b) the file store (WALE_FILE_PREFIX): wal-push fails, through the daemon
#       and in-process, with one line naming the object and the remedy, and
#       leaves no temporary file; PostgreSQL retries and catches up once
#       space is freed;
#   (c) pg_wal of a cluster restoring through wal-fetch: the fetch fails
#       with one line, leaves no half segment (nor prefetched file) in
#       pg_wal, PostgreSQL stops recovery, and once space is freed the
#       restore finishes with the primary's data.
# Throughout, the daemon keeps serving, and at the end every archived
# segment equals pg_wal byte for byte.
source "$(dirname "$0")/lib.sh"

if [ "$(id -u)" != 0 ]; then
  echo "SKIP: $TEST_NAME mounts small file systems and must run as root"
  exit 0
fi
probe_dir=$T/mount-probe
mkdir -p "$probe_dir"
if ! mount -t tmpfs -o size=64k tmpfs "$probe_dir" 2> "$T/mount.err"; then
  echo "SKIP: $TEST_NAME cannot mount a tmpfs here ($(head -n 1 "$T/mount.err"))"
  exit 0
fi
umount "$probe_dir"

# The small file systems are detached (lazily: processes still using them
# keep them until lib.sh's cleanup stops them), then cleanup runs as usual.
MOUNTS=()
unmount_and_clean() {
  local rc=$? dir
  set +e  # or (exit $rc) below would end the trap before cleanup
  for dir in "${MOUNTS[@]}"; do umount -l "$dir"; done
  (exit $rc)
  cleanup
}
trap unmount_and_clean EXIT

# small_fs DIR SIZE: a tmpfs of SIZE on DIR, owned by the test user.
small_fs() {
  mkdir -p "$1"
  mount -t tmpfs -o "size=$2,mode=0700" tmpfs "$1"
  MOUNTS+=("$1")
  chown "$TEST_USER": "$1"
}
# fill_up DIR: a root-owned file takes every byte left on DIR's file system.
fill_up() {
  dd if=/dev/zero of="$1/.filler" bs=64k status=none 2> /dev/null || true
  [ "$(df --output=avail "$1" | tail -n 1)" -eq 0 ] || fail "$1 still has free space after filling it"
}
free_up() { rm -f "$1/.filler"; }
# The temporary files a writer that failed half-way could have left.
leftovers() { find "$@" -name '*.wal-e-tmp.*'; }
daemon_alive() { kill -0 "$DAEMON_PID" 2> /dev/null && wal_e status > /dev/null 2>&1; }

small_fs "$STATE" 4m
small_fs "$STORE" 96m
start_daemon
primary=$T/primary
start_archiving_primary "$primary" 5432 --set "wal_keep_size = 4GB" --set "max_wal_size = 4GB" --wal-segsize=1
pgbench_at "$primary" -i -s 2 -q > "$T/pgbench.log" 2>&1
archive_everything "$primary"

# --- (a) the state directory ------------------------------------------------
log "(a) the state directory is full: archiving goes on without journal commits"
fill_up "$STATE"
pgbench_at "$primary" -i -s 4 -q > "$T/pgbench.log" 2>&1
archive_everything "$primary"
wait_for 30 grep -q "MSG: the journal $STATE/journal.sqlite cannot record uploads" "$T/daemon.log" \
  || fail "the daemon did not report that its journal cannot commit"
grep -A 3 "cannot record uploads" "$T/daemon.log" | grep -qE 'full' || fail "the journal error does not say the disk is full"
grep -A 3 "cannot record uploads" "$T/daemon.log" | grep -qE 'HINT: .*[Ff]ree space' || fail "the journal error does not say what to do"
daemon_alive || fail "the daemon stopped serving with a full state directory"
log "(a) restarting the daemon while its state directory is still full"
stop_daemon
start_daemon
pgbench_at "$primary" -c 2 -t 300 > "$T/pgbench.log" 2>&1
archive_everything "$primary"
free_up "$STATE"
pgbench_at "$primary" -c 2 -t 300 > "$T/pgbench.log" 2>&1
archive_everything "$primary"
wait_for 30 grep -q "MSG: the journal $STATE/journal.sqlite records uploads again" "$T/daemon.log" \
  || fail "the daemon did not report that its journal commits again"
# Once per daemon run while the disk was full, not once per failed commit.
reports=$(grep -c "cannot record uploads" "$T/daemon.log")
[ "$reports" -le 2 ] || fail "the full journal was reported $reports times by two daemon runs"
log "(a) reported $reports times by two daemon runs, resumed; restarting the daemon on the freed state directory"
stop_daemon
start_daemon
grep -q "journal .* is damaged\|journal .* is missing" "$T/daemon.log" && fail "the journal did not survive the full disk"

# --- (b) the file store ---------------------------------------------------------
log "(b) the file store is full: wal-push fails and PostgreSQL retries"
fill_up "$STORE"
before=$(psql_at "$primary" "SELECT failed_count FROM pg_stat_archiver")
pgbench_at "$primary" -c 2 -t 300 > "$T/pgbench.log" 2>&1
psql_at "$primary" "SELECT pg_switch_wal()" > /dev/null
wait_for 60 bash -c "[ \$(psql -X -h '$PGSOCK' -p 5432 -U postgres -d postgres -Atqc 'SELECT failed_count FROM pg_stat_archiver') -gt $before ]" \
  || fail "archiving into a full store did not fail"
ready=$(cd "$primary/pg_wal/archive_status" && ls -- *.ready | sort | head -n 1)
segment=$primary/pg_wal/${ready%.ready}
full_store='No space left on device.*free space on that file system'
assert_fails 1 "$full_store" wal_e wal-push "$segment"
log "through the daemon: $(grep -E 'ERROR +MSG:|^wal-e:' "$T/err")"
assert_fails 1 "$full_store" as_user env WALE_FILE_PREFIX="$PREFIX" WALE_SOCKET="$T/no-daemon.sock" WALE_LOG_DESTINATION=stderr \
  "$BIN/wal-e" wal-push "$segment"
log "in-process: $(grep -E 'ERROR +MSG:|^wal-e:' "$T/err")"
grep -qE "$full_store" "$primary/server.log" || fail "PostgreSQL's log does not show why archiving failed"
daemon_alive || fail "the daemon stopped serving with a full store"
[ -z "$(leftovers "$STORE")" ] || fail "a failed upload left files in the store: $(leftovers "$STORE")"
free_up "$STORE"
archive_everything "$primary"
log "(b) archiving caught up once the store had space"

stop_daemon
start_daemon
checked=$(assert_archive_matches_pg_wal "$primary")
log "$checked segments archived through (a) and (b) equal pg_wal byte for byte"

# --- (c) pg_wal of a restore ------------------------------------------------------
log "(c) pg_wal of a restoring cluster is full: wal-fetch fails, recovery stops, then finishes"
backup_push "$primary" > /dev/null
pgbench_at "$primary" -c 2 -t 300 > "$T/pgbench.log" 2>&1
archive_everything "$primary"
copy=$T/copy
mkdir -p "$copy" && chown "$TEST_USER": "$copy" && chmod 0700 "$copy"
wal_e backup-fetch "$copy" LATEST 2> "$T/backup-fetch.log" || { cat "$T/backup-fetch.log" >&2; fail "backup-fetch failed"; }
as_user cp "$primary/postgresql.conf" "$primary/pg_hba.conf" "$primary/pg_ident.conf" "$copy/"
mv "$copy/pg_wal" "$copy/pg_wal.fetched"
small_fs "$copy/pg_wal" 48m
cp -a "$copy/pg_wal.fetched/." "$copy/pg_wal/"
rm -rf "$copy/pg_wal.fetched"
wanted=$(archived_wal_files | grep -E '^[0-9A-F]{24}$' | tail -n 1)
fill_up "$copy/pg_wal"
as_user touch "$copy/recovery.signal"
full_pg_wal='No space left on device.*free space on that file system'
assert_fails 255 "$full_pg_wal" as_user env $(wale_env) "$BIN/wal-e" wal-fetch "$wanted" "$copy/pg_wal/RECOVERYXLOG"
log "through the daemon: $(grep -E 'ERROR +MSG:|^wal-e:' "$T/err")"
assert_fails 255 "$full_pg_wal" as_user env WALE_FILE_PREFIX="$PREFIX" WALE_SOCKET="$T/no-daemon.sock" WALE_LOG_DESTINATION=stderr \
  "$BIN/wal-e" wal-fetch "$wanted" "$copy/pg_wal/RECOVERYXLOG"
log "in-process: $(grep -E 'ERROR +MSG:|^wal-e:' "$T/err")"

# PostgreSQL itself, restoring into the full pg_wal: restore_command exits
# 255, so recovery stops rather than ending early at the first gap.
sed -i "s/^port = .*/port = 5433/" "$copy/postgresql.conf"
rm -f "$copy/postgresql.auto.conf"
pg_conf "$copy" "restore_command = '$BIN/wal-e wal-fetch %f %p'"
echo "$copy" >> "$T/.clusters"
as_user env $(wale_env) "$PG_BIN/pg_ctl" -D "$copy" -l "$T/copy-server.log" -W start > /dev/null
wait_for 120 grep -qE "$full_pg_wal" "$T/copy-server.log" \
  || { tail -n 20 "$T/copy-server.log" >&2; fail "the server log does not say that pg_wal is full"; }
# The postmaster wrote its pid file before it started recovery.
wait_for 120 bash -c "! [ -f '$copy/postmaster.pid' ]" || fail "recovery went on with a full pg_wal"
grep -qE 'FATAL: +could not restore file .* exit code 255' "$T/copy-server.log" \
  || { tail -n 20 "$T/copy-server.log" >&2; fail "recovery did not stop on wal-fetch's exit status 255"; }
stray=$(find "$copy/pg_wal" -type f ! -name .filler ! -path '*/archive_status/*' -newer "$copy/recovery.signal")
[ -z "$stray" ] || fail "failed fetches left files in pg_wal: $stray"
daemon_alive || fail "the daemon stopped serving after fetches into a full pg_wal"
free_up "$copy/pg_wal"
recover_copy "$copy" 5433
original=$(table_checksums "$primary" pgbench_accounts pgbench_branches pgbench_tellers pgbench_history)
restored=$(table_checksums "$copy" pgbench_accounts pgbench_branches pgbench_tellers pgbench_history)
wrong=0
[ "$original" = "$restored" ] || { wrong=1; diff <(echo "$original") <(echo "$restored") >&2 || true; fail "the restored tables differ from the primary"; }
log "(c) the restore finished once pg_wal had space; table checksums equal the primary's"

pg_stop "$copy"
pg_stop "$primary"
stop_daemon
fault_row "disk full: state dir, file store, pg_wal of a restore" 3 "$checked" 0 "$wrong"
log PASS
