#!/usr/bin/env bash
# Acceptance: kill -9 of the daemon in the middle of a burst of archiving,
# then a restart: every segment ends up stored, and each stored object
# decompresses to exactly the bytes of the original segment.
source "$(dirname "$0")/lib.sh"

start_daemon
primary=$T/primary
# Keep every segment in pg_wal so that the archive can be compared with it.
start_archiving_primary "$primary" 5432 --set "wal_keep_size = 4GB" --set "max_wal_size = 4GB" --wal-segsize=1

pgbench_at "$primary" -i -s 10 -q > "$T/pgbench.log" 2>&1 &
bench=$!
wait_for 60 bash -c "[ \$(ls '$STORE/wal_005' 2>/dev/null | wc -l) -ge 20 ]" || fail "archiving did not start"
log "killing wal-ed (pid $DAEMON_PID) with SIGKILL after $(ls "$STORE/wal_005" | wc -l) objects"
kill9_daemon
sleep 1
start_daemon
log "restarted wal-ed (pid $DAEMON_PID) on the same socket"
wait "$bench" || fail "pgbench failed"
archive_everything "$primary"

checked=0
for object in "$STORE"/wal_005/*.lzo; do
  name=$(basename "$object" .lzo)
  [[ "$name" =~ ^[0-9A-F]{24}$ ]] || continue
  original=$primary/pg_wal/$name
  [ -f "$original" ] || fail "$name is archived but no longer in pg_wal; raise wal_keep_size"
  lzop -t -q "$object" || fail "$object does not pass lzop -t"
  lzop -dc "$object" | cmp -s - "$original" || fail "$object does not decompress to $original"
  checked=$((checked + 1))
done
# Every finished segment before the current one must be archived.
current=$(current_wal "$primary")
for seg in "$primary"/pg_wal/[0-9A-F]*; do
  name=$(basename "$seg")
  [[ "$name" =~ ^[0-9A-F]{24}$ ]] && [[ "$name" < "$current" ]] || continue
  [ -f "$primary/pg_wal/archive_status/$name.done" ] || continue
  [ -f "$STORE/wal_005/$name.lzo" ] || fail "$name is marked archived but is not in the store"
done
leftovers=$(find "$STORE" -name '*.wal-e-tmp.*' | wc -l)
log "$checked segments compared byte for byte; $leftovers temporary files left by the killed daemon"
[ "$checked" -ge 50 ] || fail "only $checked segments were checked"
pg_stop "$primary"
stop_daemon
log PASS
