#!/usr/bin/env bash
# Acceptance (hostile input on the socket): frames that are garbage,
# oversized, malformed or that stall half-way each get a refusal that says
# why, and the daemon goes on serving; requests whose path points outside
# pg_wal ("../", a symbolic link, a FIFO, a directory, a directory that is
# not PostgreSQL's) fail with one clear error line; and while a client
# holds 300 idle connections open (the daemon may hold 64: it runs with 320
# file descriptors) PostgreSQL keeps archiving through the daemon, every
# segment stored byte for byte.
source "$(dirname "$0")/lib.sh"

DAEMON_PREFIX=(prlimit --nofile=320:320 --)
start_daemon
grep -q "(at most 64 connections)" "$T/daemon.log" || fail "the daemon did not derive its connection limit from its descriptors"
hostile() { as_user "$PY" "$WALE_SOURCE_DIR/tests/integration/hostile_client.py" "$@"; }
still_serving() {
  kill -0 "$DAEMON_PID" || fail "the daemon died ($1)"
  wal_e status > /dev/null 2> "$T/status.err" || { cat "$T/status.err" >&2; fail "the daemon no longer answers ($1)"; }
}

log "bad frames"
# The two that stall take the daemon's 10 s deadline: in the background.
hostile probe "$SOCKET" stall > "$T/stall.out" &
stall=$!
hostile probe "$SOCKET" half_header > "$T/half_header.out" &
half_header=$!
declare -A expect=(
  [garbage]="refused: wal-ed refused the request: the peer does not speak the wal-e protocol \\(bad frame magic\\)"
  [bad_magic]="refused: wal-ed refused the request: the peer does not speak the wal-e protocol"
  [huge_length]="refused: wal-ed refused the request: frame of 4294967280 bytes exceeds the limit of 65536 bytes"
  [over_request_limit]="refused: wal-ed refused the request: frame of 1048576 bytes exceeds the limit of 65536 bytes"
  [not_json]="refused: wal-ed refused the request: malformed request: .*parse error"
  [deep_json]="refused: wal-ed refused the request: malformed request: JSON nested deeper than 64 levels"
  [not_a_request]="refused: wal-ed refused the request: the first frame is not a request"
)
for kind in "${!expect[@]}"; do
  answer=$(hostile probe "$SOCKET" "$kind")
  [[ "$answer" =~ ${expect[$kind]} ]] || fail "$kind: expected /${expect[$kind]}/, got: $answer"
  still_serving "$kind"
done
wait "$stall" "$half_header"
for kind in stall half_header; do
  grep -qx "refused: wal-ed closed the connection: no complete request within 10 s" "$T/$kind.out" \
    || fail "$kind: $(cat "$T/$kind.out")"
done
grep -q "refused a connection that broke the protocol" "$T/daemon.log" || fail "the daemon did not log the bad frames"
grep -q "closed a connection that sent no complete request in time" "$T/daemon.log" || fail "the daemon did not log the stall"
still_serving "after the stalled requests"

log "paths outside pg_wal"
data=$T/data
mkdir -p "$data/pg_wal/archive_status" "$T/elsewhere/pg_wal" "$data/pg_wal/000000010000000000000009"
make_segment "$T/elsewhere/000000010000000000000001" 000000010000000000000001
make_segment "$T/elsewhere/pg_wal/000000010000000000000001" 000000010000000000000001
ln -s "$T/elsewhere/000000010000000000000001" "$data/pg_wal/000000010000000000000007"
mkfifo "$data/pg_wal/000000010000000000000008"
chown -R "$TEST_USER": "$data" "$T/elsewhere"
push() { as_user env -C "$data" $(wale_env) "$BIN/wal-e" wal-push "$@"; }
assert_fails 1 "refusing to archive $T/elsewhere/000000010000000000000001: it is not in a pg_wal directory" \
  push "pg_wal/../../elsewhere/000000010000000000000001"
assert_fails 1 "refusing to archive $T/elsewhere/pg_wal/000000010000000000000001: $T/elsewhere/pg_wal has no archive_status" \
  push "$T/elsewhere/pg_wal/000000010000000000000001"
assert_fails 1 "pg_wal/000000010000000000000007: not a regular file" push pg_wal/000000010000000000000007
assert_fails 1 "pg_wal/000000010000000000000008: not a regular file" push pg_wal/000000010000000000000008
assert_fails 1 "pg_wal/000000010000000000000009: not a regular file" push pg_wal/000000010000000000000009
[ -z "$(ls -A "$STORE/wal_005" 2> /dev/null)" ] || fail "something was archived: $(ls "$STORE/wal_005")"
still_serving "after the bad paths"

log "300 idle connections held open while PostgreSQL archives through the daemon"
primary=$T/primary
start_archiving_primary "$primary" 5432 --set "wal_keep_size = 4GB" --set "max_wal_size = 4GB" --wal-segsize=1
hostile flood "$SOCKET" 300 "$T/stop-flood" > "$T/flood.out" &
flood=$!
remember_pid "$flood"
wait_for 30 bash -c "[ \$(ls /proc/$DAEMON_PID/fd | wc -l) -ge 64 ]" || fail "the flood did not reach the daemon"
pgbench_at "$primary" -i -s 4 -q > "$T/pgbench.log" 2>&1 || fail "pgbench failed"
still_serving "during the flood"
archive_everything "$primary"
fds=$(ls "/proc/$DAEMON_PID/fd" | wc -l)
touch "$T/stop-flood"
wait "$flood"
log "flood: $(cat "$T/flood.out"); the daemon held $fds descriptors at the end"
[ "$fds" -le 320 ] || fail "the daemon holds $fds descriptors, beyond its limit"
read -r _ opened _ closed < "$T/flood.out"
[ "$closed" -ge 100 ] || fail "the daemon closed only $closed of $opened idle connections"
grep -q "closed idle connections to make room for new ones" "$T/daemon.log" || fail "the daemon did not log the evictions"
checked=$(assert_archive_matches_pg_wal "$primary")
log "$checked segments archived during the flood, compared byte for byte"
[ "$checked" -ge 20 ] || fail "only $checked segments were archived"
still_serving "after the flood"
pg_stop "$primary"
stop_daemon
log PASS
