#!/usr/bin/env bash
# Fault: the wall clock steps (an NTP step, an operator's `date -s`) by a
# day, forward and back, while the store answers 503 and then recovers.
# wal-ed (and, at the end, an in-process wal-push) runs under libfaketime
# with an offset read from a file on every call (FAKETIME_TIMESTAMP_FILE,
# FAKETIME_NO_CACHE), so the test moves the clock of the running process.
#
# What is exercised: libfaketime fakes time(), gettimeofday() and
# clock_gettime() for CLOCK_REALTIME; it would fake CLOCK_MONOTONIC as well,
# which no real clock step does, so FAKETIME_DONT_FAKE_MONOTONIC=1 leaves the
# monotonic clock alone. The test then shows that
#   * a step back by a day during an outage neither stalls the retries (the
#     proxy keeps counting attempts) nor stretches WALE_STORE_TIMEOUT: the
#     push fails with wal-ed's own timeout message, not the shim's;
#   * a step forward by a day does not end the timeout early: no push
#     times out, and archiving catches up once the store recovers;
#   * `wal-e status` ages stay true: uptime_seconds never negative and never
#     more than the test has run; last_error_at follows the (faked) wall
#     clock, which proves the interception took place;
#   * the in-process path (no daemon) also fails by its timeout after a
#     step back, instead of retrying for the step's length;
#   * nothing is lost: every segment archived equals pg_wal byte for byte.
source "$(dirname "$0")/lib.sh"

FAKETIME_LIB=$(ls /usr/lib/*/faketime/libfaketimeMT.so.1 2> /dev/null | head -n 1 || true)
[ -n "$FAKETIME_LIB" ] || fail "libfaketime is missing: run scripts/install-deps.sh (Debian package faketime)"
CLOCK=$T/clock-offset
set_clock() { echo "$1" > "$CLOCK.new" && chmod 0644 "$CLOCK.new" && mv "$CLOCK.new" "$CLOCK"; log "wall clock of wal-ed now real time $1"; }
set_clock +0
FAKETIME_ENV=(LD_PRELOAD="$FAKETIME_LIB" FAKETIME_TIMESTAMP_FILE="$CLOCK" FAKETIME_NO_CACHE=1 FAKETIME_DONT_FAKE_MONOTONIC=1)
DAEMON_PREFIX=(env "${FAKETIME_ENV[@]}")

status_field() { wal_e status 2> /dev/null | "$PY" -c "import json,sys; print(json.load(sys.stdin)['$1'])"; }
# uptime_seconds is an age: never negative, never more than has passed.
check_uptime() {
  local uptime
  uptime=$(status_field uptime_seconds)
  [ "$uptime" -ge 0 ] && [ "$uptime" -le $((SECONDS - daemon_started + 1)) ] \
    || fail "uptime_seconds is $uptime after ${1}, but the daemon has run $((SECONDS - daemon_started)) s"
}
# The last error's wall-clock time is a day ahead of the real one.
error_stamped_ahead() {
  local at
  at=$(status_field last_error_at)
  [ -n "$at" ] && [ "$(date -u -d "$at" +%s)" -gt $(($(date -u +%s) + 80000)) ]
}
faults_above() { [ "$(proxy_faults)" -gt "$1" ]; }
failures() { psql_at "$primary" "SELECT failed_count FROM pg_stat_archiver"; }
write_wal() {
  psql_at "$primary" "INSERT INTO t SELECT g, repeat('x', 200) FROM generate_series(1, $1) g" > /dev/null
  psql_at "$primary" "SELECT pg_switch_wal()" > /dev/null
}

start_s3_peer
start_fault_proxy "$S3_PORT"
daemon_started=$SECONDS
start_daemon WALE_STORE_TIMEOUT=60
primary=$T/primary
start_archiving_primary "$primary" 5432 --set "wal_keep_size = 2GB" --set "max_wal_size = 2GB" --env WALE_SHIM_TIMEOUT=100 --wal-segsize=1
psql_at "$primary" "CREATE TABLE t (x int, pad text)"
write_wal 10000
archive_everything "$primary"

# --- a step forward during an outage ------------------------------------------
log "forward: the store answers 503, the clock steps a day ahead, the store recovers"
proxy_mode 503
write_wal 10000
wait_for 60 faults_above 0 || fail "no request reached the failing store"
set_clock +1d
jumped=$(proxy_faults)
wait_for 60 faults_above $((jumped + 1)) || fail "retries stopped after the clock stepped forward"
check_uptime "a step forward"
wait_for 30 error_stamped_ahead \
  || fail "last_error_at ($(status_field last_error_at)) does not follow wal-ed's clock a day ahead: libfaketime intercepted nothing"
# Back to the true time before the store recovers: the store refuses
# requests signed more than 15 minutes off (RequestTimeTooSkewed), as S3 does.
set_clock +0
proxy_mode pass
archive_everything "$primary"
# A timeout on the wall clock would have expired at the step. (A push may
# still fail once at the step back to the true time: a request signed a day
# ahead reaches the store then and is refused as skewed; PostgreSQL retries.)
grep -q "within 60 s" "$primary/server.log" && fail "a wal-push timed out at once when the clock stepped forward"
# Such a refused HEAD is reported with its own status, not with the answer
# of the GET sent afterwards to explain it (a 404 once the store is back).
grep -q "cannot examine .*404 NoSuchKey" "$primary/server.log" "$T/daemon.log" && fail "a refused HEAD was reported as a missing key"
log "forward: no timeout, retries went on ($(proxy_faults) 503s)"

# --- a step back during an outage ---------------------------------------------------
log "back: the store answers 503 and the clock steps back two days; the push must end by WALE_STORE_TIMEOUT"
stop_daemon
daemon_started=$SECONDS
start_daemon WALE_STORE_TIMEOUT=5
proxy_mode 503
before=$(failures)
faults=$(proxy_faults)
write_wal 10000
wait_for 60 faults_above "$faults" || fail "no request reached the failing store"
set_clock -1d
jumped=$(proxy_faults)
wait_for 60 faults_above $((jumped + 1)) || fail "retries stalled after the clock stepped back"
wait_for 90 bash -c "[ \$(psql -X -h '$PGSOCK' -p 5432 -U postgres -d postgres -Atqc 'SELECT failed_count FROM pg_stat_archiver') -gt $before ]" \
  || fail "wal-push did not fail by WALE_STORE_TIMEOUT after the clock stepped back"
grep -q "within 5 s: the store is not answering" "$primary/server.log" \
  || { tail -n 20 "$primary/server.log" >&2; fail "the push did not end with wal-ed's timeout message"; }
check_uptime "a step back"
set_clock +0
proxy_mode pass
archive_everything "$primary"
log "back: the push failed by wal-ed's 5 s timeout, retries went on, archiving caught up"

# --- in-process, a step back ------------------------------------------------------------
log "in-process: wal-push with the store answering 503 and the clock stepping back"
stop_daemon
done_file=$(cd "$primary/pg_wal/archive_status" && ls -- *.done | sort | tail -n 1)
segment=$primary/pg_wal/${done_file%.done}
proxy_mode 503
faults=$(proxy_faults)
(
  set +e
  as_user timeout 120 env "${WALE_ENV[@]}" WALE_SOCKET="$T/no-daemon.sock" WALE_STORE_TIMEOUT=5 WALE_LOG_DESTINATION=stderr \
    "${FAKETIME_ENV[@]}" "$BIN/wal-e" wal-push "$segment" > "$T/inproc.out" 2> "$T/inproc.err"
  echo $? > "$T/inproc.rc"
) &
inproc=$!
wait_for 60 faults_above "$faults" || fail "the in-process push sent nothing"
set_clock -1d
wait "$inproc"
rc=$(cat "$T/inproc.rc")
[ "$rc" = 1 ] || { cat "$T/inproc.err" >&2; fail "the in-process push exited $rc after the clock stepped back (124: it kept retrying)"; }
assert_one_line_error "$T/inproc.err" '503|SlowDown|store'
log "in-process: $(grep -E 'ERROR +MSG:|^wal-e:' "$T/inproc.err")"
set_clock +0
proxy_mode pass

start_daemon WALE_STORE_TIMEOUT=60
archive_everything "$primary"
checked=$(assert_archive_matches_pg_wal "$primary")
log "$checked segments equal pg_wal byte for byte"
pg_stop "$primary"
stop_daemon
fault_row "clock steps ±1 day during a store outage (daemon, in-process)" 3 "$checked" 0 0
log PASS
