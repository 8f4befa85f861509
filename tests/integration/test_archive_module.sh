#!/usr/bin/env bash
# Acceptance: PostgreSQL 15 with archive_library = 'wal_e_archive' archives
# through wal-ed without a process per segment (1 MiB segments, well over
# 100 of them):
#   * a bad wal_e.socket is reported by check_configured_cb;
#   * the archiver never has a child process during the run (sampled with
#     ps), and wal-ed counts the segments as the module's requests;
#   * wal-ed killed with SIGKILL mid-run: the module warns, PostgreSQL
#     retries, the restarted daemon completes with nothing lost;
#   * wal-ed stopped (SIGSTOP) for 30 s: every attempt ends after
#     wal_e.timeout (read from the server log's timestamps), then archiving
#     resumes;
#   * every archived segment is byte for byte the one in pg_wal, and a copy
#     restored from the archive shows the same data.
# CI: release build (the module and wal-ed as shipped, inside PostgreSQL).
source "$(dirname "$0")/lib.sh"

TIMEOUT_S=3
STOP_S=30
start_daemon
primary=$T/primary
# Keep every segment in pg_wal so that the archive can be compared with it.
start_archiving_primary "$primary" 5432 --module \
  --set "wal_e.timeout = '${TIMEOUT_S}s'" --set "wal_keep_size = 4GB" --set "max_wal_size = 4GB" \
  --set "log_line_prefix = '%m [%p] '" --wal-segsize=1
server_log=$primary/server.log
assert_eq "$(psql_at "$primary" "SHOW archive_command")" "" "archive_command"
archiver=$(psql_at "$primary" "SELECT pid FROM pg_stat_activity WHERE backend_type = 'archiver'")
[ -n "$archiver" ] || fail "no archiver process"

# Every child the archiver ever has, sampled for the whole run.
(
  while kill -0 "$archiver" 2> /dev/null; do
    ps -o pid=,args= --ppid "$archiver" || true
    sleep 0.05
  done
) > "$T/archiver-children.log" 2>&1 &
remember_pid $!

# switch_wal: writes a little and switches to a new segment, which makes
# one more segment for the archiver.
switch_wal() { psql_at "$primary" "INSERT INTO marks SELECT now(); SELECT pg_switch_wal()" > /dev/null; }
psql_at "$primary" "CREATE TABLE marks (at timestamptz)"

log "check_configured_cb: a relative wal_e.socket"
psql_at "$primary" "ALTER SYSTEM SET wal_e.socket = 'wal-ed.sock'"
psql_at "$primary" "SELECT pg_reload_conf()" > /dev/null
not_configured() { switch_wal; grep -q "wal_e_archive is not configured" "$server_log"; }
wait_for 60 not_configured || fail "the module did not report the bad wal_e.socket"
grep -A1 "wal_e_archive is not configured" "$server_log" | grep -q "wal_e.socket must be an absolute path" \
  || fail "the report does not say what is wrong with wal_e.socket"
grep -q "archive_mode enabled, yet archiving is not configured" "$server_log" || fail "PostgreSQL did not stop archiving"
psql_at "$primary" "ALTER SYSTEM RESET wal_e.socket"
psql_at "$primary" "SELECT pg_reload_conf()" > /dev/null
archive_everything "$primary"

log "a base backup, then pgbench -i with wal-ed killed (SIGKILL) half-way"
as_user "$PG_BIN/pg_basebackup" -h "$PGSOCK" -p 5432 -D "$T/copy" -X none -c fast > "$T/basebackup.log" 2>&1
pgbench_at "$primary" -i -s 10 -q > "$T/pgbench.log" 2>&1 &
bench=$!
wait_for 120 bash -c "[ \$(ls '$STORE/wal_005' 2>/dev/null | wc -l) -ge 30 ]" || fail "archiving did not get going"
kill9_daemon
log "killed wal-ed after $(ls "$STORE/wal_005" | wc -l) objects"
warned() { grep -qE "WARNING:  wal_e_archive could not archive .*cannot reach wal-ed" "$server_log"; }
wait_for 60 warned || fail "the module did not warn that wal-ed is gone"
grep -A2 -E "could not archive .*cannot reach wal-ed" "$server_log" | grep -q "HINT:  Start wal-ed" \
  || fail "the warning does not say what to do"
assert_fails 1 "wal-ed is not running .* archive_library = 'wal_e_archive' archive nothing" wal_e status
start_daemon
log "restarted wal-ed (pid $DAEMON_PID)"
wait "$bench" || fail "pgbench failed"
archive_everything "$primary"
[ "$(psql_at "$primary" "SELECT failed_count > 0 FROM pg_stat_archiver")" = t ] || fail "PostgreSQL counted no failed attempt"

log "wal-ed stopped (SIGSTOP) for $STOP_S s while segments keep coming"
kill -STOP "$DAEMON_PID"
end=$((SECONDS + STOP_S))
while [ $SECONDS -lt $end ]; do switch_wal; sleep 2; done
kill -CONT "$DAEMON_PID"
archive_everything "$primary"
log "archiving resumed after SIGCONT"
# Each attempt against the silent daemon ends in a WARNING; PostgreSQL
# waits 1 s, then tries the same segment again (three times in all). Two
# consecutive warnings for one segment are therefore one attempt plus that
# second apart: no attempt may have outlasted wal_e.timeout by more than a
# scheduling delay (a hang would show as the whole stop).
"$PY" - "$server_log" "$TIMEOUT_S" <<'PY'
import datetime, re, sys
log, timeout = sys.argv[1], float(sys.argv[2])
stamp = r"^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}) UTC \[\d+\] WARNING:  "
events = []
for line in open(log):
    m = re.match(stamp + r'wal_e_archive could not archive "([^"]+)": no answer from wal-ed', line)
    if m:
        events.append((datetime.datetime.fromisoformat(m.group(1)), m.group(2)))
        continue
    if re.match(stamp + "archiving write-ahead log file", line):
        events.append((None, None))  # PostgreSQL gives up for now: the next attempt waits for a wakeup
attempts = [(b[0] - a[0]).total_seconds() - 1 for a, b in zip(events, events[1:]) if a[0] and b[0] and a[1] == b[1]]
print(f"{sum(1 for e in events if e[0])} timed-out attempts; measured {len(attempts)}: "
      + ", ".join(f"{a:.2f} s" for a in attempts), file=sys.stderr)
assert len(attempts) >= 3, "too few attempts against the stopped daemon to measure"
assert max(attempts) <= 2 * timeout, f"an attempt took {max(attempts):.2f} s with wal_e.timeout = {timeout:g} s"
assert sorted(attempts)[len(attempts) // 2] >= timeout - 0.01, "the attempts did not wait for wal_e.timeout"
PY

log "every segment archived, byte for byte"
checked=$(assert_archive_matches_pg_wal "$primary")
log "$checked segments compared with pg_wal"
[ "$checked" -ge 100 ] || fail "only $checked segments were archived; the test needs at least 100"

log "no archive_command children, and wal-ed served the module"
[ ! -s "$T/archiver-children.log" ] || { cat "$T/archiver-children.log" >&2; fail "the archiver had child processes"; }
assert_eq "$(psql_at "$primary" "SELECT pid FROM pg_stat_activity WHERE backend_type = 'archiver'")" "$archiver" \
  "the archiver's pid (it must never have died)"
wal_e status > "$T/status.json" 2> /dev/null || fail "wal-e status failed"
"$PY" - "$T/status.json" <<'PY'
import json, sys
clients = json.load(open(sys.argv[1]))["clients"]
module = clients["archive_module"]
assert module["requests"] > 0 and module["connections_open"] == 1, module
assert clients["shim"]["requests"] == 1, clients["shim"]  # this status request
print(f"wal-ed served the module {module['requests']} requests since its restart", file=sys.stderr)
PY

log "a copy restored from the archive matches the primary"
tables="pgbench_accounts pgbench_branches pgbench_tellers marks"
table_checksums "$primary" $tables > "$T/primary.sums"
pg_stop "$primary"
recover_copy "$T/copy" 5433
table_checksums "$T/copy" $tables > "$T/copy.sums"
diff -u "$T/primary.sums" "$T/copy.sums" || fail "the restored copy differs from the primary"
pg_stop "$T/copy"
stop_daemon
log PASS
