#!/usr/bin/env bash
# Issue 12, part 3: wal-ed under systemd, with systemd's own tools (Debian's
# systemd package) and a real PostgreSQL and S3 peer.
#   - systemd-analyze verify accepts the units; systemd-analyze security
#     rates the service as the README says;
#   - watchdog: with WATCHDOG_USEC set, WATCHDOG=1 arrives on the
#     notification socket at half the interval, from the daemon's loop;
#   - socket activation: systemd-socket-activate holds the socket, the first
#     archive_command starts wal-ed on the inherited descriptor, and the
#     socket outlives the daemon for the next activation;
#   - SIGHUP re-reads the envdir: a new endpoint applies to an upload that
#     was retrying while PostgreSQL's archive_command waited on its open
#     connection (which then succeeds); a value that does not parse, wrong
#     credentials and a new prefix are refused with an ERROR and the running
#     configuration keeps archiving; no secret reaches the log.
# CI: release build (the shipped units and binaries).
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/peers.sh"

command -v systemd-analyze > /dev/null && command -v systemd-socket-activate > /dev/null \
  || fail "systemd-analyze and systemd-socket-activate are missing: run scripts/install-deps.sh"

log "systemd-analyze verify and security on the unit files"
mkdir -p "$T/units"
cp "$WALE_SOURCE_DIR"/systemd/wal-ed.service "$WALE_SOURCE_DIR"/systemd/wal-ed.socket "$T/units/"
# The units name the installed binary; verify checks that it exists.
sed -i "s|/usr/local/bin/wal-ed|$BIN/wal-ed|" "$T/units/wal-ed.service"
(cd "$T/units" && systemd-analyze verify ./wal-ed.service ./wal-ed.socket) > "$T/verify.out" 2>&1 \
  || { cat "$T/verify.out" >&2; fail "systemd-analyze verify rejects the units"; }
[ ! -s "$T/verify.out" ] || { cat "$T/verify.out" >&2; fail "systemd-analyze verify warns about the units"; }
(cd "$T/units" && systemd-analyze security --offline=yes ./wal-ed.service) > "$T/security.out" 2>&1 \
  || { cat "$T/security.out" >&2; fail "systemd-analyze security failed"; }
score=$(sed -n 's/.*Overall exposure level for wal-ed.service: \([0-9.]*\) .*/\1/p' "$T/security.out")
[ -n "$score" ] || fail "no exposure level in: $(tail -n 2 "$T/security.out")"
grep -q "exposure level $score " "$WALE_SOURCE_DIR/README.md" \
  || fail "systemd-analyze security rates wal-ed.service $score; update the README's quote"
log "exposure level $score, as the README says"

log "watchdog pings and readiness on the notification socket"
start_notify_listener
start_daemon NOTIFY_SOCKET="$NOTIFY_SOCKET_PATH" WATCHDOG_USEC=400000
wait_for 10 grep -qx "READY=1" "$T/notify.out" || fail "no READY=1"
pings_at_least() { [ "$(notifications WATCHDOG=1)" -ge "$1" ]; }
wait_for 20 pings_at_least 5 || fail "fewer than 5 WATCHDOG=1 pings: $(notifications WATCHDOG=1)"
grep -q "MSG: systemd watchdog on" -A1 "$T/daemon.log" && grep -q "Pinging every 200 ms" "$T/daemon.log" \
  || fail "the daemon did not say it pings at half WATCHDOG_USEC"
# A stopped loop sends nothing; it resumes with the process.
kill -STOP "$DAEMON_PID"
stopped_at=$(notifications WATCHDOG=1)
sleep 1
assert_eq "$(notifications WATCHDOG=1)" "$stopped_at" "pings from a stopped daemon"
kill -CONT "$DAEMON_PID"
wait_for 10 pings_at_least $((stopped_at + 2)) || fail "the pings did not resume"
stop_daemon
grep -qx "STOPPING=1" "$T/notify.out" || fail "no STOPPING=1 on SIGTERM"

# write_envdir: $T/env as the unit's envdir, with the store of WALE_ENV.
write_envdir() {
  rm -rf "$T/env"
  mkdir -p "$T/env"
  local v
  for v in "${WALE_ENV[@]}"; do printf '%s\n' "${v#*=}" > "$T/env/${v%%=*}"; done
  [ "$(id -u)" != 0 ] || chown -R "$TEST_USER": "$T/env"
}

log "socket activation with systemd-socket-activate"
ACTIVATED=$T/run/activated.sock
# The envdir is how the unit configures wal-ed; the activated daemon has no
# store variables in its environment.
write_envdir
# It waits for the first connection, then execs wal-ed in its own place.
spawn_as_user "$T/activated.log" systemd-socket-activate -l "$ACTIVATED" -E WALE_LOG_DESTINATION=stderr \
  "$BIN/wal-ed" --envdir "$T/env" --socket "$ACTIVATED" --state-dir "$T/state-activated"
activator=$SPAWNED_PID
wait_for 10 test -S "$ACTIVATED" || fail "systemd-socket-activate did not listen on $ACTIVATED"
grep -q "wal-ed is ready" "$T/activated.log" && fail "wal-ed started before the first connection"
primary=$T/primary
start_archiving_primary "$primary" 5432 --set "wal_keep_size = 1GB" --env WALE_SOCKET="$ACTIVATED" --wal-segsize=1
psql_at "$primary" "CREATE TABLE t (x int)"
archive_everything "$primary"
grep -q "Listening on $ACTIVATED" "$T/activated.log" || fail "the activated daemon does not say it listens on $ACTIVATED"
assert_eq "$(as_user env WALE_SOCKET="$ACTIVATED" "$BIN/wal-e" status | "$PY" -c 'import json,sys; print(json.load(sys.stdin)["pid"])')" \
  "$activator" "the activated daemon's pid"
grep -q "archiving to $PREFIX" "$T/activated.log" || fail "the activated daemon did not take its store from the envdir"
kill -TERM "$activator"
wait_for 30 bash -c "! kill -0 $activator 2> /dev/null" || fail "the activated daemon did not stop"
[ -S "$ACTIVATED" ] || fail "the activated daemon removed systemd's socket"
pg_stop "$primary"
rm -f "$ACTIVATED"

log "SIGHUP re-reads the envdir"
start_s3_peer
start_fault_proxy "$S3_PORT"
write_envdir
shim_env=("${WALE_ENV[@]}")
WALE_ENV=()  # the daemon's store configuration comes from the envdir alone
DAEMON_ARGS=(--envdir "$T/env")
: > "$T/notify.out"
start_daemon NOTIFY_SOCKET="$NOTIFY_SOCKET_PATH"
WALE_ENV=("${shim_env[@]}")
pg_start "$primary" $(wale_env)
archive_everything "$primary"
grep -q "archiving to s3://$S3_BUCKET/archive" "$T/daemon.log" || fail "the daemon did not read its prefix from the envdir"

reloads() { status_value 's["config_reloads"]'; }
failed_reloads() { status_value 's["config_reloads_failed"]'; }
failed_before=$(psql_at "$primary" "SELECT failed_count FROM pg_stat_archiver")

log "the store behind the proxy goes away; a reload points the daemon at it directly"
proxy_mode refuse
mark=$(wc -l < "$T/daemon.log")
psql_at "$primary" "INSERT INTO t VALUES (1)"
psql_at "$primary" "SELECT pg_switch_wal()" > /dev/null
retrying() { tail -n +"$((mark + 1))" "$T/daemon.log" | grep -q "MSG: store unavailable, will retry wal_005/"; }
wait_for 60 retrying || fail "no upload failed while the store was away"
printf 'http+path://127.0.0.1:%s\n' "$S3_PORT" > "$T/env/WALE_S3_ENDPOINT"
kill -HUP "$DAEMON_PID"
wait_for 30 grep -q "MSG: configuration reloaded from $T/env" "$T/daemon.log" || fail "the reload was not applied"
archive_everything "$primary"
assert_eq "$(psql_at "$primary" "SELECT failed_count FROM pg_stat_archiver")" "$failed_before" \
  "archive_command failures across the reload (its connection must stay open and succeed)"
assert_eq "$(reloads)" 1 "reloads applied"
grep -qx "RELOADING=1" "$T/notify.out" || fail "no RELOADING=1 notification"
grep -q "^MONOTONIC_USEC=[0-9]*$" "$T/notify.out" || fail "RELOADING=1 without MONOTONIC_USEC"
[ "$(notifications READY=1)" -ge 2 ] || fail "no READY=1 after the reload"
proxy_mode pass

# refused_reload FILE VALUE PATTERN: writes VALUE into the envdir's FILE,
# sends SIGHUP, expects an ERROR matching PATTERN and archiving to go on
# with the running configuration; then puts the file back.
refused_reload() {
  local file=$1 value=$2 pattern=$3 saved=""
  [ -e "$T/env/$file" ] && saved=$(cat "$T/env/$file")
  local before
  before=$(failed_reloads)
  printf '%s\n' "$value" > "$T/env/$file"
  kill -HUP "$DAEMON_PID"
  wait_for 30 bash -c "[ \"\$(grep -c 'MSG: configuration reload refused' '$T/daemon.log')\" -gt $before ]" \
    || fail "a reload with $file=... was not refused"
  grep "MSG: configuration reload refused" "$T/daemon.log" | tail -n 1 | grep -qE "$pattern" \
    || fail "the refusal does not match /$pattern/: $(grep "MSG: configuration reload refused" "$T/daemon.log" | tail -n 1)"
  assert_eq "$(failed_reloads)" $((before + 1)) "refused reloads"
  psql_at "$primary" "INSERT INTO t VALUES (2)"
  archive_everything "$primary"
  if [ -n "$saved" ]; then printf '%s\n' "$saved" > "$T/env/$file"; else rm "$T/env/$file"; fi
}
log "a reload that does not parse is refused"
refused_reload WALE_STORE_TIMEOUT soon "WALE_STORE_TIMEOUT wants a positive integer"
refused_reload WALE_DROP_WAL_ABOVE 1 "WALE_DROP_WAL_ABOVE='1' has no unit"
log "a reload with credentials the store rejects is refused"
refused_reload AWS_SECRET_ACCESS_KEY not-the-secret-at-all "the store refuses the new configuration"
log "a new prefix needs a restart"
refused_reload WALE_S3_PREFIX "s3://$S3_BUCKET/elsewhere" "the prefix changed from s3://$S3_BUCKET/archive to s3://$S3_BUCKET/elsewhere.*restart"
grep -q "not-the-secret-at-all" "$T/daemon.log" "$primary/server.log" && fail "a secret reached a log"
assert_eq "$(psql_at "$primary" "SELECT failed_count FROM pg_stat_archiver")" "$failed_before" "archive_command failures"
assert_eq "$(reloads)" 1 "reloads applied"

pg_stop "$primary"
stop_daemon
log PASS
